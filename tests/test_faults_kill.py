"""kill -9 a build at seeded random moments: nothing partial or corrupt is left, and a rerun finishes the job.

Three starting points so the kills land in every stage: a cold folder (voicing and encoding segments; each
trial resumes what the kill before left), a folder holding only the segments and the cache (joining, pages,
manifest), and a finished build whose district slot moved from 05:30 to 06:00 (two sessions rejoined under
new names, pages, manifest, the old files retired). The last two run on a slow disk and count their delay
from the start of their stage, which is too short to hit from the launch. BROADCAST_KILL_TRIALS and
BROADCAST_KILL_SEED change the number of trials (at least 10) and the seed, for longer runs in the bench.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from conftest import build_small_campaign, write_small_campaign
from faults_support import (
    SCRATCH, build_command, build_env, cache_problems, folder_problems, load_manifest, output_problems,
    page_problems, run_build, visible_files,
)

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux process groups and /proc")

TRIALS = max(10, int(os.environ.get("BROADCAST_KILL_TRIALS", "12")))
SEED = int(os.environ.get("BROADCAST_KILL_SEED", "20230701"))
KINDS = ("cold", "joining", "reschedule")
MIN_DELAY_S = 0.3
# A slow disk for the later stages: every rename waits, so kills also land between a whole temp file and
# its rename, and the short joining/pages/manifest stage lasts long enough for random kills to hit it.
SLOW_RENAMES = """
import os, sys, time
_replace = os.replace
def _slow_replace(*args, **kwargs):
    time.sleep({pause})
    return _replace(*args, **kwargs)
os.replace = _slow_replace
from broadcast.cli import app
app()
"""
RENAME_PAUSE_S = {"cold": None, "joining": 0.04, "reschedule": 0.04}


@dataclass
class Trial:
    kind: str
    delay_s: float
    killed: bool = False
    stage: str = ""


def prepare(kind: str, reference: Path, dest: Path) -> Path:
    """A campaign folder to start a trial from; returns its schedule.yaml."""
    shutil.rmtree(dest, ignore_errors=True)
    if kind == "cold":
        return write_small_campaign(dest)
    shutil.copytree(reference, dest, symlinks=True)
    out = dest / "audio_out"
    if kind == "joining":  # only the shared segments and the cache survive: the build joins and publishes
        for path in [*out.glob("2023-*"), out / "manifest.json", out / "index.html", out / "schedule.csv", out / "schedule.ics"]:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    else:
        config = dest / "schedule.yaml"
        config.write_text(config.read_text(encoding="utf-8").replace('time: "05:30"', 'time: "06:00"'), encoding="utf-8")
    return dest / "schedule.yaml"


def group_alive(pgid: int) -> bool:
    """Whether any process of the group is still running (zombies do not write files)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def anchor_for(kind: str, config: Path) -> Callable[[], bool] | None:
    """When a trial's delay starts: at launch (cold), or when the stage the starting point is for begins."""
    out = config.parent / "audio_out"
    if kind == "joining":
        return (out / "2023-07-01").exists  # the prepared folder has no programmes: it appears with the first join
    if kind == "reschedule":  # the first file of a session at its new time, whole or not
        return lambda: any("06h00" in name for name in os.listdir(out / "2023-07-01" / "tan-phu"))
    return None


def trial_command(kind: str, config: Path) -> list[str]:
    """`broadcast build`, on a slow disk for the kinds that need one."""
    command = build_command(config)
    pause = RENAME_PAUSE_S[kind]
    return command if pause is None else [command[0], "-c", SLOW_RENAMES.format(pause=pause), *command[3:]]


def run_and_kill(kind: str, config: Path, delay_s: float, anchor: Callable[[], bool] | None) -> tuple[bool, float]:
    """Start a build in its own process group; SIGKILL the whole group `delay_s` after the anchor.

    Returns whether it was killed, and the seconds from launch (or from the anchor) to its end; a build
    that ends by itself must succeed."""
    # The whole group, workers and ffmpeg included, as when the power goes: nothing writes after the kill.
    proc = subprocess.Popen(trial_command(kind, config), cwd=config.parent, env=build_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while anchor is not None and proc.poll() is None and not anchor():
        time.sleep(0.002)
    started = time.monotonic()
    try:
        returncode = proc.wait(timeout=delay_s)
        assert returncode == 0, f"{kind} build ended with {returncode}"
        return False, time.monotonic() - started
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 10
    while group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not group_alive(proc.pid), "a killed build's process survived"
    return True, delay_s


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    out = folder / "audio_out"
    files = [p for p in (out.rglob("*") if out.is_dir() else []) if p.is_file() and not SCRATCH.match(p.name)]
    state = {p.relative_to(out).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns) for p in files}
    state["<cache entries>"] = (len(list((folder / ".cache").rglob("*.tts"))), 0)
    return state


