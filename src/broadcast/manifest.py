"""The build's manifest: every file it published, with checksums; the only list of files a build may remove."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Callable, Sequence

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1


def load_manifest(out: Path) -> dict:
    """The previous build's manifest, or an empty one (an unreadable manifest starts the build afresh)."""
    path = out / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") == MANIFEST_FORMAT:
            return data
        log.warning("%s has another format; starting afresh", path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        log.warning("%s unreadable (%s); starting afresh", path, exc)
    return {"segments": {}, "programmes": [], "files": [], "retired": []}


def inside(out: Path, rel: str) -> Path | None:
    """`out/rel` if it stays inside `out` (a manifest is data: never trust it to point elsewhere)."""
    target = (out / rel).resolve()
    return target if out.resolve() in target.parents else None


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


DEFAULT_OVERHEAD_S = 120.0  # opening + closing + two chimes, before a build has measured them


def known_durations(manifest: dict) -> tuple[Callable[[str, str], float] | None, float]:
    """Real durations from the previous build, for the planner's caps: body seconds per (item, audience)
    and a session's overhead (the longest opening and closing, two chimes)."""
    table: dict[tuple[str, str], float] = {}
    longest = {"opening": 0.0, "closing": 0.0, "chime": 0.0}
    for seg in manifest.get("segments", {}).values():
        label, kind, seconds = seg.get("label", ""), seg.get("kind"), float(seg.get("duration_s", 0.0))
        if kind == "body" and label.startswith("body "):
            item, _, audience = label[5:].partition("/")
            table[(item, audience)] = max(table.get((item, audience), 0.0), seconds)
        elif kind in longest:
            longest[kind] = max(longest[kind], seconds)
    overhead = longest["opening"] + longest["closing"] + 2 * longest["chime"]
    if not table:
        return None, DEFAULT_OVERHEAD_S
    return (lambda item, audience: table.get((item, audience), 150.0)), overhead or DEFAULT_OVERHEAD_S


def remove_listed(out: Path, rels: Sequence[str]) -> int:
    """Remove files a manifest listed (never outside `out`), and folders left empty; return how many."""
    removed = 0
    for rel in rels:
        target = inside(out, rel)
        if target is None:
            log.warning("manifest lists %s outside %s: left alone", rel, out)
            continue
        try:
            target.unlink()
            removed += 1
        except FileNotFoundError:
            removed += 1
        except OSError as exc:
            log.warning("could not remove %s: %s", target, exc)
            continue
        parent = target.parent
        while parent != out.resolve() and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    return removed
