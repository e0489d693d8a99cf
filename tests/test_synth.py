"""Whole items voiced offline into broadcast-ready MP3s, decoded and measured."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from broadcast.audio import measure, mp3_info, read_tags
from broadcast.cli import app
from broadcast.project import open_project
from broadcast.script import render_script
from broadcast.voice import speak_to_mp3

runner = CliRunner()


@pytest.fixture
def bare_project(tmp_path, monkeypatch):
    """A project with no schedule.yaml, working in an empty folder (its cache lives there)."""
    monkeypatch.chdir(tmp_path)
    return open_project()


def test_synthesized_item_is_broadcast_ready(bare_project, tmp_path):
    out = tmp_path / "khoa-sim.mp3"
    result = runner.invoke(app, ["synth", "khoa-sim", "-a", "general", "-s", "Đài truyền thanh xã Phú Lâm",
                                 "--engine", "espeak", "-o", str(out)])
    assert result.exit_code == 0, result.output
    m = measure(out)
    settings = bare_project.audio_settings()
    assert 90 <= m.duration_s <= 240
    assert abs(m.integrated_lufs - settings.loudness_lufs) <= 0.5
    assert m.true_peak_dbtp <= settings.true_peak_dbtp  # published like a segment: metered on the MP3
    assert m.leading_silence_s <= settings.edge_pause_ms / 1000 + 0.05
    assert m.trailing_silence_s <= settings.edge_pause_ms / 1000 + 0.05
    info = mp3_info(out)
    assert (info.sample_rate, info.channels, info.bitrate_kbps) == (44100, 1, settings.bitrate_kbps)
    tags = read_tags(out)
    assert "Lừa đảo" in tags.title and tags.engine == "espeak"


def test_second_synth_of_the_same_item_does_no_synthesis(bare_project, tmp_path):
    script = render_script(bare_project.env, bare_project.handbook, "chuyen-nham-tien", "farmers",
                           bare_project.station(None), bare_project.campaign)
    sections = [s.text for s in script.sections]
    first = speak_to_mp3(bare_project, sections, tmp_path / "a.mp3", engine="espeak")
    second = speak_to_mp3(bare_project, sections, tmp_path / "b.mp3", engine="espeak")
    assert first.tts_calls > 10
    assert second.tts_calls == 0
    assert abs(first.duration_s - second.duration_s) < 0.05


def test_slower_tempo_makes_the_same_text_longer(bare_project, tmp_path):
    text = ["Tuyệt đối không cung cấp mã OTP cho bất kỳ ai. Khi nghi ngờ, hãy gọi ngay 113."]
    normal = speak_to_mp3(bare_project, text, tmp_path / "n.mp3", engine="espeak", tempo=1.0, chimes=False)
    slow = speak_to_mp3(bare_project, text, tmp_path / "s.mp3", engine="espeak", tempo=0.8, chimes=False)
    speech_normal = normal.duration_s - 0.5  # minus the two edge pauses, which tempo does not stretch
    assert (slow.duration_s - 0.5) / speech_normal == pytest.approx(1.25, rel=0.08)


def test_say_with_an_unknown_engine_is_a_clear_error(bare_project, tmp_path):
    result = runner.invoke(app, ["say", "xin chào", "--engine", "festival", "-o", str(tmp_path / "x.mp3")])
    assert result.exit_code == 2
    assert "auto, gtts, espeak" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "x.mp3").exists()
