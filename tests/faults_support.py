"""Shared helpers for the fault tests: run a build as a process, and check an output folder is whole."""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

from broadcast.audio.frames import scan_frames
from broadcast.tts import SynthesisCache
from broadcast.tts.cache import MAGIC

PROXY_VARS = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY")
# The scratch name a killed writer may leave, in audio_out/ and in the cache: atomic.py's `.<name>.broadcast-<pid>.part`.
SCRATCH = re.compile(r"^\..+\.broadcast-\d+\.part$")
TEXT_ENDINGS = {".html": "</html>", ".ics": "END:VCALENDAR"}  # how a whole page or calendar ends


def build_env() -> dict[str, str]:
    """The test process's environment without proxies (gTTS would send loopback requests through one)."""
    return {k: v for k, v in os.environ.items() if k not in PROXY_VARS}


def build_command(config: Path, *args: str) -> list[str]:
    """`broadcast build -c CONFIG ...` run by this interpreter."""
    return [sys.executable, "-m", "broadcast.cli", "build", "-c", str(config), *args]


@dataclass(frozen=True)
class Finished:
    """A build process that ran to its end."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float


def run_build(config: Path, *args: str, timeout: float = 300, preexec_fn=None) -> Finished:
    """Run a build to its end in a child process."""
    started = time.monotonic()
    proc = subprocess.run(build_command(config, *args), capture_output=True, text=True, env=build_env(),
                          cwd=config.parent, timeout=timeout, preexec_fn=preexec_fn)
    return Finished(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_manifest(out: Path) -> dict | None:
    """The manifest as JSON, or None when there is none yet (a truncated one fails the test)."""
    path = out / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


# -- whole files --------------------------------------------------------------------------------------

def info_frame_count(data: bytes, audio_start: int) -> int | None:
    """Frames announced by the LAME Xing/Info frame before `audio_start`, if it has that field."""
    head = data[:audio_start]
    at = max(head.rfind(b"Info"), head.rfind(b"Xing"))
    if at < 0 or len(head) < at + 12:
        return None
    flags = struct.unpack(">I", head[at + 4:at + 8])[0]
    return struct.unpack(">I", head[at + 8:at + 12])[0] if flags & 1 else None


def mp3_problem(path: Path) -> str | None:
    """Why an MP3 is not whole (no frames, a cut frame, fewer frames than its Info frame says), or None."""
    data = path.read_bytes()
    try:
        scan = scan_frames(data, str(path))
    except Exception as exc:  # AudioError, or anything a cut header provokes
        return f"{path}: does not parse: {exc}"
    if scan.audio_end != len(data):
        return f"{path}: {len(data) - scan.audio_end} bytes after the last whole frame"
    announced = info_frame_count(data, scan.audio_start)
    if announced is not None and announced != scan.frames:
        return f"{path}: Info frame announces {announced} frames, the file has {scan.frames}"
    return None


def text_problem(path: Path) -> str | None:
    """Why a text output is not whole (not UTF-8, JSON that does not parse, a page without its end), or None."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"{path}: not UTF-8 ({exc})"
    if path.suffix == ".json":
        try:
            json.loads(text)
        except ValueError as exc:
            return f"{path}: JSON does not parse ({exc})"
    ending = TEXT_ENDINGS.get(path.suffix, "")
    if ending and not text.rstrip().endswith(ending):
        return f"{path}: does not end with {ending}"
    if not text:
        return f"{path}: empty"
    return None


def output_problems(out: Path) -> tuple[list[str], int]:
    """Every non-scratch file under audio_out/ that is not whole; and how many scratch files are there."""
    problems, scratch = [], 0
    if not out.is_dir():
        return problems, scratch
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if SCRATCH.match(path.name):
            scratch += 1
            continue
        problem = mp3_problem(path) if path.suffix == ".mp3" else text_problem(path)
        if problem:
            problems.append(problem)
    return problems, scratch


