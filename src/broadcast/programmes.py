"""The plan's sessions as programmes: each session's scripts rendered, made speech-ready, and cut into the
segments it is made of (chime, opening, bulletins, bodies, closing). Nothing is voiced here: `publish`
produces the segments and assembles the programmes."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from .check import empty_sections, spoken_paragraphs
from .config.models import PUBLISH_MODES
from .errors import ConfigError, InputError, Problem
from .script import Script, render_script
from .segments import SegmentSpec
from .yamlsource import did_you_mean


Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildOptions:
    """What to build; flags that mirror schedule.yaml default to None so the file wins."""

    start: dt.date | None = None
    end: dt.date | None = None
    stations: tuple[str, ...] = ()
    engine: str | None = None
    mode: str | None = None  # "full" | "segments"
    workers: int | None = None
    cache_dir: Path | None = None
    by: str | None = None  # who made the build (recorded in its release)


@dataclass(frozen=True)
class Programme:
    """One station session as it will be published."""

    date: dt.date
    time: dt.time
    station_id: str
    audience: str
    items: tuple[str, ...]
    segment_keys: tuple[str, ...]
    # What is read, section by section, in order. The sections are shared with the scripts they come from;
    # joined only when the .txt is written (a province's 7,240 joined texts held 31 MB through a build).
    script_parts: tuple[str, ...]
    key: str
    bulletins: tuple[str, ...] = ()  # normal and priority bulletins read in this session

    @property
    def script_text(self) -> str:
        return "\n\n".join(self.script_parts)

    @property
    def stem(self) -> str:
        return f"{self.station_id}_{self.date.isoformat()}_{self.time.strftime('%Hh%M')}"

    def path(self, ext: str) -> str:
        # The content key in the name keeps old files valid until the new manifest replaces them.
        return f"{self.date.isoformat()}/{self.station_id}/{self.stem}-{self.key[:8]}.{ext}"


def playlist_text(programme: Programme, segments: dict[str, dict], title: str) -> str:
    """The session's M3U8 playlist: its segments in order, relative to the programme's folder."""
    lines = ["#EXTM3U", f"#PLAYLIST:{title}"]
    for key in programme.segment_keys:
        seg = segments[key]
        lines += [f"#EXTINF:{seg['duration_s']:.2f},{seg.get('label', '')}", f"../../{seg['file']}"]
    return "\n".join(lines) + "\n"


class Gatherer:
    """Turns the plan's sessions into programmes and the unique segments they are made of (nothing voiced yet)."""

    def __init__(self, project, options: BuildOptions, progress: Progress | None):
        if project.schedule is None:
            raise ConfigError("no schedule.yaml: pass --config FILE or run in the folder that has one")
        self.project = project
        self.schedule = schedule = project.schedule
        self.options = options
        self.progress = progress or (lambda stage, done, total: None)
        self.out = schedule.output
        self.mode = options.mode or schedule.publish
        if self.mode not in PUBLISH_MODES:
            raise ConfigError(f"--mode: '{self.mode}' is not a publish mode{did_you_mean(self.mode, PUBLISH_MODES)}")
        self.voice_base = project.voice_settings(engine=options.engine)
        self.audio_base = project.audio_settings()
        self.chime_default = schedule.audio.chime
        self.cache_dir = options.cache_dir or project.cache_dir
        self._scripts: dict[tuple[str, str, str], Script] = {}
        self._speech: dict[str, tuple[str, ...]] = {}

    # -- gather -------------------------------------------------------------------------------
    def _days(self) -> tuple[dt.date, dt.date]:
        c = self.schedule.campaign
        start, end = self.options.start or c.start, self.options.end or c.end
        problems = []
        if start < c.start or start > c.end:
            problems.append(Problem("--from", None, "", f"{start} is outside the campaign ({c.start} to {c.end})"))
        if end < c.start or end > c.end:
            problems.append(Problem("--to", None, "", f"{end} is outside the campaign ({c.start} to {c.end})"))
        if end < start:
            problems.append(Problem("--to", None, "", f"{end} is before --from {start}"))
        if problems:
            raise ConfigError(problems)
        return start, end

    def _stations(self) -> set[str]:
        known = [s.id for s in self.schedule.stations]
        for sid in self.options.stations:
            if sid not in known:
                raise ConfigError(f"--station: unknown station '{sid}'{did_you_mean(sid, known)}")
        return set(self.options.stations or known)

    def script(self, station, audience: str, item: str) -> Script:
        key = (station.id, audience, item)
        if key not in self._scripts:
            from .project import station_info

            self._scripts[key] = render_script(self.project.env, self.project.handbook, item, audience,
                                               station_info(station), self.project.campaign)
        return self._scripts[key]

    def speech(self, text: str) -> tuple[str, ...]:
        """Speech-ready paragraphs of a section (memoized: stations share most of their text)."""
        if text not in self._speech:
            self._speech[text] = tuple(spoken_paragraphs(text, self.project.lexicon))
        return self._speech[text]

    def segment(self, kind: str, text: str, station, audience: str, label: str) -> SegmentSpec:
        tempo = self.schedule.voice.tempo_for(audience)
        voice = replace(self.voice_base, region=station.region)
        return SegmentSpec(kind, self.speech(text), voice, replace(self.audio_base, tempo=tempo), label)

    @functools.cached_property
    def bulletins(self) -> dict:
        from .bulletins import bulletin_by_id

        return bulletin_by_id(self.schedule)

    def bulletin(self, bulletin_id: str, station, audience: str) -> SegmentSpec:
        """A normal or priority bulletin read inside a rotation session, in the session's voice."""
        return self.segment("bulletin", self.bulletins[bulletin_id].spoken, station, audience,
                            f"bulletin {bulletin_id}/{audience}")

    def chime(self, station) -> SegmentSpec:
        jingle = station.jingle or self.chime_default
        return SegmentSpec("chime", (), self.voice_base, replace(self.audio_base, chime=jingle), f"chime {station.id if station.jingle else ''}".strip())

    def gather(self, plan) -> tuple[list[Programme], dict[str, SegmentSpec]]:
        start, end = self._days()
        wanted = self._stations()
        specs: dict[str, SegmentSpec] = {}
        programmes: list[Programme] = []
        problems: list[Problem] = []
        sessions = [s for s in plan.sessions if start <= s.date <= end and s.station_id in wanted]
        for n, session in enumerate(sessions):
            station = self.schedule.station(session.station_id)
            try:
                scripts = [self.script(station, session.audience, item) for item in session.items]
                empty = [p for s in scripts for p in empty_sections(s, self.speech)]
                if empty:  # found before any voicing, as `broadcast check` finds it
                    raise InputError(empty)
                chime = self.chime(station)
                parts = [chime, self.segment("opening", scripts[0].section("opening"), station, session.audience,
                                             f"opening {station.id}/{session.audience}")]
                parts += [self.bulletin(b, station, session.audience) for b in session.priority_bulletins]
                parts += [self.segment("body", s.section("body"), station, session.audience, f"body {s.item_id}/{session.audience}")
                          for s in scripts]
                parts += [self.bulletin(b, station, session.audience) for b in session.normal_bulletins]
                parts += [self.segment("closing", scripts[0].section("closing"), station, session.audience,
                                       f"closing {station.id}/{session.audience}"), chime]
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            keys = tuple(p.key for p in parts)
            for p, k in zip(parts, keys):
                specs.setdefault(k, p)
            said = [self.bulletins[b].spoken for b in session.priority_bulletins]
            said += [s.section("body") for s in scripts] + [self.bulletins[b].spoken for b in session.normal_bulletins]
            text = (scripts[0].section("opening"), *said, scripts[0].section("closing"))
            pkey = hashlib.sha256(json.dumps([keys, session.date.isoformat(), session.time.isoformat(), station.id,
                                              station.name, self.schedule.campaign.name, session.items,
                                              session.priority_bulletins, session.normal_bulletins]).encode()).hexdigest()
            programmes.append(Programme(session.date, session.time, station.id, session.audience, tuple(session.items),
                                        keys, text, pkey, session.priority_bulletins + session.normal_bulletins))
            if n % 200 == 0:
                self.progress("scripts", n + 1, len(sessions))
        if problems:
            unique = list(dict.fromkeys(problems))
            raise InputError(unique)
        self.progress("scripts", len(sessions), len(sessions))
        return programmes, specs
