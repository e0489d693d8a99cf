"""A segment or programme on disk is reused only when it is byte for byte what the manifest recorded (issue 9: D6, D7)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from broadcast.audio import decode_mp3
from conftest import build_small_campaign
from faults_support import folder_problems, sha256

SIGNOFF = '{% extends "default/base.j2" %}\n{% block signoff %}Xin chân thành cảm ơn {{ addressee }} đã lắng nghe.{% endblock %}\n'


def manifest_of(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def body_segment(out: Path) -> tuple[str, dict]:
    return next((k, s) for k, s in manifest_of(out)["segments"].items() if s["kind"] == "body")


def assert_programmes_whole(out: Path) -> None:
    manifest = manifest_of(out)
    for rec in manifest["programmes"]:
        parts = sum(manifest["segments"][k]["duration_s"] for k in rec["segments"])
        decoded = len(decode_mp3(out / rec["file"])) / 1000
        assert abs(decoded - parts) < 0.2, (rec["file"], decoded, parts)


def test_a_truncated_segment_is_voiced_again_not_adopted(campaign_copy):
    out = campaign_copy / "audio_out"
    key, record = body_segment(out)
    path = out / record["file"]
    path.write_bytes(path.read_bytes()[: record["bytes"] // 2])
    (campaign_copy / "templates").mkdir()
    (campaign_copy / "templates" / "base.j2").write_text(SIGNOFF, encoding="utf-8")
    report = build_small_campaign(campaign_copy / "schedule.yaml")
    assert not report.failures and report.programmes_written == 4
    after = manifest_of(out)["segments"][key]
    assert after["bytes"] == record["bytes"] and abs(after["duration_s"] - record["duration_s"]) < 0.05
    assert sha256(path) == after["sha256"]
    assert_programmes_whole(out)
    assert not folder_problems(campaign_copy)


def test_a_segment_zeroed_in_the_middle_is_redone_and_later_builds_succeed(campaign_copy):
    out = campaign_copy / "audio_out"
    key, record = body_segment(out)
    path = out / record["file"]
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4096] = bytes(4096)
    path.write_bytes(bytes(data))
    (campaign_copy / "templates").mkdir()
    (campaign_copy / "templates" / "base.j2").write_text(SIGNOFF, encoding="utf-8")  # programmes must be joined again
    first = build_small_campaign(campaign_copy / "schedule.yaml")
    assert not first.failures and first.segments_made >= 1
    assert sha256(path) == manifest_of(out)["segments"][key]["sha256"]
    second = build_small_campaign(campaign_copy / "schedule.yaml")
    assert not second.failures and second.segments_made == 0 and second.programmes_kept == 4
    assert_programmes_whole(out)


def test_a_damaged_programme_of_the_same_size_is_joined_again(campaign_copy):
    out = campaign_copy / "audio_out"
    rec = manifest_of(out)["programmes"][0]
    path = out / rec["file"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2:len(data) // 2 + 4096] = bytes(4096)
    path.write_bytes(bytes(data))
    report = build_small_campaign(campaign_copy / "schedule.yaml")
    assert report.programmes_written == 1 and report.programmes_kept == 3
    assert sha256(path) == rec["sha256"]


def test_a_rebuild_reads_again_only_the_files_changed_since_the_last_build(campaign_copy, monkeypatch):
    import broadcast.manifest as manifest

    config, out = campaign_copy / "schedule.yaml", campaign_copy / "audio_out"
    build_small_campaign(config)  # the copy has new inodes: each file is read once more, then remembered
    read: list[str] = []
    real = manifest.sha256_file
    monkeypatch.setattr(manifest, "sha256_file", lambda p: read.append(Path(p).name) or real(p))
    report = build_small_campaign(config)
    assert report.programmes_kept == 4 and read == []
    rec = manifest_of(out)["programmes"][1]
    path = out / rec["file"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, same mtime set back: the inode's ctime still tells
    stat = path.stat()
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    report = build_small_campaign(config)
    assert report.programmes_written == 1 and set(read) == {path.name}
    assert sha256(path) == rec["sha256"]


def test_every_published_segment_of_a_build_is_on_target(built_campaign):
    # Decoded from the files the build published: loudness within 0.5 LU, true peak at or under the ceiling.
    from broadcast.audio import measure
    from broadcast.project import open_project

    folder, report = built_campaign
    settings = open_project(folder / "schedule.yaml").audio_settings()
    segments = manifest_of(folder / "audio_out")["segments"]
    assert {s["kind"] for s in segments.values()} >= {"chime", "opening", "body", "closing"}
    for record in segments.values():
        got = measure(folder / "audio_out" / record["file"])
        assert abs(got.integrated_lufs - settings.loudness_lufs) <= 0.5, (record["label"], got)
        assert got.true_peak_dbtp <= settings.true_peak_dbtp, (record["label"], got)
    assert report.encodes >= report.segments_made == len(segments)  # one encode each, more only to correct
