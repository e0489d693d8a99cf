"""Releases: what each build made, kept immutable in `releases/<id>.json`; `manifest.json` is the live one.

A release's status is derived, never stored (so approving is one atomic rename of manifest.json): it is
live when manifest.json names it, superseded when it is older than the live one, a draft otherwise. Files
stay until no live or draft release refers to them (`tidy`)."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .atomic import write_text_atomic
from .errors import InputError
from .manifest import MANIFEST, Manifest, load_manifest, remove_listed

log = logging.getLogger(__name__)

RELEASES_DIR = "releases"
RELEASE_FORMAT = 1
_ID = re.compile(r"r(\d{4,})-[0-9a-f]{8}")


class ReleaseError(InputError):
    """No such release, or it cannot be approved."""


class UnconfirmedFactsError(ReleaseError):
    """A release airs facts nobody confirmed: approval is refused (`facts`: their ids)."""

    def __init__(self, message: str, facts: list[str]):
        super().__init__(message)
        self.facts = facts


@dataclass(frozen=True)
class Session:
    """One published session of a release, as listeners hear it."""

    date: str
    time: str
    station: str
    audience: str
    items: tuple[str, ...]
    segments: tuple[str, ...]
    key: str

    @property
    def slot(self) -> tuple[str, str, str]:
        return (self.date, self.time, self.station)


@dataclass(frozen=True)
class Release:
    """An immutable record of one build: its sessions, files, sources and who made it when."""

    id: str
    created: str
    by: str
    fingerprints: dict
    facts: tuple[dict, ...]
    manifest: dict  # the manifest this release makes live (without the pages, written on approval)
    texts: dict  # segment key -> the speech-ready text it voices

    @property
    def number(self) -> int:
        return _number(self.id)

    @property
    def sessions(self) -> tuple[Session, ...]:
        return tuple(Session(r["date"], r["time"], r["station"], r["audience"], tuple(r["items"]), tuple(r["segments"]),
                             r["key"]) for r in self.manifest.get("programmes", []))

    @property
    def files(self) -> frozenset[str]:
        return frozenset(self.manifest.get("files", []))

    @property
    def typed(self) -> Manifest:
        """The manifest this release makes live, through the typed model the portal reads."""
        return Manifest.from_dict(self.manifest)

    def to_json(self) -> str:
        return json.dumps({"format": RELEASE_FORMAT, "id": self.id, "created": self.created, "by": self.by,
                           "fingerprints": self.fingerprints, "facts": list(self.facts), "manifest": self.manifest,
                           "texts": self.texts}, ensure_ascii=False, indent=1)


def _digest_files(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for path in sorted(set(paths)):
        if path.is_file():
            h.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def fingerprints(project) -> dict[str, str]:
    """sha256 of the schedule, content, lexicon and templates a build came from."""
    from importlib import resources

    data = Path(str(resources.files("broadcast") / "data"))
    packaged_templates = Path(str(resources.files("broadcast") / "templates"))
    s = project.schedule
    templates = [p for d in (*project.template_dirs, packaged_templates) if d.is_dir() for p in d.rglob("*") if p.is_file()]
    return {"schedule": _digest_files([s.path]), "content": _digest_files([data / "handbook.yaml", *s.content]),
            "lexicon": _digest_files([data / "lexicon.yaml", *s.lexicon]), "templates": _digest_files(templates)}


def aired_facts(project, item_ids: Iterable[str]) -> list[dict]:
    """The unconfirmed content facts a release airs (only when schedule.yaml says facts.air_unconfirmed: true;
    a fact an editor confirmed in a content file is no longer unconfirmed, so it is not listed)."""
    from .lint import unconfirmed_fact_uses

    wanted = set(item_ids)
    facts = []
    for use in unconfirmed_fact_uses(project):
        items = sorted(wanted.intersection(use.items))
        if use.airs and items:
            where = use.said_at if use.said_at[1] else (use.fact.source_file, use.fact.source_line)
            facts.append({"id": use.fact.id, "status": "unconfirmed", "items": items,
                          "where": f"{where[0]}:{where[1]}", "check": use.fact.check})
    return facts


def unconfirmed(release: Release) -> list[dict]:
    """Facts the release airs that are unconfirmed and nobody confirmed."""
    return [f for f in release.facts if f.get("status") == "unconfirmed" and not f.get("confirmed_by")]


def _dir(out: Path) -> Path:
    return out / RELEASES_DIR


def output_of(project) -> Path:
    """The project's output folder, or a ConfigError when there is no schedule.yaml."""
    from .errors import ConfigError

    if project.schedule is None:
        raise ConfigError("no schedule.yaml: pass --config FILE or run in the folder that has one")
    return project.schedule.output


