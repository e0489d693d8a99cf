"""The one place the portal reads the build's live manifest (manifest.json in the output folder).

Everything else in the portal sees only these typed records, so a change of the manifest's shape is met here."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ..manifest import MANIFEST, ManifestError, inside, read_manifest

log = logging.getLogger(__name__)

EMERGENCY_MARK = "+"  # slot of an emergency programme: "HH:MM+<bulletin id>"


@dataclass(frozen=True)
class LiveSession:
    """One session of the live plan, as the portal shows it."""

    key: str
    station: str
    station_name: str
    level: str
    date: str  # YYYY-MM-DD
    slot: str  # HH:MM
    items: tuple[str, ...]
    titles: tuple[str, ...]
    duration_s: float
    item_seconds: tuple[float, ...]  # each item's body length, in `items` order
    audio: str | None  # path inside the output folder, or None (segments mode)
    script: str | None
    kind: str = "rotation"  # or "emergency": a bulletin's own programme ("Phát ngay")
    bulletins: tuple[str, ...] = ()  # bulletin ids this session reads

    @property
    def time(self) -> str:
        """HH:MM (an emergency programme's slot also names its bulletin, so it is confirmed on its own)."""
        return self.slot.partition(EMERGENCY_MARK)[0]

    @property
    def download_name(self) -> str:
        tail = "_khan-cap" if self.kind == "emergency" else ""
        return f"{self.station}_{self.date}_{self.time.replace(':', 'h')}{tail}.mp3"


@dataclass(frozen=True)
class LivePlan:
    out: Path
    sessions: tuple[LiveSession, ...]
    release: str | None = None  # the id of the release the manifest makes live

    def by_key(self, key: str) -> LiveSession | None:
        return self._keys.get(key)

    def by_slot(self, station: str, date: str, slot: str) -> LiveSession | None:
        return self._slots.get((station, date, slot))

    def for_station(self, station: str) -> list[LiveSession]:
        return list(self._stations.get(station, ()))

    def file(self, rel: str | None) -> Path | None:
        """The path of a file the manifest lists, only if it stays inside the output folder (resolved once per
        plan: resolving walks every folder of the path; whether it exists is for the caller's open to tell)."""
        if not rel:
            return None
        if rel not in self._paths:
            self._paths[rel] = inside(self.out, rel)
        return self._paths[rel]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_paths", {})
        object.__setattr__(self, "_keys", {s.key: s for s in self.sessions})
        object.__setattr__(self, "_slots", {(s.station, s.date, s.slot): s for s in self.sessions})
        by_station: dict[str, list[LiveSession]] = {}
        for s in self.sessions:
            by_station.setdefault(s.station, []).append(s)
        object.__setattr__(self, "_stations", by_station)


def read_plan(out: Path) -> LivePlan:
    """The live plan from `out/manifest.json`, read through the build's own typed model (an empty plan if
    there is none or it is unreadable: the portal keeps serving and says why in the log)."""
    try:
        manifest = read_manifest(Path(out))
    except ManifestError as exc:
        log.warning("%s: no sessions", exc)
        return LivePlan(Path(out), ())
    if manifest is None:
        return LivePlan(Path(out), ())
    sessions = []
    for rec in manifest.programmes:
        body: dict[str, float] = {}
        for key in rec.segments:
            seg = manifest.segments[key]
            if seg.kind == "body" and seg.label.startswith("body "):
                item = seg.label[5:].partition("/")[0]
                body[item] = body.get(item, 0.0) + seg.duration_s
        sessions.append(LiveSession(
            key=rec.key, station=rec.station, station_name=rec.station_name, level=rec.level, date=rec.date,
            slot=rec.time, items=rec.items, titles=rec.titles or rec.items, duration_s=rec.duration_s,
            item_seconds=tuple(body.get(i, 0.0) for i in rec.items), audio=rec.file, script=rec.script,
            bulletins=rec.bulletins))
    for rec in manifest.bulletins:
        if rec.get("level") != "emergency":
            continue
        sessions.append(LiveSession(
            key=str(rec["key"]), station=str(rec["station"]), station_name=str(rec.get("station_name", rec["station"])),
            level="", date=str(rec["date"]), slot=f"{rec['time']}{EMERGENCY_MARK}{rec['bulletin']}", items=(),
            titles=(f"Phát ngay: {rec.get('title', rec['bulletin'])}",), duration_s=float(rec.get("duration_s", 0.0)),
            item_seconds=(), audio=str(rec["file"]), script=None, kind="emergency", bulletins=(str(rec["bulletin"]),)))
    sessions.sort(key=lambda s: (s.date, s.slot, s.station))
    return LivePlan(Path(out), tuple(sessions), manifest.release)


class LiveManifest:
    """The live plan, re-read when manifest.json changes (a build replaces it atomically)."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._plan = LivePlan(self.out, ())
        self._former: dict[str, tuple[str, str, str]] = {}  # keys earlier plans had -> their slot

    def plan(self) -> LivePlan:
        try:
            st = os.stat(self.out / MANIFEST)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                plan = read_plan(self.out) if stamp else LivePlan(self.out, ())
                self._former.update({s.key: (s.station, s.date, s.slot) for s in self._plan.sessions
                                     if plan.by_key(s.key) is None})
                self._plan, self._stamp = plan, stamp
            return self._plan

    def successor(self, key: str) -> LiveSession | None:
        """The live session now in the slot that `key`, a session of an earlier live plan, was for (a page
        loaded before a rebuild links to the old key; since this process started)."""
        slot = self._former.get(key)
        return self.plan().by_slot(*slot) if slot else None
