"""The build's manifest: every file it published, with checksums; the only list of files a build may remove."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Callable, Mapping, Sequence

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1


class ManifestError(ValueError):
    """manifest.json does not have the shape this build writes; names the bad field."""


def _field(data: dict, name: str, kind, where: str, optional: bool = False):
    value = data.get(name)
    if value is None and optional:
        return None
    if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ManifestError(f"{where}.{name}: {'missing' if value is None else type(value).__name__}, expected {names}")
    return value


def _strings(data: dict, name: str, where: str) -> tuple[str, ...]:
    values = _field(data, name, list, where)
    if not all(isinstance(v, str) for v in values):
        raise ManifestError(f"{where}.{name}: expected a list of strings")
    return tuple(values)


def _fields_of(record) -> dict:
    """A record's fields, shallow (dataclasses.asdict deep-copies every value: a large manifest pays for it)."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


@dataclass(frozen=True)
class SegmentRecord:
    """One shared segment the build published."""

    file: str
    duration_s: float
    sha256: str
    bytes: int
    engines: tuple[str, ...] = ()
    kind: str = ""
    label: str = ""

    @classmethod
    def from_dict(cls, data: object, where: str) -> "SegmentRecord":
        if not isinstance(data, dict):
            raise ManifestError(f"{where}: expected an object")
        return cls(_field(data, "file", str, where), float(_field(data, "duration_s", (int, float), where)),
                   _field(data, "sha256", str, where), _field(data, "bytes", int, where),
                   _strings(data, "engines", where) if "engines" in data else (),
                   _field(data, "kind", str, where, optional=True) or "",
                   _field(data, "label", str, where, optional=True) or "")

    def to_dict(self) -> dict:
        return {**_fields_of(self), "engines": list(self.engines)}


@dataclass(frozen=True)
class ProgrammeRecord:
    """One published station session: its files (relative to the output folder) and what it is made of."""

    key: str
    date: str
    time: str
    station: str
    station_name: str
    level: str
    audience: str
    items: tuple[str, ...]
    titles: tuple[str, ...]
    segments: tuple[str, ...]
    playlist: str
    script: str
    duration_s: float
    engines: tuple[str, ...] = ()
    file: str | None = None  # None in `publish: segments`
    sha256: str | None = None
    bytes: int | None = None
    stale: bool = False  # a failed rebuild left the previous version on air
    bulletins: tuple[str, ...] = ()  # ids of the normal and priority bulletins read in this session

    @classmethod
    def from_dict(cls, data: object, where: str) -> "ProgrammeRecord":
        if not isinstance(data, dict):
            raise ManifestError(f"{where}: expected an object")
        text = {name: _field(data, name, str, where) for name in
                ("key", "date", "time", "station", "station_name", "level", "audience", "playlist", "script")}
        try:
            dt.date.fromisoformat(text["date"])
            dt.time.fromisoformat(text["time"])
        except ValueError:
            raise ManifestError(f"{where}: date/time '{text['date']} {text['time']}' is not valid") from None
        return cls(**text, items=_strings(data, "items", where), titles=_strings(data, "titles", where),
                   segments=_strings(data, "segments", where),
                   duration_s=float(_field(data, "duration_s", (int, float), where)),
                   engines=_strings(data, "engines", where) if "engines" in data else (),
                   file=_field(data, "file", str, where, optional=True),
                   sha256=_field(data, "sha256", str, where, optional=True),
                   bytes=_field(data, "bytes", int, where, optional=True),
                   stale=bool(_field(data, "stale", bool, where, optional=True)),
                   bulletins=_strings(data, "bulletins", where) if "bulletins" in data else ())

    def to_dict(self) -> dict:
        out = {**_fields_of(self), "items": list(self.items), "titles": list(self.titles),
               "segments": list(self.segments), "engines": list(self.engines)}
        if not self.stale:
            del out["stale"]
        if self.bulletins:
            out["bulletins"] = list(self.bulletins)
        else:
            del out["bulletins"]
        for name in ("sha256", "bytes"):
            if out[name] is None:
                del out[name]
        return out


