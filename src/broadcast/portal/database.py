"""The portal's SQLite database: WAL mode, numbered migrations, and the append-only as-run log."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import BroadcastError

log = logging.getLogger(__name__)

STATUSES = ("aired", "not_aired")
REASONS = {"mat-dien": "Mất điện", "hong-thiet-bi": "Hỏng thiết bị", "phat-tre": "Phát trễ", "khac": "Khác"}

# Each migration runs once, in order; the database records the last one applied (PRAGMA user_version).
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE station_link (station TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, created TEXT NOT NULL);
    CREATE TABLE editor (name TEXT PRIMARY KEY, salt BLOB NOT NULL, hash BLOB NOT NULL, created TEXT NOT NULL);
    CREATE TABLE web_session (id_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL,
                              csrf TEXT NOT NULL, created TEXT NOT NULL);
    CREATE INDEX web_session_subject ON web_session (kind, subject);
    CREATE TABLE asrun (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        station TEXT NOT NULL, date TEXT NOT NULL, slot TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('aired', 'not_aired')),
        reason TEXT, note TEXT NOT NULL DEFAULT '',
        late INTEGER NOT NULL DEFAULT 0,
        recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL,
        supersedes INTEGER REFERENCES asrun (id)
    );
    CREATE INDEX asrun_slot ON asrun (station, date, slot, id);
    """,
)


class PortalError(BroadcastError):
    """A portal operation was refused (bad input: exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Entry:
    """One as-run log entry: what a station said about one session."""

    id: int
    station: str
    date: str
    slot: str
    status: str
    reason: str | None
    note: str
    late: bool
    recorded_at: str
    supersedes: int | None


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Database:
    """One connection shared by the server's threads (SQLite serializes writers anyway)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a commit survives kill -9
            self.conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise PortalError(f"{self.path}: cannot open the portal database: {exc}") from None
        self.lock = threading.RLock()
        self.migrate()

    def migrate(self) -> int:
        with self.lock:
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise PortalError(f"{self.path}: database schema {version} is newer than this program ({len(MIGRATIONS)})")
            for n in range(version, len(MIGRATIONS)):
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    for stmt in filter(str.strip, MIGRATIONS[n].split(";")):
                        self.conn.execute(stmt)
                    self.conn.execute(f"PRAGMA user_version={n + 1}")
                    self.conn.execute("COMMIT")
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    raise
                log.info("%s: schema migration %d applied", self.path, n + 1)
            return len(MIGRATIONS)

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    # --- the as-run log -------------------------------------------------------------------------------
    def latest(self, station: str, date: str, slot: str) -> Entry | None:
        rows = self.execute("SELECT * FROM asrun WHERE station=? AND date=? AND slot=? ORDER BY id DESC LIMIT 1",
                            (station, date, slot))
        return _entry(rows[0]) if rows else None

    def record(self, station: str, date: str, slot: str, status: str, reason: str | None, note: str,
               late: bool, by: str) -> tuple[Entry, bool]:
        """Append an entry (superseding the slot's latest); an identical repeat (a double tap) records nothing.
        Returns (the slot's current entry, whether a new one was written)."""
        if status not in STATUSES:
            raise PortalError(f"status: must be one of {', '.join(STATUSES)}, not {status!r}")
        if status == "not_aired" and reason not in REASONS:
            raise PortalError(f"reason: must be one of {', '.join(REASONS)}, not {reason!r}")
        if status == "aired":
            reason, note = None, ""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                current = self.latest(station, date, slot)
                if current and (current.status, current.reason, current.note) == (status, reason, note):
                    self.conn.execute("COMMIT")
                    return current, False
                self.conn.execute(
                    "INSERT INTO asrun (station, date, slot, status, reason, note, late, recorded_at, recorded_by, supersedes)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (station, date, slot, status, reason, note, int(late), now_utc(), by, current.id if current else None))
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        return self.latest(station, date, slot), True  # type: ignore[return-value]

    def current_entries(self) -> dict[tuple[str, str, str], Entry]:
        """Each slot's latest entry (earlier ones are kept, superseded)."""
        rows = self.execute("SELECT a.* FROM asrun a JOIN (SELECT MAX(id) AS id FROM asrun GROUP BY station, date, slot) m"
                            " ON a.id = m.id")
        return {(e.station, e.date, e.slot): e for e in map(_entry, rows)}

    def entries_for(self, station: str) -> dict[tuple[str, str, str], Entry]:
        """One station's slots' latest entries."""
        rows = self.execute("SELECT * FROM asrun WHERE station=? ORDER BY id", (station,))
        return {(e.station, e.date, e.slot): e for e in map(_entry, rows)}

    def history(self, station: str, date: str, slot: str) -> list[Entry]:
        rows = self.execute("SELECT * FROM asrun WHERE station=? AND date=? AND slot=? ORDER BY id", (station, date, slot))
        return [_entry(r) for r in rows]


def _entry(row: tuple) -> Entry:
    id_, station, date, slot, status, reason, note, late, recorded_at, _by, supersedes = row
    return Entry(id_, station, date, slot, status, reason, note, bool(late), recorded_at, supersedes)


def open_database(schedule) -> Database:
    """The portal database a schedule names (portal: {database: ...}; default portal.sqlite3 next to it)."""
    path = schedule.portal_database or Path(schedule.path).absolute().parent / "portal.sqlite3"
    return Database(path)