def list_releases(out: Path) -> list[Release]:
    """Every release in an output folder, oldest first (each holds a whole manifest: a build, an approval or
    a tidy opens only the releases it needs, through `read_release` and `_each_release`)."""
    return list(_each_release(out))


def _each_release(out: Path) -> Iterator[Release]:
    """The folder's readable releases, oldest first, read one at a time."""
    for rid in sorted(_ids(out), key=_number):
        release = _read(_dir(out) / f"{rid}.json")
        if release is not None:
            yield release


def _newest_id(out: Path) -> str | None:
    ids = _ids(out)
    return max(ids, key=_number) if ids else None


def _newest_readable(out: Path, ids: Iterable[str]) -> Release | None:
    """The newest of `ids` whose file can be read: files are opened newest first, so usually just one."""
    return next((r for r in (read_release(out, i) for i in sorted(ids, key=_number, reverse=True)) if r), None)


def _ids(out: Path) -> list[str]:
    """The ids of the folder's release files (names that are not release ids are not releases)."""
    folder = _dir(out)
    return [p.stem for p in folder.glob("r*.json") if _ID.fullmatch(p.stem)] if folder.is_dir() else []


def _read(path: Path) -> Release | None:
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        return Release(d["id"], d["created"], d["by"], d["fingerprints"], tuple(d["facts"]), d["manifest"], d["texts"])
    except (OSError, ValueError, KeyError) as exc:
        log.warning("%s unreadable (%s): ignored", path, exc)
        return None


def read_release(out: Path, rid: str) -> Release | None:
    """One release by its exact id, or None: the id must be one of the folder's release files (so a caller's
    string never becomes a path of its own)."""
    return _read(_dir(out) / f"{rid}.json") if rid in _ids(out) else None


def newest_draft_id(out: Path, live: str | None) -> str | None:
    """The id of the newest draft when `live` is the live release's id (no release file is opened)."""
    drafts = _drafts(out, live)
    return max(drafts, key=_number) if drafts else None


def _number(rid: str | None) -> int:
    """A release id's number (0 for none)."""
    match = _ID.fullmatch(rid) if rid else None
    return int(match.group(1)) if match else 0


def live_id(out: Path) -> str | None:
    """The id of the release manifest.json makes live, if any."""
    return load_manifest(out).get("release")


def status(release: Release, live: str | None) -> str:
    """live, draft or superseded."""
    return _status_of(release.id, live)


def _status_of(rid: str, live: str | None) -> str:
    """status() of a release known by its id (its file unopened)."""
    if rid == live:
        return "live"
    return "superseded" if _number(rid) < _number(live) else "draft"


# What listeners get from a release; two releases equal in these are the same release (pages, the time of the
# build and the approval are not content).
CONTENT_KEYS = ("programmes", "bulletins", "segments")


def same_content(a: dict, b: dict) -> bool:
    """Whether two manifests publish the same sessions, emergency programmes and segments."""
    return all((a.get(k) or None) == (b.get(k) or None) for k in CONTENT_KEYS)


def record_release(out: Path, project, manifest: dict, texts: dict, by: str, like: Release | None = None) -> Release:
    """Write a new release (immutable) for a build's manifest; return it (the newest one when nothing a
    listener hears changed). `like`: a release whose sources and facts this one has (not the project's today)."""
    last = _newest_readable(out, _ids(out))
    if last is not None and same_content(last.manifest, manifest):
        return last  # nothing changed: no new release
    number = _number(_newest_id(out)) + 1  # after the newest file, even one that cannot be read: ids never repeat
    body = json.dumps(manifest, sort_keys=True, ensure_ascii=False).encode()
    rid = f"r{number:04d}-{hashlib.sha256(body).hexdigest()[:8]}"
    items = sorted({i for r in manifest.get("programmes", []) for i in r["items"]})
    release = Release(rid, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), by,
                      like.fingerprints if like else fingerprints(project),
                      like.facts if like else tuple(aired_facts(project, items)), manifest, texts)
    write_text_atomic(_dir(out) / f"{rid}.json", release.to_json())
    return release


