"""The typed, frozen models that schedule.yaml is parsed into (once, at the edge)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from ..content import AUDIENCES  # noqa: F401 - re-exported: the audience ids belong to the content
from ..errors import Problem
from ..yamlsource import LocatedYAML, PathKey, is_safe_id  # noqa: F401 - re-exported

REGIONS: tuple[str, ...] = ("north", "central", "south")
ENGINES: tuple[str, ...] = ("auto", "gtts", "espeak")
LEVELS: tuple[str, ...] = ("district", "commune")
PUBLISH_MODES: tuple[str, ...] = ("full", "segments")
# none: a build goes live at once; required: a build is a draft until `broadcast approve`.
APPROVAL_MODES: tuple[str, ...] = ("none", "required")
# Bitrates an MPEG-1 Layer III stream at 44.1 kHz can use (the house format is CBR).
BITRATES_KBPS: tuple[int, ...] = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)

@dataclass(frozen=True)
class Campaign:
    """The campaign's name, province, organizer and dates (inclusive)."""

    name: str
    province: str
    organizer: str
    start: dt.date
    end: dt.date

    def days(self) -> list[dt.date]:
        """Every date of the campaign, start to end inclusive."""
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class VoiceConfig:
    """The `voice:` section; the lead maps it onto broadcast.tts.VoiceSettings."""

    engine: str = "auto"
    region: str = "north"
    tempo: float = 1.0
    tempo_by_audience: tuple[tuple[str, float], ...] = ()
    rate: int = 150  # espeak-ng words (syllables) a minute
    timeout_s: float = 8.0  # every gTTS request
    retries: int = 3  # gTTS retries on timeouts, 429 and 5xx
    requests_per_second: float = 2.0  # gTTS requests a second for the whole build, all worker processes together

    def tempo_for(self, audience: str) -> float:
        """The tempo for an audience: its own if set, else the default tempo."""
        return dict(self.tempo_by_audience).get(audience, self.tempo)


@dataclass(frozen=True)
class AudioConfig:
    """The `audio:` section; the lead maps it onto broadcast.audio.AudioSettings."""

    bitrate_kbps: int = 64
    loudness_lufs: float = -16.0
    true_peak_dbtp: float = -1.5
    sentence_pause_ms: int = 400
    section_pause_ms: int = 900
    chime: Path | None = None


@dataclass(frozen=True)
class Slot:
    """One daily session slot: its start time and its length cap."""

    time: dt.time
    max_minutes: float


@dataclass(frozen=True)
class Level:
    """The session slots and items per session shared by every station of one level."""

    slots: tuple[Slot, ...]
    items_per_session: int


@dataclass(frozen=True)
class Rotation:
    """How items rotate over days, slots and stations."""

    min_airings: int = 1
    min_gap_days: int = 3
    priority_items: tuple[str, ...] = ()
    priority_weight: int = 2
    stagger: bool = True


@dataclass(frozen=True)
class Station:
    """One loudspeaker station (district or commune level)."""

    id: str
    name: str
    level: str
    locality: str
    district: str | None
    audiences: tuple[tuple[str, int], ...]
    region: str
    jingle: Path | None = None


@dataclass(frozen=True)
class Schedule:
    """The whole validated schedule.yaml."""

    path: Path
    campaign: Campaign
    output: Path
    publish: str
    templates: Path | None
    content: tuple[Path, ...]
    lexicon: tuple[Path, ...]
    regions: tuple[Path, ...]  # editors' overrides of the forms of address and region words
    air_unconfirmed: bool  # facts: air the facts the handbook marks unconfirmed (default: leave them out)
    voice: VoiceConfig
    audio: AudioConfig
    levels: Mapping[str, Level]
    rotation: Rotation
    stations: tuple[Station, ...]
    source: LocatedYAML = field(repr=False, compare=False)
    approval: str = "none"
    bulletins: tuple[Path, ...] = ()  # editors' bulletin files (bulletins.yaml beside this file is read too)
    portal_database: Path | None = None  # the portal's SQLite file (portal: {database: ...}), next to schedule.yaml

    def problem(self, path: PathKey, message: str) -> Problem:
        """A Problem located at the line of `path` in schedule.yaml (or its nearest parent)."""
        return self.source.problem(path, message)

    def station(self, station_id: str) -> Station:
        """The station with this id (KeyError if there is none)."""
        for st in self.stations:
            if st.id == station_id:
                return st
        raise KeyError(station_id)

    def station_index(self, station_id: str) -> int:
        """The position of a station in `stations:` (for locating problems)."""
        for i, st in enumerate(self.stations):
            if st.id == station_id:
                return i
        raise KeyError(station_id)

    def level_of(self, station: Station) -> Level:
        """The slots and items per session of a station's level."""
        return self.levels[station.level]

    def days(self) -> list[dt.date]:
        """Every date of the campaign."""
        return self.campaign.days()
