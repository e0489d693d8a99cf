"""Files appear whole or not at all: write a temp file in the same folder, then rename it into place."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

PART_SUFFIX = ".part"


def temp_path_for(path: Path) -> Path:
    """A hidden temp name beside `path`, unique to this process; swept by `sweep_partials`."""
    return path.with_name(f".{path.name}.{os.getpid()}{PART_SUFFIX}")


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


def sweep_partials(root: Path) -> int:
    """Remove temp files a killed run left under `root`; return how many."""
    count = 0
    if root.is_dir():
        for tmp in root.rglob(f".*{PART_SUFFIX}"):
            with contextlib.suppress(OSError):
                tmp.unlink()
                count += 1
    return count
