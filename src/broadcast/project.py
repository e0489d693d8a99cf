"""Open a project once: schedule.yaml (when there is one), handbook, templates and lexicon."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from .content import Handbook, load_handbook
from .errors import ConfigError
from .regions import load_regions
from .script import CampaignInfo, StationInfo, make_environment

if TYPE_CHECKING:
    from .config import Schedule, Station

log = logging.getLogger(__name__)

DEFAULT_CONFIG = Path("schedule.yaml")
# Used when no schedule.yaml is given or found: the shipped campaign, an unnamed commune station.
DEFAULT_CAMPAIGN = CampaignInfo(
    name="Tháng hành động tuyên truyền về nhận diện và phòng chống lừa đảo trực tuyến",
    start=dt.date(2023, 7, 1), end=dt.date(2023, 7, 20), province="Đồng Nai",
    organizer="Sở Thông tin và Truyền thông tỉnh Đồng Nai",
)
DEFAULT_STATION = StationInfo(name="Đài truyền thanh cơ sở", level="commune", locality="")


@dataclass(frozen=True)
class Project:
    """Everything a command needs, parsed once."""

    schedule: "Schedule | None"
    handbook: Handbook
    env: jinja2.Environment
    template_dirs: tuple[Path, ...]

    @property
    def campaign(self) -> CampaignInfo:
        if self.schedule is None:
            return DEFAULT_CAMPAIGN
        c = self.schedule.campaign
        return CampaignInfo(name=c.name, start=c.start, end=c.end, province=c.province, organizer=c.organizer)

    def station(self, name_or_id: str | None) -> StationInfo:
        """A station of schedule.yaml by id, else a station with this on-air name."""
        if name_or_id is None:
            if self.schedule is not None and self.schedule.stations:
                return station_info(self.schedule.stations[0])
            return DEFAULT_STATION
        if self.schedule is not None:
            for st in self.schedule.stations:
                if st.id == name_or_id:
                    return station_info(st)
        return StationInfo(name=name_or_id, level="commune", locality="")

    @cached_property
    def lexicon(self):
        from .speech import load_lexicon

        extra = self.schedule.lexicon if self.schedule is not None else ()
        return load_lexicon(extra)


    @property
    def root(self) -> Path:
        """The folder relative paths hang from: schedule.yaml's folder, else the current one."""
        return self.schedule.path.parent if self.schedule is not None else Path.cwd()

    @property
    def cache_dir(self) -> Path:
        """Where voiced pieces are cached across runs."""
        return self.root / ".cache" / "broadcast"

    def voice_settings(self, engine: str | None = None, region: str | None = None):
        """broadcast.tts.VoiceSettings from schedule.yaml, with command-line overrides."""
        from .tts import VoiceSettings

        if self.schedule is None:
            return VoiceSettings(engine=engine or "auto", region=region or "south")
        v = self.schedule.voice
        return VoiceSettings(engine=engine or v.engine, region=region or v.region, rate=v.rate,
                             timeout_s=v.timeout_s, retries=v.retries, requests_per_second=v.requests_per_second)

    def audio_settings(self, audience: str = "general", tempo: float | None = None):
        """broadcast.audio.AudioSettings from schedule.yaml for an audience, with a tempo override."""
        from .audio import AudioSettings

        if self.schedule is None:
            return AudioSettings(tempo=tempo if tempo is not None else 1.0)
        a = self.schedule.audio
        return AudioSettings(
            bitrate_kbps=a.bitrate_kbps, loudness_lufs=a.loudness_lufs, true_peak_dbtp=a.true_peak_dbtp,
            sentence_pause_ms=a.sentence_pause_ms, section_pause_ms=a.section_pause_ms, chime=a.chime,
            tempo=tempo if tempo is not None else self.schedule.voice.tempo_for(audience),
        )


    def check_speakable(self) -> None:
        """Station and campaign words the voice will say must be readable: ConfigError at their lines if not."""
        from .errors import SpeechError
        from .speech import normalize

        if self.schedule is None:
            return
        s = self.schedule
        fields = [(("campaign", "name"), s.campaign.name), (("campaign", "province"), s.campaign.province),
                  (("campaign", "organizer"), s.campaign.organizer)]
        for i, st in enumerate(s.stations):
            fields += [(("stations", i, "name"), st.name), (("stations", i, "locality"), st.locality)]
        problems = []
        for path, text in fields:
            try:
                normalize(text or "", self.lexicon)
            except SpeechError as exc:
                problems += [s.problem(path, p.message) for p in exc.problems]
        if problems:
            raise ConfigError(problems)


def station_info(station: "Station") -> StationInfo:
    return StationInfo(name=station.name, level=station.level, locality=station.locality, region=station.region)


def open_project(config: Path | None = None, templates: Path | None = None, content: tuple[Path, ...] = ()) -> Project:
    """Load schedule.yaml (the given one, or ./schedule.yaml if present), the handbook and templates."""
    schedule = None
    path = config if config is not None else (DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None)
    if config is not None and not config.is_file():
        raise ConfigError.at(config, None, "", "file not found")
    extra_content: tuple[Path, ...] = tuple(content)
    if path is not None:
        from .config import load_schedule

        # Content first without item checks: the schedule names the editor's content files.
        schedule = load_schedule(path)
        extra_content = tuple(schedule.content) + extra_content
    handbook = load_handbook(extra_content)
    if schedule is not None:
        from .config import build_schedule

        # Validate again from the parsed document, now that the item ids (and editors' items) are known.
        schedule = build_schedule(schedule.source, schedule.path, known_items=handbook.item_ids)
    if templates is not None and not templates.is_dir():
        raise ConfigError.at(str(templates), None, "--templates", "templates folder not found")
    # The schedule's folder is optional: make_environment skips it while it does not exist.
    chosen = templates if templates is not None else (schedule.templates if schedule is not None else None)
    dirs = [chosen] if chosen is not None else []
    env = make_environment(dirs)
    # The forms of address and region words (with the editors' overrides) travel with the environment.
    env.globals["regions"] = load_regions(schedule.regions if schedule is not None else ())
    # Until editors approve facts, unconfirmed ones air only when schedule.yaml says so.
    env.globals["air_unconfirmed"] = schedule.air_unconfirmed if schedule is not None else False
    return Project(schedule=schedule, handbook=handbook, env=env, template_dirs=tuple(dirs))
