"""Opening a project: schedule.yaml settings reach the voice and audio stages unchanged."""

from __future__ import annotations

import pytest

from broadcast.errors import ConfigError
from broadcast.project import open_project
from conftest import PROJECT_ROOT, write_small_campaign

SHIPPED = PROJECT_ROOT / "schedule.yaml"


def test_shipped_voice_and_audio_settings_reach_the_engines():
    project = open_project(SHIPPED)
    voice = project.voice_settings()
    assert (voice.engine, voice.region, voice.rate, voice.timeout_s, voice.retries) == ("auto", "south", 150, 8.0, 3)
    assert project.voice_settings(engine="espeak", region="north").engine == "espeak"
    audio = project.audio_settings("elderly")
    assert (audio.bitrate_kbps, audio.loudness_lufs, audio.true_peak_dbtp, audio.tempo) == (48, -16.0, -1.5, 0.9)
    assert project.audio_settings("workers").tempo == 1.0
    assert project.audio_settings("workers", tempo=1.2).tempo == 1.2


def test_voice_rate_out_of_range_is_reported_at_its_line(tmp_path):
    config = write_small_campaign(tmp_path)
    text = config.read_text(encoding="utf-8").replace("voice: {engine: espeak,", "voice: {rate: 900, engine: espeak,")
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"schedule\.yaml:9: voice\.rate: 900 is out of range"):
        open_project(config)


def test_unknown_priority_item_is_reported_with_its_line(tmp_path):
    config = write_small_campaign(tmp_path)
    text = config.read_text(encoding="utf-8").replace("stagger: true}", "stagger: true, priority_items: [khoa-sin]}")
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"schedule\.yaml:\d+: rotation\.priority_items\[0\]: unknown item id 'khoa-sin'.*khoa-sim"):
        open_project(config)


def test_missing_templates_folder_given_on_the_command_line_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="templates folder not found"):
        open_project(SHIPPED, templates=tmp_path / "nope")


def test_config_accepts_exactly_what_the_voice_and_audio_stages_accept():
    """schedule.yaml is validated before the stages see it: its lists of choices must match theirs."""
    from broadcast import config
    from broadcast.audio.settings import BITRATES_KBPS
    from broadcast.tts.base import ENGINES, REGION_VOICES

    assert config.ENGINES == ENGINES and config.REGIONS == tuple(REGION_VOICES)
    assert config.BITRATES_KBPS == BITRATES_KBPS
