"""`broadcast check` catches what a build would reject before voicing; odd inputs give exit 2, not a crash
(issue 9: D10, D16, the long jingle)."""

from __future__ import annotations

import math
import re
import struct
import time
import wave

from typer.testing import CliRunner

from broadcast.cli import app
from conftest import write_small_campaign

runner = CliRunner()

EMPTY_SIGNOFF = '{% extends "default/base.j2" %}\n{% block closing %}{% endblock %}\n'


def write_tone(path, seconds: float, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 660 * n / rate)))
                               for n in range(int(seconds * rate))))


def with_jingle(config, jingle: str):
    text = config.read_text(encoding="utf-8").replace('    locality: "huyện Tân Phú"\n',
                                                      f'    locality: "huyện Tân Phú"\n    jingle: {jingle}\n', 1)
    config.write_text(text, encoding="utf-8")
    return config


def test_check_rejects_a_section_with_nothing_to_say_and_so_does_build_before_voicing(tmp_path):
    config = write_small_campaign(tmp_path / "project")
    (config.parent / "templates").mkdir()
    (config.parent / "templates" / "base.j2").write_text(EMPTY_SIGNOFF, encoding="utf-8")
    checked = runner.invoke(app, ["check", "-c", str(config)])
    assert checked.exit_code == 2 and "section closing: has no words to say" in checked.output, checked.output
    built = runner.invoke(app, ["build", "-c", str(config)])
    assert built.exit_code == 2 and "section closing: has no words to say" in built.output, built.output
    assert not (config.parent / "audio_out" / "segments").exists()


def test_check_rejects_a_jingle_that_is_empty_or_not_audio_at_its_line(tmp_path):
    for name, data in (("empty.mp3", b""), ("notes.mp3", b"these are not sounds\n" * 50)):
        config = with_jingle(write_small_campaign(tmp_path / name), name)
        (config.parent / name).write_bytes(data)
        result = runner.invoke(app, ["check", "-c", str(config)])
        assert result.exit_code == 2, result.output
        assert re.search(r"schedule\.yaml:\d+: stations\[0\]\.jingle: .*" + name, result.output), result.output
        assert "Traceback" not in result.output


def test_a_good_jingle_passes_check(tmp_path):
    config = with_jingle(write_small_campaign(tmp_path / "p"), "ding.wav")
    write_tone(config.parent / "ding.wav", 2.0)
    result = runner.invoke(app, ["check", "-c", str(config)])
    assert result.exit_code == 0, result.output


def test_a_long_jingle_is_refused_without_decoding_it_whole(tmp_path):
    config = with_jingle(write_small_campaign(tmp_path / "p"), "long.wav")
    write_tone(config.parent / "long.wav", 1200.0)  # 20 minutes
    started = time.monotonic()
    result = runner.invoke(app, ["check", "-c", str(config)])
    assert result.exit_code == 2 and "at least 60 s is longer than 30 s" in result.output, result.output
    assert time.monotonic() - started < 60


def test_say_with_nothing_to_say_is_bad_input(tmp_path):
    for text in ("", "   ", "\n\n"):
        result = runner.invoke(app, ["say", text, "-o", str(tmp_path / "x.mp3"), "--engine", "espeak"])
        assert result.exit_code == 2 and "nothing to say" in result.output, result.output
        assert "internal error" not in result.output


def test_a_campaign_ending_on_the_last_day_of_the_calendar_is_refused_by_check(tmp_path):
    config = write_small_campaign(tmp_path / "p")
    text = config.read_text(encoding="utf-8").replace("start: 2023-07-01", "start: 9999-12-31").replace(
        "end: 2023-07-02", "end: 9999-12-31").replace('"17:00"', '"23:58"')
    config.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", "-c", str(config)])
    assert result.exit_code == 2 and "schedule.yaml:6: campaign.end: 9999-12-31 is too far" in result.output, result.output
