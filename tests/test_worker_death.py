"""kill -9 of the build's main process alone: its voicing workers end too (issue 9: D12)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import write_small_campaign
from faults_support import build_command, build_env


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be collected


@pytest.mark.slow
def test_workers_end_within_5_s_of_the_main_process_being_killed(tmp_path):
    config = write_small_campaign(tmp_path / "project")
    proc = subprocess.Popen(build_command(config, "--workers", "2"), env=build_env(), cwd=config.parent,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            workers = [c for c in children(proc.pid) if "python" in Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="replace")]
        assert len(workers) >= 2, "the build never started its voicing workers"
        proc.send_signal(signal.SIGKILL)  # the main process only, not its group
        proc.wait()
        time.sleep(5)
        assert [w for w in workers if alive(w)] == []
    finally:
        with_group = proc.pid
        try:
            os.killpg(with_group, signal.SIGKILL)  # whatever this test started, if the assertion failed
        except ProcessLookupError:
            pass