def stage_of(before: dict, after: dict) -> str:
    """The last stage the killed build reached, judged by what it changed."""
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    if "manifest.json" in changed:
        return "manifest"
    if changed & {"index.html", "schedule.csv", "schedule.ics"} or any(k.endswith("/index.html") for k in changed):
        return "pages"
    if any(k.startswith("2023-") for k in changed):
        return "joining"
    if changed:
        return "voicing"
    return "startup"


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, float]:
    """A cold build run to its end, timed: the folder the other starting points are copied from."""
    folder = tmp_path_factory.mktemp("reference")
    finished = run_build(write_small_campaign(folder))
    assert finished.returncode == 0, finished.stderr
    return folder, finished.seconds


@pytest.fixture(scope="module")
def expected(reference, tmp_path_factory) -> dict[str, tuple[dict, float]]:
    """Per starting point: the manifest an uninterrupted run produces, and its length from launch or anchor."""
    folder, cold_s = reference
    result = {"cold": (load_manifest(folder / "audio_out"), cold_s)}
    for kind in ("joining", "reschedule"):
        config = prepare(kind, folder, tmp_path_factory.mktemp(kind) / "campaign")
        killed, seconds = run_and_kill(kind, config, 600, anchor_for(kind, config))
        assert not killed and not folder_problems(config.parent)
        result[kind] = (load_manifest(config.parent / "audio_out"), seconds)
    return result


def plan_trials(lengths: dict[str, float]) -> list[Trial]:
    """Seeded delays stratified over each starting point's uninterrupted length (0.3 s .. the cold build's), interleaved."""
    rng = random.Random(SEED)
    per_kind = []
    for k, kind in enumerate(KINDS):
        count = len(range(k, TRIALS, len(KINDS)))
        low = MIN_DELAY_S if kind == "cold" else 0.0  # anchored kinds start counting when their stage begins
        span = max(lengths[kind], low + 0.2) - low
        delays = [low + span * (j + rng.random()) / count for j in range(count)]
        rng.shuffle(delays)
        per_kind.append([Trial(kind, d) for d in delays])
    return [t for round_ in itertools.zip_longest(*per_kind) for t in round_ if t is not None]


def same_outcome(manifest: dict, wanted: dict) -> list[str]:
    """How a finished manifest differs from an uninterrupted run's (keys and file names, not bytes)."""
    differences = []
    if set(manifest["segments"]) != set(wanted["segments"]):
        differences.append("segment keys differ")
    if [p["key"] for p in manifest["programmes"]] != [p["key"] for p in wanted["programmes"]]:
        differences.append("programme keys differ")
    if manifest["files"] != wanted["files"]:
        differences.append(f"files differ: {sorted(set(manifest['files']) ^ set(wanted['files']))}")
    return differences


def test_builds_killed_at_random_moments_leave_only_whole_files_and_resume(reference, expected, tmp_path):
    folder, _ = reference
    lengths = {kind: seconds for kind, (_, seconds) in expected.items()}
    trials = plan_trials(lengths)
    configs: dict[str, Path] = {}
    for n, trial in enumerate(trials):
        # The cold chain resumes what each kill left; the other kinds start from their prepared folder each time.
        if trial.kind not in configs or trial.kind != "cold":
            configs[trial.kind] = prepare(trial.kind, folder, tmp_path / trial.kind)
        config = configs[trial.kind]
        before = snapshot(config.parent)
        trial.killed, _ = run_and_kill(trial.kind, config, trial.delay_s, anchor_for(trial.kind, config))
        trial.stage = stage_of(before, snapshot(config.parent)) if trial.killed else "finished"
        # Dead links between pages after a kill are pinned by the test below, not by this random one.
        problems = folder_problems(config.parent, links=False)
        assert not problems, f"trial {n} ({trial}): " + "\n".join(problems)

    landed = {t.stage for t in trials if t.killed}
    print("\nkill trials:", ", ".join(f"{t.kind}@{t.delay_s:.1f}s:{t.stage}" for t in trials), f"(lengths {lengths})")
    assert sum(t.killed for t in trials) >= TRIALS // 2, trials
    assert len(landed - {"startup"}) >= 2, f"kills landed only in {landed}: {trials}"

    for kind, config in configs.items():
        out = config.parent / "audio_out"
        first = run_build(config)
        assert first.returncode == 0, first.stderr
        assert first.stdout.startswith("4 sessions"), first.stdout
        manifest = load_manifest(out)
        assert len(manifest["programmes"]) == 4 and all(p["file"] for p in manifest["programmes"])
        assert not same_outcome(manifest, expected[kind][0]), same_outcome(manifest, expected[kind][0])
        assert not folder_problems(config.parent)
        # Nothing a killed run made is left behind unlisted: the folder is exactly what the manifest lists,
        # plus the release records (releases/<id>.json, one per finished build).
        from broadcast.releases import RELEASES_DIR, list_releases

        records = {f"{RELEASES_DIR}/{r.id}.json" for r in list_releases(out)}
        assert manifest["release"] in {r.id for r in list_releases(out)}
        assert visible_files(out) == set(manifest["files"]) | {"manifest.json"} | records
        assert output_problems(out)[1] == 0, "scratch files survived a finished build"
        second = run_build(config)
        assert second.returncode == 0, second.stderr
        assert "0 synthesis calls, 0 encodes" in second.stdout and "0 written, 4 unchanged" in second.stdout, second.stdout


