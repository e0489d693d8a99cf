"""The output folder is the build's own: refused when it is someone else's, locked against a second build,
its temp files and manifest trusted only when they are the build's own (issue 9: D1, D2, D8, D13, D15)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from broadcast.cli import app
from broadcast.manifest import Manifest, ManifestError, load_manifest
from broadcast.outdir import MARKER, build_lock
from conftest import write_small_campaign
from faults_support import build_command, build_env, run_build

runner = CliRunner()

USER_FILES = {"index.html": "<p>mine</p>", "schedule.csv": "a,b\n", "manifest.json": '{"name":"x"}',
              "2023-07-01/index.html": "<p>day</p>", ".video.mkv.part": "video", "docs/deep/.thesis.docx.part": "thesis"}


def plant(folder: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")


def unchanged(folder: Path, files: dict[str, str]) -> bool:
    return all((folder / rel).is_file() and (folder / rel).read_text(encoding="utf-8") == text for rel, text in files.items())


def with_output(config: Path, output: str) -> Path:
    text = config.read_text(encoding="utf-8").replace("output: audio_out", f"output: {output}")
    config.write_text(text, encoding="utf-8")
    return config


def build(config: Path, *args: str):
    return runner.invoke(app, ["build", "-c", str(config), "--from", "2023-07-01", "--to", "2023-07-01", *args])


@pytest.mark.parametrize("output", [".", "..", "/"])
def test_output_that_holds_the_schedule_or_is_root_is_refused_and_nothing_is_touched(tmp_path, output):
    folder = tmp_path / "project"
    config = with_output(write_small_campaign(folder), output)
    plant(folder, USER_FILES)
    plant(tmp_path, {"work/.export.wav.part": "sibling"})
    result = build(config)
    assert result.exit_code == 2, result.output
    assert f"schedule.yaml:7: output: " in result.output and "Traceback" not in result.output
    assert unchanged(folder, USER_FILES) and unchanged(tmp_path, {"work/.export.wav.part": "sibling"})


def test_home_folder_is_refused_as_output(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    config = with_output(write_small_campaign(tmp_path / "project"), str(home))
    result = build(config)
    assert result.exit_code == 2 and "is the home folder" in result.output, result.output


def test_a_folder_with_someone_elses_files_is_refused(tmp_path):
    config = with_output(write_small_campaign(tmp_path / "project"), "site")
    plant(tmp_path / "project" / "site", USER_FILES)
    result = build(config)
    assert result.exit_code == 2 and "not empty and not a broadcast output" in result.output, result.output
    assert unchanged(tmp_path / "project" / "site", USER_FILES)
    assert not (tmp_path / "project" / "site" / MARKER).exists()


def test_sweep_removes_only_the_builds_own_dead_temp_files(campaign_copy):
    out = campaign_copy / "audio_out"
    users = {".video.mkv.part": "video", "docs/deep/.thesis.docx.part": "thesis", "x/.a.mp3.1234.part": "old style"}
    plant(out, users)
    dead = out / "segments" / ".abc.mp3.broadcast-4194304.part"
    live = out / "segments" / f".abc.mp3.broadcast-{os.getpid()}.part"  # a writer still running: not ours to remove
    dead.write_bytes(b"half")
    live.write_bytes(b"half")
    result = build(campaign_copy / "schedule.yaml")
    assert result.exit_code == 0, result.output
    assert unchanged(out, users) and live.exists() and not dead.exists()


def test_a_second_campaign_into_the_same_output_is_refused_and_removes_nothing(campaign_copy):
    out = campaign_copy / "audio_out"
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    config = campaign_copy / "schedule.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace('name: "Tháng hành động', 'name: "Đợt hai, tháng hành động'),
                      encoding="utf-8")
    result = build(config)
    assert result.exit_code == 2, result.output
    assert "output of another campaign" in result.output and "schedule.yaml:7: output" in result.output
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


def test_a_build_into_a_locked_output_waits_then_exits_2_naming_the_holder(campaign_copy, monkeypatch):
    import broadcast.outdir as outdir

    monkeypatch.setattr(outdir, "LOCK_WAIT_S", 0.6)
    out = campaign_copy / "audio_out"
    before = (out / "manifest.json").read_bytes()
    with build_lock(out):
        started = time.monotonic()
        result = build(campaign_copy / "schedule.yaml")
        waited = time.monotonic() - started
    assert result.exit_code == 2, result.output
    assert f"another build (pid {os.getpid()})" in result.output and 0.5 < waited < 5
    assert (out / "manifest.json").read_bytes() == before
    assert build(campaign_copy / "schedule.yaml").exit_code == 0  # the lock goes with its holder


@pytest.mark.slow
def test_two_builds_of_different_days_started_together_both_publish(campaign_copy):
    """Cold output, warm voice cache: the second build waits for the first and keeps its day."""
    import shutil

    shutil.rmtree(campaign_copy / "audio_out")
    config = campaign_copy / "schedule.yaml"
    env = {**build_env(), "BROADCAST_LOCK_WAIT_S": "240"}
    first = subprocess.Popen(build_command(config, "--from", "2023-07-01", "--to", "2023-07-01"), env=env,
                             cwd=campaign_copy, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    second = subprocess.Popen(build_command(config, "--from", "2023-07-02", "--to", "2023-07-02"), env=env,
                              cwd=campaign_copy, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outcomes = [p.communicate(timeout=300) + (p.returncode,) for p in (first, second)]
    assert [o[2] for o in outcomes] == [0, 0], outcomes
    out = campaign_copy / "audio_out"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted({p["date"] for p in manifest["programmes"]}) == ["2023-07-01", "2023-07-02"]
    published = {str(p.relative_to(out)) for p in out.rglob("*.mp3")}
    assert published == set(manifest["files"]) & published  # no MP3 the manifest does not list
    assert all((out / p["file"]).is_file() for p in manifest["programmes"])
    csv = (out / "schedule.csv").read_text(encoding="utf-8-sig")
    assert "2023-07-01" in csv and "2023-07-02" in csv


@pytest.mark.parametrize("mode", ["bogus", "Full"])
def test_unknown_mode_exits_2_with_a_hint(campaign_copy, mode):
    result = build(campaign_copy / "schedule.yaml", "--mode", mode)
    assert result.exit_code == 2, result.output
    assert f"--mode: '{mode}' is not a publish mode" in result.output
    if mode == "Full":
        assert "did you mean 'full'" in result.output


BAD_MANIFESTS = {"null": "null", "list": "[1,2,3]", "files null": '{"format":1,"segments":{},"programmes":[],"files":null}'}


@pytest.mark.parametrize("text", BAD_MANIFESTS.values(), ids=BAD_MANIFESTS.keys())
def test_a_manifest_of_the_wrong_shape_is_refused_by_the_model_and_starts_afresh(tmp_path, text, caplog):
    (tmp_path / "manifest.json").write_text(text)
    assert load_manifest(tmp_path) == Manifest().to_dict()
    assert "starting afresh" in caplog.text


def test_a_programme_without_key_is_named_by_the_manifest_model(built_campaign):
    folder, _ = built_campaign
    data = json.loads((folder / "audio_out" / "manifest.json").read_text(encoding="utf-8"))
    assert Manifest.from_dict(data).to_dict() == data  # what the build writes, the model reads back unchanged
    del data["programmes"][1]["key"]
    with pytest.raises(ManifestError, match=r"programmes\[1\]\.key: missing"):
        Manifest.from_dict(data)


def test_a_build_over_a_broken_manifest_succeeds_and_writes_a_valid_one(campaign_copy):
    out = campaign_copy / "audio_out"
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    del data["programmes"][0]["key"]
    (out / "manifest.json").write_text(json.dumps(data))
    result = build(campaign_copy / "schedule.yaml")
    assert result.exit_code == 0, result.output
    Manifest.from_dict(json.loads((out / "manifest.json").read_text(encoding="utf-8")))


def test_check_refuses_the_output_folder_a_build_would_refuse_and_writes_nothing(tmp_path):
    folder = tmp_path / "project"
    config = with_output(write_small_campaign(folder), ".")
    result = runner.invoke(app, ["check", "-c", str(config)])
    assert result.exit_code == 2 and "schedule.yaml:7: output: " in result.output, result.output
    fresh = write_small_campaign(tmp_path / "fresh")
    assert runner.invoke(app, ["check", "-c", str(fresh)]).exit_code == 0
    assert not (fresh.parent / "audio_out").exists()


def test_a_folder_holding_only_a_gitkeep_counts_as_empty(tmp_path):
    config = write_small_campaign(tmp_path / "project")
    (config.parent / "audio_out").mkdir()
    (config.parent / "audio_out" / ".gitkeep").write_text("")
    from broadcast.outdir import claim_output
    from broadcast.project import open_project

    schedule = open_project(config).schedule
    assert claim_output(schedule.output, schedule, schedule.campaign.name) == (config.parent / "audio_out").resolve()
    assert (config.parent / "audio_out" / MARKER).is_file() and (config.parent / "audio_out" / ".gitkeep").is_file()