@dataclass(frozen=True)
class Manifest:
    """The live manifest.json: what the last build published (the portal and releases read it)."""

    campaign: str = ""
    generated: str = ""
    segments: Mapping[str, SegmentRecord] = field(default_factory=dict)
    programmes: tuple[ProgrammeRecord, ...] = ()
    files: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()
    format: int = MANIFEST_FORMAT
    release: str | None = None  # the release this manifest makes live (releases.py)
    approved_by: str | None = None
    approved: str | None = None
    bulletins: tuple[Mapping, ...] = ()  # emergency programmes (bulletins.py), each with its file and segments

    @classmethod
    def from_dict(cls, data: object) -> "Manifest":
        """Validate a parsed manifest.json; ManifestError names the first bad field."""
        if not isinstance(data, dict):
            raise ManifestError(f"expected an object, found {type(data).__name__}")
        if data.get("format") != MANIFEST_FORMAT:
            raise ManifestError(f"format: {data.get('format')!r}, expected {MANIFEST_FORMAT}")
        segments = _field(data, "segments", dict, "manifest")
        programmes = _field(data, "programmes", list, "manifest")
        # A programme may refer only to segments the manifest lists (carry-over and reuse rely on it).
        records = tuple(ProgrammeRecord.from_dict(p, f"programmes[{i}]") for i, p in enumerate(programmes))
        segs = {str(k): SegmentRecord.from_dict(v, f"segments.{k}") for k, v in segments.items()}
        for i, rec in enumerate(records):
            missing = [k for k in rec.segments if k not in segs]
            if missing:
                raise ManifestError(f"programmes[{i}].segments: '{missing[0]}' is not among the segments")
        bulletins = _field(data, "bulletins", list, "manifest", optional=True) or []
        for i, rec in enumerate(bulletins):
            where = f"bulletins[{i}]"
            if not isinstance(rec, dict):
                raise ManifestError(f"{where}: expected an object")
            _field(rec, "file", str, where)
            missing = [k for k in _strings(rec, "segments", where) if k not in segs]
            if missing:
                raise ManifestError(f"{where}.segments: '{missing[0]}' is not among the segments")
        return cls(campaign=_field(data, "campaign", str, "manifest", optional=True) or "",
                   release=_field(data, "release", str, "manifest", optional=True),
                   approved_by=_field(data, "approved_by", str, "manifest", optional=True),
                   approved=_field(data, "approved", str, "manifest", optional=True),
                   bulletins=tuple(bulletins),
                   generated=_field(data, "generated", str, "manifest", optional=True) or "",
                   segments=segs, programmes=records, files=_strings(data, "files", "manifest"),
                   retired=_strings(data, "retired", "manifest") if "retired" in data else ())

    def to_dict(self) -> dict:
        return {"format": self.format, "generated": self.generated, "campaign": self.campaign,
                "segments": {k: v.to_dict() for k, v in self.segments.items()},
                "programmes": [p.to_dict() for p in self.programmes],
                "files": list(self.files), "retired": list(self.retired),
                **({"bulletins": [dict(b) for b in self.bulletins]} if self.bulletins else {}),
                **{k: v for k, v in (("release", self.release), ("approved_by", self.approved_by),
                                     ("approved", self.approved)) if v is not None}}


def read_manifest(out: Path) -> Manifest | None:
    """The typed manifest of an output folder, None if there is none; ManifestError if it is unreadable."""
    path = out / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: unreadable ({exc})") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ManifestError(f"{path}: not JSON ({exc})") from None
    try:
        return Manifest.from_dict(data)
    except (ManifestError, TypeError, ValueError) as exc:
        raise ManifestError(f"{path}: {exc}") from None


def load_manifest(out: Path) -> dict:
    """The previous build's manifest as validated plain data, or an empty one (a bad one starts afresh)."""
    try:
        manifest = read_manifest(out)
    except ManifestError as exc:
        log.warning("%s; starting afresh", exc)
        manifest = None
    return (manifest or Manifest()).to_dict()


def inside(out: Path, rel: str) -> Path | None:
    """`out/rel` if it stays inside `out` (a manifest is data: never trust it to point elsewhere)."""
    target = (out / rel).resolve()
    return target if out.resolve() in target.parents else None


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class FileHashes:
    """The sha256 of the output's files, remembered with each file's identity (device, inode, size, mtime and
    ctime, which no user can set back), so a rebuild reads again only the files changed since the last one:
    a campaign's session MP3s are gigabytes. A file whose identity differs in any way is hashed again."""

    def __init__(self, out: Path):
        from .outdir import HASHES

        self.out, self.used, self.path = out, {}, out / HASHES
        try:
            known = json.loads(self.path.read_text(encoding="utf-8"))
            self.known = known if isinstance(known, dict) else {}
        except (OSError, ValueError):
            self.known = {}

    def sha256(self, path: Path) -> str:
        st = path.stat()
        identity = [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        rel = str(path.relative_to(self.out))
        entry = self.known.get(rel)
        if isinstance(entry, list) and len(entry) == 6 and entry[:5] == identity and isinstance(entry[5], str):
            digest = entry[5]
        else:
            digest = sha256_file(path)
            if path.stat().st_mtime_ns != st.st_mtime_ns:  # written while read: not remembered
                return digest
        self.used[rel] = [*identity, digest]
        return digest

    def save(self) -> None:
        """Remember the files this build hashed or trusted (and only those: the rest are gone or unused)."""
        from .atomic import write_text_atomic

        write_text_atomic(self.path, json.dumps(self.used, separators=(",", ":")))


DEFAULT_OVERHEAD_S = 120.0  # opening + closing + two chimes, before a build has measured them


def known_durations(manifest: dict) -> tuple[Callable[[str, str], float] | None, float]:
    """Real durations from the previous build, for the planner's caps: body seconds per (item, audience)
    and a session's overhead (the longest opening and closing, two chimes)."""
    table: dict[tuple[str, str], float] = {}
    longest = {"opening": 0.0, "closing": 0.0, "chime": 0.0}
    for seg in manifest.get("segments", {}).values():
        label, kind, seconds = seg.get("label", ""), seg.get("kind"), float(seg.get("duration_s", 0.0))
        if kind == "body" and label.startswith("body "):
            item, _, audience = label[5:].partition("/")
            table[(item, audience)] = max(table.get((item, audience), 0.0), seconds)
        elif kind in longest:
            longest[kind] = max(longest[kind], seconds)
    overhead = longest["opening"] + longest["closing"] + 2 * longest["chime"]
    if not table:
        return None, DEFAULT_OVERHEAD_S
    return (lambda item, audience: table.get((item, audience), 150.0)), overhead or DEFAULT_OVERHEAD_S


def remove_listed(out: Path, rels: Sequence[str]) -> int:
    """Remove files a manifest listed (never outside `out`), and folders left empty; return how many."""
    removed = 0
    for rel in rels:
        target = inside(out, rel)
        if target is None:
            log.warning("manifest lists %s outside %s: left alone", rel, out)
            continue
        try:
            target.unlink()
            removed += 1
        except FileNotFoundError:
            removed += 1
        except OSError as exc:
            log.warning("could not remove %s: %s", target, exc)
            continue
        parent = target.parent
        while parent != out.resolve() and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    return removed
