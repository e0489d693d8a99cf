"""The output folder is the build's own: a guard that claims it, and a lock that lets one build in at a time.

A build writes only into a folder that is new, empty, or marked (on first use) as a `broadcast` output of
the same campaign; it refuses `/`, the home folder, the schedule's own folder and its parents. Readers
(pages, the portal) never take the lock: every file appears whole (see atomic.py)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
from pathlib import Path
from typing import Iterator

from .errors import ConfigError, InputError, Problem

log = logging.getLogger(__name__)

MARKER = ".broadcast-output"
LOCK = ".broadcast-lock"
HASHES = ".broadcast-hashes"  # the build's memo of its files' sha256 (manifest.FileHashes)
# How long a second build waits for the first before giving up (BROADCAST_LOCK_WAIT_S overrides it).
LOCK_WAIT_S = float(os.environ.get("BROADCAST_LOCK_WAIT_S", "10"))
MARKER_FORMAT = 1
# Files that keep an empty folder in git: a folder holding only these is empty (the shipped audio_out/).
PLACEHOLDERS = frozenset({".gitkeep", ".keep", ".gitignore"})


class OutputLockedError(InputError):
    """Another build holds the output folder's lock (exit 2: the user chose to start a second build)."""


def _refusal(out: Path, schedule_path: Path) -> str | None:
    """Why `out` can never be an output folder, or None."""
    home = Path.home().resolve()
    own = schedule_path.resolve().parent
    if out == Path(out.anchor):
        return "is the root of the file system"
    if out == home:
        return "is the home folder"
    if out == own or out in own.parents:
        return "holds schedule.yaml itself; give the build a folder of its own (e.g. audio_out)"
    return None


def _read_marker(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("campaign"), str) else None


def _legacy_campaign(out: Path) -> str | None:
    """The campaign of a manifest written by a build from before the marker existed, else None."""
    from .manifest import ManifestError, read_manifest

    try:
        manifest = read_manifest(out)
    except ManifestError:
        return None
    return manifest.campaign if manifest is not None and manifest.campaign else None


def claim_output(out: Path, schedule, campaign: str, claim: bool = True) -> Path:
    """Make sure `out` is this campaign's build folder (creating and marking it if new); return it resolved.

    Raises ConfigError at schedule.yaml's `output:` line when the folder belongs to someone else;
    with `claim=False` (for `broadcast check`) it only looks, and writes nothing."""
    out = Path(os.path.abspath(out))
    resolved = out.resolve()

    def refuse(message: str) -> ConfigError:
        return ConfigError([schedule.problem(("output",), f"{out} {message}")])

    reason = _refusal(resolved, schedule.path)
    if reason:
        raise refuse(reason)
    if resolved.exists() and not resolved.is_dir():
        raise refuse("is a file, not a folder")
    marker = resolved / MARKER
    if marker.is_file():
        data = _read_marker(marker)
        if data is None:
            raise refuse(f"has an unreadable {MARKER}; if the folder is the build's, delete that file to claim it")
        if data["campaign"] != campaign:
            raise refuse(f"is the output of another campaign ('{data['campaign']}'); give this campaign its own folder")
        return resolved
    if resolved.is_dir() and any(p.name not in PLACEHOLDERS for p in resolved.iterdir()):
        legacy = _legacy_campaign(resolved)
        if legacy != campaign:
            what = f"the output of another campaign ('{legacy}')" if legacy else "not empty and not a broadcast output"
            raise refuse(f"is {what}; the build writes only into a new, empty or its own folder")
    if not claim:
        return resolved
    resolved.mkdir(parents=True, exist_ok=True)
    from .atomic import write_text_atomic

    write_text_atomic(marker, json.dumps({"format": MARKER_FORMAT, "tool": "broadcast", "campaign": campaign},
                                         ensure_ascii=False) + "\n")
    return resolved


@contextlib.contextmanager
def build_lock(out: Path, wait_s: float | None = None) -> Iterator[None]:
    """Hold the output folder's lock for one build; after `wait_s` seconds exit 2 naming the holder's pid."""
    wait_s = LOCK_WAIT_S if wait_s is None else wait_s
    path = out / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                    raise OutputLockedError([Problem(str(out), None, "",
                                                     f"another build (pid {holder}) is writing this folder; "
                                                     f"waited {wait_s:.0f} s")]) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock, also when the process is killed


@contextlib.contextmanager
def writing_output(out: Path, schedule) -> Iterator[None]:
    """Claim the output folder for this schedule's campaign and hold its lock: every writer goes through here."""
    claim_output(out, schedule, schedule.campaign.name)
    with build_lock(out):
        yield
