"""load_schedule: schedule.yaml -> a validated Schedule, or one ConfigError listing every problem."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any, Collection

from ..errors import ConfigError
from ..yamlsource import FieldReader, LocatedYAML, PathKey, did_you_mean
from .models import (
    APPROVAL_MODES, AUDIENCES, BITRATES_KBPS, ENGINES, LEVELS, PUBLISH_MODES, REGIONS,
    AudioConfig, Campaign, Level, Rotation, Schedule, Slot, Station, VoiceConfig, is_safe_id,
)
from .source import read_located

log = logging.getLogger(__name__)

TOP_KEYS = ("campaign", "output", "publish", "templates", "content", "lexicon", "regions", "facts", "voice", "audio", "levels",
            "rotation", "stations", "approval", "bulletins", "portal")
CAMPAIGN_KEYS = ("name", "province", "organizer", "start", "end")
VOICE_KEYS = ("engine", "region", "tempo", "tempo_by_audience", "rate", "timeout_s", "retries", "requests_per_second")
AUDIO_KEYS = ("bitrate_kbps", "loudness_lufs", "true_peak_dbtp", "sentence_pause_ms", "section_pause_ms", "chime")
LEVEL_KEYS = ("slots", "items_per_session")
SLOT_KEYS = ("time", "max_minutes")
ROTATION_KEYS = ("min_airings", "min_gap_days", "priority_items", "priority_weight", "stagger")
STATION_KEYS = ("id", "name", "level", "district", "locality", "audiences", "region", "jingle")
MAX_CAMPAIGN_DAYS = 366
# Dates a calendar can carry a session past midnight of (datetime ends at 9999-12-31).
LAST_CAMPAIGN_DAY = dt.date(9998, 12, 31)
MAX_SLOTS = 12
TEMPO_RANGE = (0.7, 1.3)


def load_schedule(path: Path, known_items: Collection[str] | None = None) -> Schedule:
    """Parse and validate schedule.yaml; raise one ConfigError listing every problem (file:line: field: message)."""
    path = Path(path)
    doc = read_located(path, str(path))
    return build_schedule(doc, path, known_items)


def build_schedule(doc: LocatedYAML, path: Path, known_items: Collection[str] | None = None) -> Schedule:
    """Validate already-parsed schedule data (relative paths resolve against `path`'s folder)."""
    r = FieldReader(doc, Path(path).absolute().parent)
    if doc.data is None:
        raise ConfigError.at(doc.file, 1, "", "the file is empty; it needs at least campaign, levels and stations")
    top = r.mapping(doc.data, (), TOP_KEYS, required=("campaign", "levels", "stations"))
    if top is None:
        raise ConfigError(r.problems)
    # A missing required section is reported once, by r.mapping above.
    campaign = _campaign(r, top["campaign"]) if "campaign" in top else None
    voice = _voice(r, top.get("voice", {}))
    audio = _audio(r, top.get("audio", {}))
    levels = _levels(r, top["levels"]) if "levels" in top else {}
    rotation = _rotation(r, top.get("rotation", {}), known_items)
    declared = set(top["levels"]) if isinstance(top.get("levels"), dict) else None
    stations = _stations(r, top["stations"], declared, voice.region if voice else "north") if "stations" in top else ()
    output = r.file_path(top.get("output", "audio_out"), ("output",), must_be="dir")
    publish = r.choice(top.get("publish", "full"), ("publish",), PUBLISH_MODES, "a publish mode")
    templates = None if top.get("templates", "templates") is None else r.file_path(top.get("templates", "templates"), ("templates",), "dir")
    content = _paths(r, top.get("content", []), ("content",))
    lexicon = _paths(r, top.get("lexicon", []), ("lexicon",))
    bulletins = _paths(r, top.get("bulletins", []), ("bulletins",))
    approval = r.choice(top.get("approval", "none"), ("approval",), APPROVAL_MODES, "an approval mode")
    portal = r.mapping(top.get("portal", {}), ("portal",), ("database",), required=()) or {}
    database = r.file_path(portal.get("database", "portal.sqlite3"), ("portal", "database"), must_be=None)
    regions = _paths(r, top.get("regions", []), ("regions",))
    air_unconfirmed = r.boolean(top.get("facts", {}).get("air_unconfirmed", False), ("facts", "air_unconfirmed")) \
        if r.mapping(top.get("facts", {}), ("facts",), ("air_unconfirmed",)) is not None else False
    if r.problems:
        raise ConfigError(sorted(r.problems, key=lambda p: p.line or 0))
    log.debug("loaded %s: %d stations", path, len(stations))
    return Schedule(
        path=Path(path), campaign=campaign, output=output, publish=publish, templates=templates,  # type: ignore[arg-type]
        content=content, lexicon=lexicon, regions=regions, air_unconfirmed=bool(air_unconfirmed), voice=voice, audio=audio, levels=levels, rotation=rotation,  # type: ignore[arg-type]
        stations=stations, source=doc, approval=approval or "none", bulletins=bulletins, portal_database=database,
    )


def _campaign(r: FieldReader, raw: Any) -> Campaign | None:
    path: PathKey = ("campaign",)
    data = r.mapping(raw, path, CAMPAIGN_KEYS, required=("name", "province", "start", "end"))
    if data is None:
        return None
    name, province = r.text(data.get("name"), path + ("name",)), r.text(data.get("province"), path + ("province",))
    organizer = r.text(data["organizer"], path + ("organizer",)) if "organizer" in data else ""
    start = r.date(data.get("start"), path + ("start",)) if "start" in data else None
    end = r.date(data.get("end"), path + ("end",)) if "end" in data else None
    if start and end:
        if end < start:
            r.fail(path + ("end",), f"the campaign ends ({end}) before it starts ({start})")
            return None
        if end > LAST_CAMPAIGN_DAY:
            r.fail(path + ("end",), f"{end} is too far in the future (the last campaign day allowed is {LAST_CAMPAIGN_DAY})")
            return None
        if (end - start).days + 1 > MAX_CAMPAIGN_DAYS:
            r.fail(path + ("end",), f"the campaign lasts {(end - start).days + 1} days; at most {MAX_CAMPAIGN_DAYS} are allowed")
            return None
    if None in (name, province, organizer, start, end):
        return None
    return Campaign(name=name, province=province, organizer=organizer, start=start, end=end)  # type: ignore[arg-type]


def _voice(r: FieldReader, raw: Any) -> VoiceConfig | None:
    path: PathKey = ("voice",)
    data = r.mapping(raw, path, VOICE_KEYS)
    if data is None:
        return None
    engine = r.choice(data.get("engine", "auto"), path + ("engine",), ENGINES, "a voice engine")
    region = r.choice(data.get("region", "north"), path + ("region",), REGIONS, "a voice region")
    tempo = r.number(data.get("tempo", 1.0), path + ("tempo",), *TEMPO_RANGE)
    by_audience: list[tuple[str, float]] = []
    per = data.get("tempo_by_audience", {})
    if r.mapping(per, path + ("tempo_by_audience",), AUDIENCES) is not None:
        for aud, value in per.items():
            checked = r.number(value, path + ("tempo_by_audience", aud), *TEMPO_RANGE)
            if aud in AUDIENCES and checked is not None:
                by_audience.append((aud, checked))
    rate = r.integer(data.get("rate", 150), path + ("rate",), 80, 450)
    timeout_s = r.number(data.get("timeout_s", 8.0), path + ("timeout_s",), 0.5, 120)
    retries = r.integer(data.get("retries", 3), path + ("retries",), 0, 10)
    per_second = r.number(data.get("requests_per_second", 2.0), path + ("requests_per_second",), 0.1, 20)
    if None in (engine, region, tempo, rate, timeout_s, retries, per_second):
        return None
    return VoiceConfig(engine=engine, region=region, tempo=tempo, tempo_by_audience=tuple(by_audience),  # type: ignore[arg-type]
                       rate=rate, timeout_s=timeout_s, retries=retries,  # type: ignore[arg-type]
                       requests_per_second=per_second)  # type: ignore[arg-type]


def _audio(r: FieldReader, raw: Any) -> AudioConfig | None:
    path: PathKey = ("audio",)
    data = r.mapping(raw, path, AUDIO_KEYS)
    if data is None:
        return None
    base = AudioConfig()
    bitrate = data.get("bitrate_kbps", base.bitrate_kbps)
    if r.integer(bitrate, path + ("bitrate_kbps",), BITRATES_KBPS[0], BITRATES_KBPS[-1]) is not None and bitrate not in BITRATES_KBPS:
        r.fail(path + ("bitrate_kbps",), f"{bitrate} is not an MP3 bitrate (one of {', '.join(map(str, BITRATES_KBPS))})")
    values = {
        "bitrate_kbps": int(bitrate) if bitrate in BITRATES_KBPS and not isinstance(bitrate, bool) else None,
        "loudness_lufs": r.number(data.get("loudness_lufs", base.loudness_lufs), path + ("loudness_lufs",), -36.0, -6.0),
        "true_peak_dbtp": r.number(data.get("true_peak_dbtp", base.true_peak_dbtp), path + ("true_peak_dbtp",), -9.0, 0.0),
        "sentence_pause_ms": r.integer(data.get("sentence_pause_ms", base.sentence_pause_ms), path + ("sentence_pause_ms",), 0, 5000),
        "section_pause_ms": r.integer(data.get("section_pause_ms", base.section_pause_ms), path + ("section_pause_ms",), 0, 10000),
    }
    chime = data.get("chime")
    chime_path = None if chime is None else r.file_path(chime, path + ("chime",), must_be="file")
    if None in values.values() or (chime is not None and chime_path is None):
        return None
    return AudioConfig(chime=chime_path, **values)  # type: ignore[arg-type]


def _levels(r: FieldReader, raw: Any) -> dict[str, Level]:
    path: PathKey = ("levels",)
    levels: dict[str, Level] = {}
    data = r.mapping(raw, path, LEVELS)
    if data is None:
        return levels
    if not data:
        r.fail(path, f"must define at least one level ({', '.join(LEVELS)})")
    for name, body in data.items():
        here = path + (name,)
        spec = r.mapping(body, here, LEVEL_KEYS, required=LEVEL_KEYS)
        if spec is None or name not in LEVELS:
            continue
        per_session = r.integer(spec.get("items_per_session"), here + ("items_per_session",), 1, 20) if "items_per_session" in spec else None
        raw_slots = r.sequence(spec.get("slots"), here + ("slots",), non_empty=True, most=MAX_SLOTS) if "slots" in spec else None
        slots: list[Slot] = []
        for i, raw_slot in enumerate(raw_slots or []):
            where = here + ("slots", i)
            slot = r.mapping(raw_slot, where, SLOT_KEYS, required=SLOT_KEYS)
            if slot is None:
                continue
            time = r.time(slot.get("time"), where + ("time",)) if "time" in slot else None
            cap = r.number(slot.get("max_minutes"), where + ("max_minutes",), 0.0, 240.0, low_open=True) if "max_minutes" in slot else None
            if time is None or cap is None:
                continue
            if slots and time <= slots[-1].time:
                r.fail(where + ("time",), f"{time:%H:%M} must come after the slot before it ({slots[-1].time:%H:%M}): list slots in time order, once each")
                continue
            slots.append(Slot(time=time, max_minutes=cap))
        if raw_slots and per_session is not None and len(slots) == len(raw_slots):
            levels[name] = Level(slots=tuple(slots), items_per_session=per_session)
    return levels  # a plain dict, not a MappingProxyType, so a Schedule pickles for worker processes


def _rotation(r: FieldReader, raw: Any, known_items: Collection[str] | None) -> Rotation | None:
    path: PathKey = ("rotation",)
    data = r.mapping(raw, path, ROTATION_KEYS)
    if data is None:
        return None
    base = Rotation()
    values = {
        "min_airings": r.integer(data.get("min_airings", base.min_airings), path + ("min_airings",), 0, 100),
        "min_gap_days": r.integer(data.get("min_gap_days", base.min_gap_days), path + ("min_gap_days",), 0, MAX_CAMPAIGN_DAYS),
        "priority_weight": r.integer(data.get("priority_weight", base.priority_weight), path + ("priority_weight",), 1, 10),
        "stagger": r.boolean(data.get("stagger", base.stagger), path + ("stagger",)),
    }
    known = list(known_items) if known_items is not None else None
    priority: list[str] = []
    for i, item in enumerate(r.sequence(data.get("priority_items", []), path + ("priority_items",)) or []):
        where = path + ("priority_items", i)
        if known is not None and item not in known:
            word = item if isinstance(item, str) else str(item)
            r.fail(where, f"unknown item id '{word}'{did_you_mean(word, known)}")
        elif known is None and r.ident(item, where, "item id") is None:
            continue
        elif item in priority:
            r.fail(where, f"'{item}' is listed twice")
        else:
            priority.append(item)
    if None in values.values():
        return None
    return Rotation(priority_items=tuple(priority), **values)  # type: ignore[arg-type]


def _stations(r: FieldReader, raw: Any, levels: set[str] | None, default_region: str) -> tuple[Station, ...]:
    entries = r.sequence(raw, ("stations",), non_empty=True) or []
    stations: list[Station | None] = [_station(r, entry, i, levels, default_region) for i, entry in enumerate(entries)]
    first_at: dict[str, int] = {}
    for i, entry in enumerate(entries):
        st_id = entry.get("id") if isinstance(entry, dict) else None
        if not is_safe_id(st_id):
            continue
        if st_id in first_at:
            first = first_at[st_id]
            r.fail(("stations", i, "id"), f"duplicate station id '{st_id}' (first at stations[{first}], line {r.doc.line(('stations', first, 'id'))})")
        else:
            first_at[st_id] = i
    by_id = {st.id: st for st in stations if st is not None}
    for i, st in enumerate(stations):
        if st is None or st.district is None:
            continue
        parent = by_id.get(st.district)
        if parent is None:
            r.fail(("stations", i, "district"), f"no station has the id '{st.district}'{did_you_mean(st.district, [s.id for s in by_id.values() if s.level == 'district'])}")
        elif parent.level != "district":
            r.fail(("stations", i, "district"), f"station '{st.district}' is a {parent.level} station, not a district one")
    return tuple(st for st in stations if st is not None)


def _station(r: FieldReader, raw: Any, i: int, levels: set[str] | None, default_region: str) -> Station | None:
    path: PathKey = ("stations", i)
    data = r.mapping(raw, path, STATION_KEYS, required=("id", "name", "level", "locality"))
    if data is None:
        return None
    before = len(r.problems)
    st_id = r.ident(data.get("id"), path + ("id",), "station id") if "id" in data else None
    name = r.text(data.get("name"), path + ("name",)) if "name" in data else None
    locality = r.text(data.get("locality"), path + ("locality",)) if "locality" in data else None
    level = r.choice(data.get("level"), path + ("level",), LEVELS, "a station level") if "level" in data else None
    if level is not None and levels is not None and level not in levels:
        r.fail(path + ("level",), f"level '{level}' has no entry under levels: (add its slots and items_per_session)")
    district = None
    if level == "commune":
        if "district" not in data:
            r.fail(path + ("district",), "missing: a commune station names its district station (the id of a district-level station)")
        else:
            district = r.ident(data["district"], path + ("district",), "station id")
    elif level == "district" and "district" in data:
        r.fail(path + ("district",), "only commune stations belong to a district station; remove this key")
    region = r.choice(data["region"], path + ("region",), REGIONS, "a voice region") if "region" in data else default_region
    jingle = r.file_path(data["jingle"], path + ("jingle",), must_be="file") if data.get("jingle") is not None else None
    audiences = _audiences(r, data.get("audiences", {"general": 1}), path + ("audiences",))
    if len(r.problems) > before or None in (st_id, name, locality, level, region, audiences):
        return None
    return Station(
        id=st_id, name=name, level=level, locality=locality, district=district,  # type: ignore[arg-type]
        audiences=audiences, region=region, jingle=jingle,  # type: ignore[arg-type]
    )


def _audiences(r: FieldReader, raw: Any, path: PathKey) -> tuple[tuple[str, int], ...] | None:
    data = r.mapping(raw, path, AUDIENCES)
    if data is None:
        return None
    if not data:
        r.fail(path, f"must name at least one audience ({', '.join(AUDIENCES)}) with a weight")
        return None
    mix = [(aud, r.integer(weight, path + (aud,), 1, 100)) for aud, weight in data.items() if aud in AUDIENCES]
    if len(mix) != len(data) or any(w is None for _, w in mix):
        return None
    return tuple(mix)  # type: ignore[arg-type]


def _paths(r: FieldReader, raw: Any, path: PathKey) -> tuple[Path, ...]:
    entries = r.sequence(raw, path) or []
    found = [r.file_path(entry, path + (i,), must_be="file") for i, entry in enumerate(entries)]
    return tuple(p for p in found if p is not None)
