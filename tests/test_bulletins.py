"""Bulletins: an emergency bulletin goes from `bulletin add` to its own programme for every target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from broadcast.audio import mp3_info, read_tags
from broadcast.audio.ffmpeg import decode_mp3
from broadcast.cli import app
from broadcast.project import open_project
from broadcast.releases import list_releases

from conftest import build_small_campaign

TEXT = "Công an không bao giờ gọi điện yêu cầu chuyển tiền. Khi nghi ngờ, hãy gọi 113."


def live(folder: Path) -> dict:
    return json.loads((folder / "audio_out" / "manifest.json").read_text(encoding="utf-8"))


def add(folder: Path, *args: str):
    return CliRunner().invoke(app, ["bulletin", "add", "-c", str(folder / "schedule.yaml"), *args])


@pytest.mark.slow
def test_an_emergency_bulletin_reaches_every_target_as_chime_bulletin_twice_chime(campaign_copy):
    folder = campaign_copy
    before = live(folder)
    added = add(folder, "--level", "emergency", "--title", "Cảnh báo giả danh công an", "--text", TEXT,
                "--from", "2023-07-02", "--stations", "tan-phu")  # a district brings its communes
    assert added.exit_code == 0, added.output
    result = CliRunner().invoke(app, ["build", "--bulletins-only", "-c", str(folder / "schedule.yaml")])
    assert result.exit_code == 0, result.output
    m = live(folder)
    assert m["release"] != before["release"] and m["programmes"] == before["programmes"]  # the rotation is untouched
    got = {(b["station"], b["date"], b["time"]) for b in m["bulletins"]}
    assert got == {("tan-phu", "2023-07-02", "05:30"), ("tan-phu-phu-lam", "2023-07-02", "17:00")}
    for rec in m["bulletins"]:
        path = folder / "audio_out" / rec["file"]
        chime, body, body2, chime2 = (m["segments"][k] for k in rec["segments"])
        assert body is body2 or body == body2
        assert chime["kind"] == "chime" and body["kind"] == "bulletin"
        info = mp3_info(path)
        assert info.duration_s == pytest.approx(2 * chime["duration_s"] + 2 * body["duration_s"], abs=0.1)
        assert body["duration_s"] > 5  # the text was voiced, not a stub
        audio = decode_mp3(path)
        assert audio.dBFS > -40  # real sound throughout, decoded
        assert read_tags(path).title == "Phát ngay: Cảnh báo giả danh công an"
        assert rec["file"] in m["files"]
    from broadcast.bulletins import emergency_programmes

    assert {sid: [r["file"] for r in recs] for sid, recs in emergency_programmes(m).items()} == {
        b["station"]: [b["file"]] for b in m["bulletins"]}
    # A later rotation build keeps the emergency programmes on air.
    build_small_campaign(folder / "schedule.yaml")
    after = live(folder)
    assert after["bulletins"] == m["bulletins"]
    assert all((folder / "audio_out" / b["file"]).is_file() for b in after["bulletins"])


@pytest.mark.slow
def test_an_emergency_bulletin_waits_for_approval_when_approval_is_required(campaign_copy):
    folder = campaign_copy
    config = folder / "schedule.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "approval: required\n", encoding="utf-8")
    before = (folder / "audio_out" / "manifest.json").read_bytes()
    assert add(folder, "--level", "emergency", "--title", "Cảnh báo", "--text", TEXT).exit_code == 0
    runner = CliRunner()
    assert runner.invoke(app, ["build", "--bulletins-only", "-c", str(config)]).exit_code == 0
    assert (folder / "audio_out" / "manifest.json").read_bytes() == before
    approved = runner.invoke(app, ["approve", "--by", "Trưởng ban", "-c", str(config)])  # one step
    assert approved.exit_code == 0, approved.output
    m = live(folder)
    assert m["release"] == list_releases(folder / "audio_out")[-1].id and len(m["bulletins"]) == 2


def test_bad_bulletin_flags_name_the_field_and_change_nothing(campaign_copy):
    folder = campaign_copy
    bad_level = add(folder, "--level", "urgent", "--title", "x", "--text", "y")
    assert bad_level.exit_code == 2 and 'level: "urgent" is not a bulletin level' in bad_level.output
    bad_station = add(folder, "--level", "normal", "--title", "x", "--text", "y", "--stations", "tan-fu")
    assert bad_station.exit_code == 2 and "stations[0]: unknown station or district id 'tan-fu'" in bad_station.output
    assert "Traceback" not in bad_level.output + bad_station.output
    assert not (folder / "bulletins.yaml").exists()


def test_a_bad_bulletin_file_is_reported_with_its_line(campaign_copy):
    from broadcast.bulletins import load_bulletins
    from broadcast.errors import ConfigError

    folder = campaign_copy
    (folder / "bulletins.yaml").write_text("bulletins:\n  - id: a\n    title: T\n    text: x\n    level: soon\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bulletins.yaml:5: bulletins\[0\]\.level"):
        load_bulletins(open_project(folder / "schedule.yaml").schedule)


@pytest.mark.slow
def test_bulletins_only_into_an_empty_output_writes_a_manifest_the_next_build_reads(tmp_path):
    from broadcast.bulletins import add_bulletin, build_bulletins
    from broadcast.manifest import load_manifest
    from broadcast.publish import BuildOptions

    from conftest import write_small_campaign

    config = write_small_campaign(tmp_path / "fresh", with_commune=False)
    project = open_project(config)
    add_bulletin(project.schedule, "emergency", "Cảnh báo", TEXT)
    report = build_bulletins(project, BuildOptions())
    assert [p["station"] for p in report.programmes] == ["tan-phu"] and not report.failures
    assert load_manifest(project.schedule.output)["bulletins"] == report.programmes  # not "another format"
