"""Files appear whole or not at all: write a temp file in the same folder, then rename it into place."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Iterator

PART_SUFFIX = ".part"
# The build's own temp names: `.<name>.broadcast-<pid>.part`. Only these are ever swept, never a user's
# `.video.mkv.part`, and only when the process that wrote them is gone.
_TEMP_NAME = re.compile(r"^\..+\.broadcast-(\d+)\.part$")


def temp_path_for(path: Path) -> Path:
    """A hidden temp name beside `path`, unique to this process; swept by `sweep_partials`."""
    return path.with_name(f".{path.name}.broadcast-{os.getpid()}{PART_SUFFIX}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temp path to write; on success it replaces `path`, on any error it is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_bytes_atomic(path: Path, data: bytes, fsync: bool = False) -> Path:
    """Write `data` to `path` atomically; return `path`. An OSError names `path`, not the temp file."""
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(data)
                if fsync:
                    fh.flush()
                    os.fsync(fh.fileno())
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    """Write UTF-8 text to `path` atomically; return `path`."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, data, **options) -> Path:
    """Write `data` as UTF-8 JSON (json.dump's `options`) to `path` atomically, streamed: a large manifest never
    exists whole as one string in memory (a 181-station province's is about 20 MB). Returns `path`."""
    import json

    try:
        with atomic_path(path) as tmp:
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                json.dump(data, fh, **options)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    return path


def sweep_partials(root: Path) -> int:
    """Remove the build's own temp files that a killed run left under `root`; return how many."""
    count = 0
    if root.is_dir():
        for tmp in root.rglob(f".*{PART_SUFFIX}"):
            m = _TEMP_NAME.match(tmp.name)
            if m is None or _alive(int(m.group(1))) or not tmp.is_file():
                continue
            with contextlib.suppress(OSError):
                tmp.unlink()
                count += 1
    return count