def find(out: Path, rid: str | None, default: str = "draft") -> Release:
    """A release by id (or unique id prefix); without one, the newest draft (or the live release)."""
    ids = sorted(_ids(out), key=_number)
    if rid is None:
        live = live_id(out)
        found = _newest_readable(out, [i for i in ids if _status_of(i, live) == default])
        if found is None:
            raise ReleaseError(f"{out / RELEASES_DIR}: no {default} release")
        return found
    matches = [i for i in ids if i == rid or i.startswith(rid)]
    if len(matches) != 1:
        known = ", ".join(ids) or "none"
        raise ReleaseError(f"{out / RELEASES_DIR}: release '{rid}' {'is ambiguous' if matches else 'not found'} (releases: {known})")
    release = read_release(out, matches[0])
    if release is None:
        raise ReleaseError(f"{_dir(out) / (matches[0] + '.json')}: release '{matches[0]}' cannot be read")
    return release


def tidy(out: Path) -> int:
    """Remove files only superseded releases refer to; return how many."""
    live = live_id(out)
    manifest = load_manifest(out)
    keep = set(manifest.get("files", [])) | {MANIFEST}
    superseded: set[str] = set()
    for r in _each_release(out):  # one release in memory at a time: only its file list is kept
        state = status(r, live)
        if state == "draft":
            keep |= r.files
        elif state == "superseded":
            superseded |= r.files
    return remove_listed(out, sorted(f for f in superseded - keep if (out / f).exists()))


def approve(project, rid: str | None, by: str, drafts_only: bool = False) -> Release:
    """Make a draft live: its pages, then manifest.json in one atomic rename; then tidy. With `drafts_only`
    (the portal) a release that is no longer a draft is refused, so an editor approves only what they saw."""
    from .outdir import writing_output

    out = output_of(project)
    with writing_output(out, project.schedule):
        release, live = find(out, rid), live_id(out)
        if drafts_only and status(release, live) != "draft":
            raise ReleaseError(f"{out / RELEASES_DIR}: {release.id} is {status(release, live)}, not a draft")
        return _approve_locked(project, out, release, by, live)