def test_cache_scratch_left_by_a_killed_write_is_swept_by_the_next_build(campaign_copy):
    """A kill during a cache write leaves `.<entry>.tts.broadcast-<pid>.part`; the next build should clear it, as out/ scratch is."""
    cache = campaign_copy / ".cache" / "broadcast"
    entry = sorted(cache.glob("??/*.tts"))[0]
    scratch = entry.with_name(f".{entry.name}.broadcast-4194304.part")  # a pid no running process has
    scratch.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])  # what a write cut by SIGKILL leaves
    assert cache_problems(cache)[1] == 1
    finished = run_build(campaign_copy / "schedule.yaml")
    assert finished.returncode == 0, finished.stderr
    assert not scratch.exists()


def test_a_build_stopped_right_after_the_index_page_leaves_no_dead_links(campaign_copy, monkeypatch):
    """Publish pages afresh and stop right after index.html, as a kill there would; the index must not link to nothing."""
    import broadcast.pages as pages

    out = campaign_copy / "audio_out"
    for page in [out / "index.html", *out.glob("*/index.html"), out / "schedule.csv", out / "schedule.ics"]:
        page.unlink()
    real, written = pages.write_text_atomic, []

    def write_then_stop(path, text):
        if written and written[-1].name == "index.html" and written[-1].parent == out:
            raise SystemExit("killed")  # a BaseException: like the end of the process, nothing runs after it
        written.append(path)
        return real(path, text)

    monkeypatch.setattr(pages, "write_text_atomic", write_then_stop)
    try:
        build_small_campaign(campaign_copy / "schedule.yaml")  # index.html may be the very last write
    except SystemExit:
        pass
    assert out / "index.html" in written
    assert not page_problems(out)


def test_the_checks_catch_cut_files_and_damaged_cache_entries(campaign_copy):
    """Guard against checks that cannot fail: what a non-atomic write cut by a kill would leave is caught."""
    out = campaign_copy / "audio_out"
    assert not folder_problems(campaign_copy)
    segment = sorted((out / "segments").glob("*.mp3"))[-1]
    data = segment.read_bytes()
    segment.write_bytes(data[: len(data) - 100])  # cut inside a frame
    programme = next(out.glob("2023-*/*/*.mp3"))
    programme.write_bytes(programme.read_bytes()[:-1000])
    entry = sorted((campaign_copy / ".cache" / "broadcast").glob("??/*.tts"))[0]
    entry.write_bytes(entry.read_bytes()[:-10])
    problems = "\n".join(folder_problems(campaign_copy))
    assert f"{segment}: " in problems and "after the last whole frame" in problems
    assert f"{segment.relative_to(out).as_posix()}: checksum" in problems
    assert f"{programme.relative_to(out).as_posix()}: checksum" in problems
    assert f"{entry.name}: rejected by the cache" in problems
    # Cut at a frame boundary the frames still parse, but the Info frame's count gives it away.
    segment.write_bytes(data[: half_way_frame_boundary(data)])
    assert "Info frame announces" in "\n".join(output_problems(out)[0])


def half_way_frame_boundary(data: bytes) -> int:
    """The offset of the frame half-way through a CBR MPEG-1 Layer III file (144 x bitrate / rate + padding)."""
    from broadcast.audio.frames import scan_frames

    scan = scan_frames(data)
    pos = scan.audio_start
    for _ in range(scan.frames // 2):
        pos += 144_000 * scan.bitrate_kbps // scan.sample_rate + (data[pos + 2] >> 1 & 1)
    return pos
