"""A full disk after a complete build: the build stops with one clear line and the published files stay whole.

The disk fills through RLIMIT_FSIZE in the build process (SIGXFSZ ignored, so a write fails with EFBIG
instead of killing the process); the limit is set from the sizes of the files the build must write.
"""

from __future__ import annotations

import resource
import shutil
import signal
from pathlib import Path

import pytest

from conftest import build_small_campaign, write_small_campaign
from faults_support import folder_problems, load_manifest, page_problems, run_build, sha256, visible_files

CLOSING_EDIT = ('{% extends "default/base.j2" %}\n'
                "{% block signoff %}Ban biên tập xin cảm ơn {{ self.addressee() }}.{% endblock %}\n")


def file_size_limit(limit: int):
    """preexec_fn for a child whose files cannot grow past `limit` bytes."""
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def error_lines(stderr: str) -> list[str]:
    """What the command says went wrong (log warnings about the cache aside)."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("WARNING:")]


def published(out: Path) -> dict[str, str]:
    """Every file the manifest lists with a checksum, and that checksum."""
    manifest = load_manifest(out)
    entries = [*manifest["segments"].values(), *manifest["programmes"]]
    return {e["file"]: e["sha256"] for e in entries if e.get("file")}


def assert_previous_build_intact(out: Path, before: dict[str, str], manifest_bytes: bytes | None = None) -> None:
    for rel, digest in before.items():
        assert (out / rel).is_file() and sha256(out / rel) == digest, f"{rel} was lost or changed"
    if manifest_bytes is not None:
        assert (out / "manifest.json").read_bytes() == manifest_bytes
    assert not folder_problems(out.parent)
    assert not page_problems(out)


@pytest.mark.parametrize("stage", ["pages", "manifest"])
def test_full_disk_on_a_rebuild_stops_with_one_clear_line_and_keeps_the_build(campaign_copy, stage):
    out = campaign_copy / "audio_out"
    before, manifest_bytes = published(out), (out / "manifest.json").read_bytes()
    pages = [out / "index.html", *out.glob("*/index.html"), out / "schedule.csv", out / "schedule.ics"]
    if stage == "pages":
        limit = (out / "index.html").stat().st_size // 2  # the first page cannot be written
    else:
        limit = len(manifest_bytes) - 1  # every page can, the manifest cannot
        assert max(p.stat().st_size for p in pages) < limit
    finished = run_build(campaign_copy / "schedule.yaml", preexec_fn=file_size_limit(limit))
    assert finished.returncode == 1, finished.stdout + finished.stderr
    lines = error_lines(finished.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: ") and "File too large" in lines[0], finished.stderr
    assert "Traceback" not in finished.stderr
    assert_previous_build_intact(out, before, manifest_bytes)


@pytest.fixture(scope="module")
def rebuilt_on_a_full_disk(built_campaign, tmp_path_factory):
    """Per stage, run once: a previous complete build, then a rebuild whose files are capped to fail at that stage.

    "voicing": the closing template is edited and the new closings' audio cannot be written.
    "joining": the previous build published segments and playlists only; the rebuild asks for the session
    MP3s (about 1 MB each), and only those do not fit."""
    runs = {}

    def run(stage: str):
        if stage not in runs:
            folder = tmp_path_factory.mktemp(f"full-{stage}") / "campaign"
            shutil.copytree(built_campaign[0], folder, symlinks=True)
            out = folder / "audio_out"
            args: tuple[str, ...] = ()
            if stage == "voicing":
                limit = 64 * 1024
                (folder / "templates").mkdir()
                (folder / "templates" / "base.j2").write_text(CLOSING_EDIT, encoding="utf-8")
            else:
                limit = 256 * 1024
                assert min(p["bytes"] for p in load_manifest(out)["programmes"]) > limit
                build_small_campaign(write_small_campaign(folder, publish="segments"))
                args = ("--mode", "full")
            before = published(out)
            runs[stage] = folder, before, run_build(folder / "schedule.yaml", *args, preexec_fn=file_size_limit(limit))
        return runs[stage]

    return run


def test_full_disk_while_joining_stops_with_one_clear_line_and_keeps_the_build(rebuilt_on_a_full_disk):
    folder, before, finished = rebuilt_on_a_full_disk("joining")
    assert finished.returncode == 1, finished.stdout + finished.stderr
    lines = error_lines(finished.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: ") and "File too large" in lines[0], finished.stderr
    assert_previous_build_intact(folder / "audio_out", before)


def test_full_disk_while_voicing_fails_without_a_traceback_or_a_broken_folder(rebuilt_on_a_full_disk):
    folder, _, finished = rebuilt_on_a_full_disk("voicing")
    assert finished.returncode != 0 and "Traceback" not in finished.stderr
    out = folder / "audio_out"
    assert not folder_problems(folder)  # whatever it published is whole and listed with the right checksum
    assert visible_files(out) >= set(load_manifest(out)["files"])


def test_full_disk_while_voicing_keeps_the_previous_sessions(rebuilt_on_a_full_disk):
    folder, before, _ = rebuilt_on_a_full_disk("voicing")
    out = folder / "audio_out"
    assert_previous_build_intact(out, {rel: d for rel, d in before.items() if not rel.startswith("segments/")})
    assert len(load_manifest(out)["programmes"]) == 4


def test_full_disk_while_voicing_says_so_in_one_line(rebuilt_on_a_full_disk):
    _, _, finished = rebuilt_on_a_full_disk("voicing")
    lines = error_lines(finished.stderr)
    assert len(lines) == 1 and ("File too large" in lines[0] or "disk" in lines[0]), lines
