"""Bulletins (Thông tư 39/2020/TT-BTTTT levels): an editor's short warning, voiced through the same pipeline.

This branch builds the `emergency` level: its own short programme (chime, the bulletin twice, chime) for
the next slot of every target station, published without rebuilding the rotation."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from .atomic import write_text_atomic
from .yamlsource import FieldReader, did_you_mean
from .errors import ConfigError
from .yamlsource import load_yaml

log = logging.getLogger(__name__)

LEVELS = ("normal", "priority", "emergency")
BULLETIN_KEYS = ("id", "title", "text", "level", "from", "to", "stations", "audiences")
DEFAULT_FILE = "bulletins.yaml"
BULLETINS_DIR = "bulletins"


@dataclass(frozen=True)
class Bulletin:
    """One validated bulletin."""

    id: str
    title: str
    text: str
    level: str
    start: dt.date
    end: dt.date
    targets: tuple[str, ...]  # station or district ids; () = every station
    audiences: tuple[str, ...] = ()
    source: str = field(default="", compare=False)

    @property
    def spoken(self) -> str:
        """What the voice reads: the level's call, the title, the text."""
        call = {"emergency": "Thông báo khẩn", "priority": "Thông báo quan trọng"}.get(self.level, "Thông báo")
        return f"{call}. {self.title}.\n\n{self.text}"


def bulletin_files(schedule) -> list[Path]:
    """The files under `bulletins:` and, if present, bulletins.yaml beside schedule.yaml."""
    files = list(schedule.bulletins)
    default = schedule.path.absolute().parent / DEFAULT_FILE
    if default.is_file() and default not in files:
        files.append(default)
    return files


def _read(path: Path, schedule, r: FieldReader | None = None) -> list[Bulletin]:
    doc = load_yaml(path)
    r = FieldReader(doc, path.parent)
    top = r.mapping(doc.data if doc.data is not None else {"bulletins": []}, (), ("bulletins",), required=("bulletins",))
    entries = r.sequence(top.get("bulletins"), ("bulletins",)) if top else None
    found = []
    known = [s.id for s in schedule.stations]
    c = schedule.campaign
    for i, raw in enumerate(entries or []):
        here = ("bulletins", i)
        data = r.mapping(raw, here, BULLETIN_KEYS, required=("id", "title", "text", "level"))
        if data is None:
            continue
        before = len(r.problems)
        bid = r.ident(data.get("id"), here + ("id",), "bulletin id") if "id" in data else None
        title = r.text(data.get("title"), here + ("title",)) if "title" in data else None
        text = r.text(data.get("text"), here + ("text",)) if "text" in data else None
        level = r.choice(data.get("level"), here + ("level",), LEVELS, "a bulletin level") if "level" in data else None
        start = r.date(data["from"], here + ("from",)) if "from" in data else c.start
        end = r.date(data["to"], here + ("to",)) if "to" in data else c.end
        if start and end and end < start:
            r.fail(here + ("to",), f"{end} is before from: {start}")
        targets = r.sequence(data.get("stations", []), here + ("stations",)) or []
        for j, sid in enumerate(targets):
            if sid not in known:
                r.fail(here + ("stations", j), f"unknown station or district id '{sid}'{did_you_mean(str(sid), known)}")
        audiences = r.sequence(data.get("audiences", []), here + ("audiences",)) or []
        if len(r.problems) == before:
            found.append(Bulletin(bid, title, text, level, start, end, tuple(targets), tuple(audiences), str(path)))  # type: ignore[arg-type]
    if r.problems:
        raise ConfigError(sorted(r.problems, key=lambda p: p.line or 0))
    return found


def load_bulletins(schedule) -> list[Bulletin]:
    """Every bulletin of the project's bulletin files, validated (one ConfigError lists every problem)."""
    bulletins = [b for path in bulletin_files(schedule) for b in _read(path, schedule)]
    seen: set[str] = set()
    for b in bulletins:
        if b.id in seen:
            raise ConfigError.at(b.source, None, "bulletins.id", f"bulletin id '{b.id}' is used twice")
        seen.add(b.id)
    return bulletins