def manifest_problems(out: Path) -> list[str]:
    """Files the manifest lists that are missing or whose checksum or size differs."""
    manifest = load_manifest(out)
    if manifest is None:
        return []
    problems = []
    for rel in manifest["files"]:
        if not (out / rel).is_file():
            problems.append(f"manifest lists {rel}, which does not exist")
    entries = [*manifest["segments"].values(), *(r for r in manifest["programmes"] if r.get("file"))]
    for entry in entries:
        path = out / entry["file"]
        if path.is_file() and (sha256(path), path.stat().st_size) != (entry["sha256"], entry["bytes"]):
            problems.append(f"{entry['file']}: checksum or size differs from the manifest")
    for rec in manifest["programmes"]:
        for rel in (rec["playlist"], rec["script"]):
            if not (out / rel).is_file():
                problems.append(f"{rel}: listed for {rec['station']} {rec['date']} but missing")
    return problems


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.links += [value for name, value in attrs if name in ("href", "src") and value]


def page_problems(out: Path) -> list[str]:
    """Links in index.html and the day pages that point to files that do not exist."""
    problems = []
    for page in [out / "index.html", *sorted(out.glob("*/index.html"))]:
        if not page.is_file():
            continue
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        problems += [f"{page.relative_to(out)} links to missing {link}" for link in parser.links
                     if not (page.parent / link).resolve().is_file()]
    return problems


# -- the synthesis cache ------------------------------------------------------------------------------

def _entry_header(blob: bytes) -> dict:
    # The layout cache.py documents: MAGIC, sha256 of the rest, header length (4 bytes), JSON header, payload.
    start = len(MAGIC) + 32
    (length,) = struct.unpack(">I", blob[start:start + 4])
    return json.loads(blob[start + 4:start + 4 + length].decode("utf-8"))


def cache_problems(cache_dir: Path) -> tuple[list[str], int, dict[str, int]]:
    """Cache entries that fail the cache's own check (through SynthesisCache.get); scratch count; engines."""
    problems: list[str] = []
    engines: dict[str, int] = {}
    if not cache_dir.is_dir():
        return problems, 0, engines
    cache = SynthesisCache(cache_dir)
    entries = cache.entries()
    known = set(entries)
    others = [p for p in cache_dir.rglob("*") if p.is_file() and p not in known]
    scratch = sum(1 for p in others if SCRATCH.match(p.name))
    problems += [f"{p}: neither a cache entry nor scratch" for p in others if not SCRATCH.match(p.name)]
    for path in entries:
        try:
            header = _entry_header(path.read_bytes())
        except Exception as exc:
            problems.append(f"{path.name}: header unreadable ({type(exc).__name__}: {exc})")
            continue
        maker = SimpleNamespace(name=header["engine"], version=header["version"], voice=header["voice"])
        if cache.path(cache.key(maker, header["text"])) != path:
            problems.append(f"{path.name}: stored under another key")
            continue
        voiced = cache.get(maker, header["text"])  # checks the digest and decodes the payload
        if voiced is None or len(voiced.audio) == 0:
            problems.append(f"{path.name}: rejected by the cache ({cache.stats().damaged} damaged)")
        engines[header["engine"]] = engines.get(header["engine"], 0) + 1
    return problems, scratch, engines


def folder_problems(folder: Path, links: bool = True) -> list[str]:
    """Everything wrong with a campaign folder: partial outputs, manifest mismatches, bad cache entries, dead links."""
    out = folder / "audio_out"
    problems, _ = output_problems(out)
    problems += manifest_problems(out) + (page_problems(out) if links else [])
    problems += cache_problems(folder / ".cache" / "broadcast")[0]
    return problems


def visible_files(out: Path) -> set[str]:
    """Paths (relative, '/') of every file under `out` that is not hidden scratch or the folder's own state
    (its marker, lock and file-hash memo)."""
    from broadcast.outdir import HASHES, LOCK, MARKER

    return {p.relative_to(out).as_posix() for p in out.rglob("*")
            if p.is_file() and not SCRATCH.match(p.name) and p.name not in (MARKER, LOCK, HASHES)}


def speech_fraction(path: Path, floor_dbfs: float = -40.0) -> float:
    """Share of 100 ms windows of a decoded MP3 louder than `floor_dbfs`: near 0 for a silent session."""
    from broadcast.audio import decode_mp3

    audio = decode_mp3(path)
    windows = [audio[i:i + 100] for i in range(0, len(audio) - 99, 100)]
    return sum(w.dBFS > floor_dbfs for w in windows) / max(1, len(windows))
