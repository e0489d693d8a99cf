"""Accounts: one secret link per station (stored only as a hash), editors' scrypt passwords, web sessions."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass
from typing import Iterable

from .database import Database, PortalError, now_utc

LINK_PREFIX = "/s/"
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def token_hash(token: str) -> str:
    """A link or session token's stored form (tokens have 256 random bits: a plain sha256 is enough)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 random bits


@dataclass(frozen=True)
class Link:
    station: str
    name: str
    link: str


def _url(base_url: str | None, token: str) -> str:
    return (base_url.rstrip("/") if base_url else "") + LINK_PREFIX + token


def set_station_link(db: Database, station: str) -> str:
    """A new secret link token for a station; any older link and its phones' sessions stop working."""
    token = new_token()
    with db.lock:
        db.execute("INSERT INTO station_link (station, token_hash, created) VALUES (?,?,?)"
                   " ON CONFLICT (station) DO UPDATE SET token_hash=excluded.token_hash, created=excluded.created",
                   (station, token_hash(token), now_utc()))
        db.execute("DELETE FROM web_session WHERE kind='station' AND subject=?", (station,))
    return token


def init_links(db: Database, stations: Iterable[tuple[str, str]], base_url: str | None = None,
               replace: bool = False) -> list[Link]:
    """Links for every station that has none yet (or for all with `replace`)."""
    have = {row[0] for row in db.execute("SELECT station FROM station_link")}
    links = []
    for station, name in stations:
        if station in have and not replace:
            continue
        links.append(Link(station, name, _url(base_url, set_station_link(db, station))))
    return links


def rotate_link(db: Database, station: str, name: str, base_url: str | None = None) -> Link:
    return Link(station, name, _url(base_url, set_station_link(db, station)))


def links_csv(links: Iterable[Link]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["station", "name", "link"])
    for link in links:
        w.writerow([link.station, link.name, link.link])
    return buf.getvalue()


def station_for_link(db: Database, token: str) -> str | None:
    rows = db.execute("SELECT station FROM station_link WHERE token_hash=?", (token_hash(token),))
    return rows[0][0] if rows else None


def set_editor_password(db: Database, name: str, password: str) -> None:
    if not name.strip():
        raise PortalError("NAME: an editor needs a name")
    if len(password) < 10:
        raise PortalError("password: at least 10 characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **SCRYPT)
    db.execute("INSERT INTO editor (name, salt, hash, created) VALUES (?,?,?,?) ON CONFLICT (name) DO UPDATE"
               " SET salt=excluded.salt, hash=excluded.hash, created=excluded.created", (name, salt, digest, now_utc()))
    db.execute("DELETE FROM web_session WHERE kind='editor' AND subject=?", (name,))


def check_editor_password(db: Database, name: str, password: str) -> bool:
    rows = db.execute("SELECT salt, hash FROM editor WHERE name=?", (name,))
    salt, stored = rows[0] if rows else (b"\0" * 16, b"")
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **SCRYPT)  # same work for unknown names
    return bool(rows) and hmac.compare_digest(digest, stored)


@dataclass(frozen=True)
class WebSession:
    kind: str  # "station" or "editor"
    subject: str  # a station id or an editor's name
    csrf: str


def open_session(db: Database, kind: str, subject: str) -> tuple[str, WebSession]:
    """A new signed-in session; returns (the cookie value, the session)."""
    sid, csrf = new_token(), new_token()
    db.execute("INSERT INTO web_session (id_hash, kind, subject, csrf, created) VALUES (?,?,?,?,?)",
               (token_hash(sid), kind, subject, csrf, now_utc()))
    return sid, WebSession(kind, subject, csrf)


def find_session(db: Database, sid: str | None) -> WebSession | None:
    if not sid:
        return None
    rows = db.execute("SELECT kind, subject, csrf FROM web_session WHERE id_hash=?", (token_hash(sid),))
    return WebSession(*rows[0]) if rows else None