def target_stations(schedule, bulletin: Bulletin) -> list[str]:
    """The station ids a bulletin reaches: all, or the named stations, a district id bringing its communes."""
    if not bulletin.targets:
        return [s.id for s in schedule.stations]
    named = set(bulletin.targets)
    return [s.id for s in schedule.stations if s.id in named or (s.district in named)]


def _slug(title: str) -> str:
    plain = unicodedata.normalize("NFD", title.replace("đ", "d").replace("Đ", "D"))
    ascii_ = "".join(ch for ch in plain if unicodedata.category(ch) != "Mn").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_).strip("-")[:40] or "ban-tin"


def add_bulletin(schedule, level: str, title: str, text: str, start: dt.date | None = None,
                 end: dt.date | None = None, stations: tuple[str, ...] = ()) -> Bulletin:
    """Append a bulletin to the first bulletin file (bulletins.yaml by default), validated like the file."""
    path = (bulletin_files(schedule) or [schedule.path.absolute().parent / DEFAULT_FILE])[0]
    data = (yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None) or {"bulletins": []}
    taken = {str(b.get("id")) for b in data.get("bulletins") or [] if isinstance(b, dict)}
    bid, n = _slug(title), 2
    while bid in taken:
        bid, n = f"{_slug(title)}-{n}", n + 1
    entry: dict = {"id": bid, "title": title, "text": text, "level": level}
    if start:
        entry["from"] = start.isoformat()
    if end:
        entry["to"] = end.isoformat()
    if stations:
        entry["stations"] = list(stations)
    data.setdefault("bulletins", []).append(entry)
    candidate = path.with_name(f".{path.name}.check")
    try:
        candidate.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        checked = {b.id: b for b in _read(candidate, schedule)}  # a bad flag fails here, naming the field
    except ConfigError as exc:
        raise ConfigError(re.sub(re.escape(str(candidate)) + r"(:\d+)?", "bulletin add", str(exc))) from None
    finally:
        candidate.unlink(missing_ok=True)
    write_text_atomic(path, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return replace(checked[bid], source=str(path))


def next_slot(schedule, station_id: str, bulletin: Bulletin, now: dt.datetime) -> tuple[dt.date, dt.time] | None:
    """The first slot of a station at or after `now` inside the bulletin's window (the window's first slot
    when `now` is outside it: before it, or replaying a past campaign)."""
    slots = schedule.level_of(schedule.station(station_id)).slots
    if not bulletin.start <= now.date() <= bulletin.end:
        now = dt.datetime.combine(bulletin.start, dt.time(0, 0))
    day = max(bulletin.start, now.date())
    while day <= min(bulletin.end, schedule.campaign.end):
        for slot in slots:
            if day > now.date() or slot.time >= now.time():
                return day, slot.time
        day += dt.timedelta(days=1)
    return None


@dataclass
class BulletinReport:
    """What `build --bulletins-only` published."""

    programmes: list[dict] = field(default_factory=list)
    release: str | None = None
    draft: bool = False
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{len(self.programmes)} emergency programmes (Phát ngay)"]
        lines += [f"  {p['station']}  {p['date']} {p['time']}  {p['file']}" for p in self.programmes]
        state = "draft: operators see it after `broadcast approve`" if self.draft else "live"
        return "\n".join(lines + [f"release: {self.release} ({state})"])


def build_bulletins(project, options, now: dt.datetime | None = None) -> BulletinReport:
    """Voice every emergency bulletin into its own programme for the next slot of each target; publish them."""
    from .outdir import writing_output

    if project.schedule is None:
        raise ConfigError("no schedule.yaml: pass --config FILE or run in the folder that has one")
    with writing_output(project.schedule.output, project.schedule):
        return _build_bulletins_locked(project, options, now)


def _build_bulletins_locked(project, options, now: dt.datetime | None) -> BulletinReport:
    from .audio import Tags, join_mp3
    from .manifest import MANIFEST_FORMAT, load_manifest, sha256_file
    from .publish import Builder, default_author, publish_live  # one builder: the same voice, chimes and caps
    from .releases import latest_manifest, latest_release, record_release, tidy, with_emergency

    schedule = project.schedule
    b = Builder(project, options, None)
    out = b.out
    now = now or dt.datetime.now()
    live = load_manifest(out)
    base = latest_manifest(out, live)
    report = BulletinReport()
    plan: list[tuple[Bulletin, object, dt.date, dt.time, tuple]] = []
    specs: dict = {}
    for bulletin in (x for x in load_bulletins(schedule) if x.level == "emergency"):
        for sid in target_stations(schedule, bulletin):
            slot = next_slot(schedule, sid, bulletin, now)
            if slot is None:
                continue
            station = schedule.station(sid)
            chime = b.chime(station)
            body = b.segment("bulletin", bulletin.spoken, station, "general", f"bulletin {bulletin.id}/{station.region}")
            specs.setdefault(chime.key, chime)
            specs.setdefault(body.key, body)
            plan.append((bulletin, station, *slot, (chime.key, body.key, body.key, chime.key)))
    segments = {**base.get("segments", {}), **b.produce(specs, base.get("segments", {}))}
    report.failures = b.report.failures
    records = []
    for bulletin, station, day, time, keys in plan:
        if any(k not in segments for k in keys):
            report.failures.append(f"{bulletin.id}/{station.id}: a segment failed; not published")
            continue
        key = hashlib.sha256(json.dumps([keys, bulletin.id, station.id, day.isoformat(), time.isoformat()]).encode()).hexdigest()
        rel = f"{BULLETINS_DIR}/{bulletin.id}/{station.id}_{day.isoformat()}_{time.strftime('%Hh%M')}-{key[:8]}.mp3"
        target = out / rel
        if not target.is_file():
            title = f"Phát ngay: {bulletin.title}"
            join_mp3([out / segments[k]["file"] for k in keys], target,
                     Tags(title=title, station=station.name, campaign=schedule.campaign.name, date=day.isoformat(),
                          items=(bulletin.id,), engine=",".join(sorted({e for k in keys for e in segments[k].get("engines", [])})),
                          comment="Bản tin khẩn cấp"))
        records.append({"key": key, "bulletin": bulletin.id, "level": bulletin.level, "title": bulletin.title,
                        "station": station.id, "station_name": station.name, "date": day.isoformat(),
                        "time": time.strftime("%H:%M"), "segments": list(keys), "file": rel,
                        "duration_s": round(sum(segments[k]["duration_s"] for k in keys), 3),
                        "sha256": sha256_file(target), "bytes": target.stat().st_size})
    manifest = {**with_emergency(base, records, segments), "format": MANIFEST_FORMAT, "campaign": schedule.campaign.name,
                "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    for key in ("release", "approved", "approved_by", "retired"):  # the live manifest's, not this release's
        manifest.pop(key, None)
    prior = latest_release(out, live)  # its texts: a diff against this release still shows the rotation's
    texts = {**(prior.texts if prior else {}), **{k: "\n\n".join(s.paragraphs) for k, s in specs.items()}}
    release = record_release(out, project, manifest, texts, options.by or default_author())
    report.programmes, report.release = records, release.id
    if schedule.approval == "required":
        report.draft = release.id != live.get("release")  # nothing new when the release is the live one
    else:
        publish_live(out, schedule, {**manifest, "release": release.id}, live)
        tidy(out)
    return report


def emergency_programmes(manifest: dict) -> dict[str, list[dict]]:
    """The live emergency programmes ("Phát ngay") per station id, soonest first: for pages and the portal."""
    by_station: dict[str, list[dict]] = {}
    for rec in sorted(manifest.get("bulletins", []), key=lambda r: (r["date"], r["time"])):
        if rec.get("level") == "emergency":
            by_station.setdefault(rec["station"], []).append(rec)
    return by_station


def emergency_page_sessions(manifest: dict, schedule) -> list:
    """The emergency programmes as the static pages show them ("Phát ngay", first on their day's page)."""
    from .pages import PageSession

    known = {st.id: st for st in schedule.stations}
    sessions = []
    for rec in (r for recs in emergency_programmes(manifest).values() for r in recs):
        time = dt.time.fromisoformat(rec["time"])
        station = known.get(rec["station"])
        sessions.append(PageSession(dt.date.fromisoformat(rec["date"]), time, rec["station"],
                                    rec.get("station_name", rec["station"]), station.level if station else "",
                                    "general", (f"Phát ngay: {rec.get('title', rec['bulletin'])}",),
                                    float(rec.get("duration_s", 0.0)), rec["file"], "", "",
                                    f"{rec['station']}_{rec['date']}_{time.strftime('%Hh%M')}_khan-cap.mp3", urgent=True))
    return sessions


SYLLABLES_PER_SECOND = 2.5  # 150 a minute: the house reading rate, for a bulletin not yet voiced


def estimated_seconds(bulletin: Bulletin) -> float:
    """How long a bulletin takes to read, from its syllables (the planner's caps need it before voicing)."""
    return len(bulletin.spoken.split()) / SYLLABLES_PER_SECOND + 2.0  # + the pause between title and text


@dataclass(frozen=True)
class Placement:
    """The plan with normal and priority bulletins placed in its sessions, and what was given up to fit them."""

    plan: object
    notes: tuple[str, ...] = ()


def place_bulletins(schedule, plan, bulletins, duration=None, overhead_s: float = 120.0) -> Placement:
    """Put each priority bulletin first after the opening of every session of its targets in its window,
    dropping rotation items (last first) to keep the session's cap; fit each normal bulletin after the items
    of the sessions in its window where it fits within the cap. Emergency bulletins have programmes of their
    own (build_bulletins)."""
    from .plan import Plan

    placed = [b for b in bulletins if b.level in ("priority", "normal")]
    if not placed:
        return Placement(plan)
    targets = {b.id: set(target_stations(schedule, b)) for b in placed}
    seconds = {b.id: estimated_seconds(b) for b in placed}
    item_s = duration or (lambda item, audience: 150.0)
    notes: list[str] = []
    sessions = []
    for session in plan.sessions:
        station = schedule.station(session.station_id)
        cap = schedule.levels[station.level].slots[session.slot_index].max_minutes * 60
        here = [b for b in placed if session.station_id in targets[b.id] and b.start <= session.date <= b.end
                and (not b.audiences or session.audience in b.audiences)]
        if not here:
            sessions.append(session)
            continue
        items = list(session.items)
        prio = [b.id for b in here if b.level == "priority"]

        def length(items: list[str], extra: list[str]) -> float:
            return overhead_s + sum(item_s(i, session.audience) for i in items) + sum(seconds[x] for x in prio + extra)

        dropped = []
        while items and length(items, []) > cap:
            dropped.append(items.pop())
        if dropped:
            notes.append(f"{session.station_id} {session.date} {session.time:%H:%M}: priority bulletin "
                         f"{', '.join(prio)} replaces {', '.join(dropped)} to keep the {cap / 60:g}-minute cap")
        normal: list[str] = []
        for b in (b for b in here if b.level == "normal"):
            if length(items, normal + [b.id]) <= cap:
                normal.append(b.id)
        sessions.append(replace(session, items=tuple(items), priority_bulletins=tuple(prio),
                                normal_bulletins=tuple(normal)))
    for b in (b for b in placed if b.level == "normal"):
        if not any(b.id in s.normal_bulletins for s in sessions):
            notes.append(f"{b.source}: normal bulletin '{b.id}' fits in no session of its window within the caps")
    return Placement(Plan(tuple(sessions)), tuple(notes))


def bulletin_by_id(schedule) -> dict[str, Bulletin]:
    """Every bulletin of the schedule, by id."""
    return {b.id: b for b in load_bulletins(schedule)}