def _approve_locked(project, out: Path, release: Release, by: str, live: str | None, check_facts: bool = True) -> Release:
    """Approve `release` while holding the output's lock; `live`: the id of the release live now."""
    from .publish import publish_live

    if status(release, live) == "live":
        raise ReleaseError(f"{out / RELEASES_DIR}: {release.id} is already live")
    blocked = unconfirmed(release) if check_facts else []
    if blocked:
        ids = [str(f.get("id", "?")) for f in blocked]
        raise UnconfirmedFactsError(f"{out / RELEASES_DIR / (release.id + '.json')}: facts: airs unconfirmed facts "
                                    f"nobody confirmed: {', '.join(ids)}", ids)
    manifest = {**release.manifest, "release": release.id, "approved_by": by,
                "approved": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    publish_live(out, project.schedule, manifest)
    tidy(out)
    return release


def with_emergency(base: dict, records: list[dict], segments: dict) -> dict:
    """`base` with `records` as its emergency programmes (replacing base's), their segments taken from
    `segments`, and the files listed accordingly."""
    old_files = {r["file"] for r in base.get("bulletins", [])}
    merged = {**base.get("segments", {}), **{k: segments[k] for r in records for k in r["segments"]}}
    used = {k for p in base.get("programmes", []) for k in p["segments"]} | {k for r in records for k in r["segments"]}
    files = sorted((set(base.get("files", [])) - old_files) | {r["file"] for r in records} | {merged[k]["file"] for k in used})
    return {**base, "segments": {k: v for k, v in merged.items() if k in used}, "bulletins": list(records), "files": files}


def pending_emergencies(live: Release | None, draft: Release) -> list[dict]:
    """The draft's emergency programmes that are not live yet (waiting for approval)."""
    aired = {r["key"] for r in (live.manifest.get("bulletins", []) if live else [])}
    return [r for r in draft.manifest.get("bulletins", []) if r.get("level") == "emergency" and r["key"] not in aired]


def approve_bulletins(project, rid: str | None, by: str) -> Release:
    """Approve a draft's emergency programmes in one step: they go live over the live rotation, and nothing
    else of the draft does. A draft whose rotation also changed stays a draft (recorded again after the new
    live release, so it keeps its place as the newest)."""
    from .outdir import writing_output

    out = output_of(project)
    with writing_output(out, project.schedule):
        draft, live_rid = find(out, rid), live_id(out)
        live = find(out, live_rid) if live_rid else None
        if status(draft, live_rid) != "draft":
            raise ReleaseError(f"{out / RELEASES_DIR}: {draft.id} is not a draft")
        if not pending_emergencies(live, draft):
            raise ReleaseError(f"{out / RELEASES_DIR}: {draft.id} has no emergency programme waiting for approval")
        if live is None:
            return _approve_locked(project, out, draft, by, None)  # nothing is live: the draft's rotation goes too
        # Approving an emergency adds no rotation item, so it is never held back by the rotation's facts.
        if draft.manifest.get("programmes") == live.manifest.get("programmes"):
            return _approve_locked(project, out, draft, by, live_rid, check_facts=False)  # the draft is only its emergencies
        records = draft.manifest.get("bulletins", [])
        keys = {k for r in records for k in r["segments"]}
        merged = with_emergency({k: v for k, v in live.manifest.items() if k not in ("release", "approved", "approved_by")},
                                records, draft.manifest["segments"])
        texts = {**live.texts, **{k: v for k, v in draft.texts.items() if k in keys}}
        # The rotation is the live one's: so are its sources and facts.
        emergency = record_release(out, project, merged, texts, by, like=live)
        record_release(out, project, draft.manifest, draft.texts, draft.by, like=draft)  # the draft, newest again
        return _approve_locked(project, out, emergency, by, live_rid, check_facts=False)


@dataclass(frozen=True)
class SessionChange:
    """A session whose audio differs between two releases, with the text that changed per segment."""

    slot: tuple[str, str, str]
    kind: str  # added | removed | changed
    text_changes: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (segment label, unified diff lines)
    segment_keys: tuple[tuple[str | None, str | None], ...] = ()  # (old key, new key), one per text change


def diff(old: Release | None, new: Release) -> list[SessionChange]:
    """What changes for listeners from `old` to `new`: sessions added, removed and changed."""
    before = {s.slot: s for s in old.sessions} if old else {}
    after = {s.slot: s for s in new.sessions}
    changes = []
    for slot in sorted(set(before) | set(after)):
        a, b = before.get(slot), after.get(slot)
        if a is None:
            changes.append(SessionChange(slot, "added"))
        elif b is None:
            changes.append(SessionChange(slot, "removed"))
        elif a.segments != b.segments:
            texts, keys = [], []
            for i in range(max(len(a.segments), len(b.segments))):
                ka = a.segments[i] if i < len(a.segments) else None
                kb = b.segments[i] if i < len(b.segments) else None
                if ka == kb:
                    continue
                old_text = (old.texts.get(ka, "") if old and ka else "").splitlines()
                new_text = (new.texts.get(kb, "") if kb else "").splitlines()
                label = new.manifest["segments"].get(kb, {}).get("label", "") if kb else old.manifest["segments"][ka].get("label", "")  # type: ignore[union-attr]
                lines = tuple(difflib.unified_diff(old_text, new_text, lineterm="", n=0))[2:]
                texts.append((label or f"segment {i}", lines))
                keys.append((ka, kb))
            changes.append(SessionChange(slot, "changed", tuple(texts), tuple(keys)))
    return changes


def diff_pair(out: Path, a: str | None, b: str | None) -> tuple[Release | None, Release, list[SessionChange]]:
    """`broadcast diff [A] [B]`: A defaults to the live release, B to the newest draft."""
    if b is None and a is not None:
        a, b = None, a  # one id: compare the live release with it
    new = find(out, b)
    old = find(out, a, default="live") if (a is not None or live_id(out)) else None
    return old, new, diff(old, new)


def latest_release(out: Path, live: dict) -> Release | None:
    """The release a new build continues from: the newest readable draft, else the live one (usually one file
    opened)."""
    live_release = live.get("release")
    return _newest_readable(out, _drafts(out, live_release)) or (read_release(out, live_release) if live_release
                                                                  else None)


def _drafts(out: Path, live: str | None) -> list[str]:
    return [i for i in _ids(out) if _status_of(i, live) == "draft"]


def latest_manifest(out: Path, live: dict) -> dict:
    """The manifest a new build continues from: the newest draft's, else the live one (read from manifest.json,
    not again from its release file)."""
    draft = _newest_readable(out, _drafts(out, live.get("release")))
    return draft.manifest if draft is not None else live
