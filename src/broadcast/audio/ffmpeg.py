"""The ffmpeg binary from the imageio-ffmpeg wheel: locate it, run filters, decode files and bytes."""

from __future__ import annotations

import functools
import logging
import os
import struct
import signal
import subprocess
import warnings
from pathlib import Path

with warnings.catch_warnings():
    # pydub looks for a system ffmpeg at import (there is none: we set the wheel's below) and uses audioop.
    warnings.filterwarnings("ignore", message="Couldn't find ffmpeg", category=RuntimeWarning)
    warnings.filterwarnings("ignore", message=".*audioop", category=DeprecationWarning)
    from pydub import AudioSegment

from ..errors import AudioError, DiskFullError, disk_full_from_process

log = logging.getLogger(__name__)

Source = str | os.PathLike | bytes


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the wheel's ffmpeg; also points pydub at it (there is no system ffmpeg or ffprobe)."""
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # the wheel raises RuntimeError when its binary is missing
        raise AudioError(f"ffmpeg from imageio-ffmpeg is not usable: {exc}") from exc
    AudioSegment.converter = exe
    AudioSegment.ffmpeg = exe
    return exe


try:  # point pydub at the wheel's ffmpeg as soon as the package is imported
    ffmpeg_exe()
except AudioError as _missing:
    log.debug("%s", _missing)  # reported when audio is first processed


def run_ffmpeg(args: list[str], data: bytes | None = None, what: str = "ffmpeg") -> subprocess.CompletedProcess:
    """Run ffmpeg with `args` (stdin fed from `data`); raise AudioError with its last words on failure."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", "-nostdin", *args]
    try:
        proc = subprocess.run(cmd, input=data, capture_output=True, check=False)
    except OSError as exc:
        raise AudioError(f"{what}: cannot run ffmpeg: {exc}") from exc
    if proc.returncode != 0:
        _raise_failure(what, proc.returncode, proc.stderr)
    return proc


def _raise_failure(what: str, returncode: int, stderr: bytes) -> None:
    """Turn a failed ffmpeg into AudioError, or DiskFullError when the disk (or file size limit) is why."""
    text = stderr.decode("utf-8", "replace")
    tail = " | ".join(text.strip().splitlines()[-3:])
    if disk_full_from_process(returncode, text):
        raise DiskFullError(f"{what}: cannot write: File too large or no space left on the device ({tail})")
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        raise AudioError(f"{what}: ffmpeg was killed by {name}: {tail}")
    raise AudioError(f"{what}: ffmpeg failed ({returncode}): {tail}")


def normalize(audio: AudioSegment, rate: int | None = None) -> AudioSegment:
    """16-bit mono, at `rate` if given (resampled by ffmpeg's filter, not pydub's linear one)."""
    if audio.sample_width != 2:
        audio = audio.set_sample_width(2)
    if audio.channels != 1:
        audio = audio.set_channels(1)
    if rate and audio.frame_rate != rate:
        audio = filter_audio(audio, "aresample=resampler=soxr:precision=20", rate=rate)
    return audio


def pcm_input(audio: AudioSegment) -> list[str]:
    """ffmpeg input options for a 16-bit AudioSegment's raw data on stdin."""
    if audio.sample_width != 2:
        raise AudioError(f"expected 16-bit audio, got {8 * audio.sample_width}-bit")
    return ["-f", "s16le", "-ar", str(audio.frame_rate), "-ac", str(audio.channels), "-i", "pipe:0"]


def filter_audio(audio: AudioSegment, graph: str, rate: int | None = None) -> AudioSegment:
    """Pass 16-bit audio through an ffmpeg audio filter graph; output 16-bit at `rate` (default: same)."""
    audio = audio.set_sample_width(2) if audio.sample_width != 2 else audio
    out_rate = rate or audio.frame_rate
    args = [*pcm_input(audio), "-af", graph, "-f", "s16le", "-ar", str(out_rate), "-ac", str(audio.channels),
            "pipe:1"]
    proc = run_ffmpeg(args, audio.raw_data, what=f"filter {graph.split('=')[0]}")
    data = proc.stdout[: len(proc.stdout) - len(proc.stdout) % (2 * audio.channels)]
    return AudioSegment(data=data, sample_width=2, frame_rate=out_rate, channels=audio.channels)


def decode_audio(source: Source, input_format: str | None = None, max_seconds: float | None = None) -> AudioSegment:
    """Decode any ffmpeg-readable file (path) or bytes into 16-bit PCM at its own rate and channels
    (only its first `max_seconds` when given: a long file is never decoded whole to learn it is long)."""
    if isinstance(source, bytes):
        if not source:
            raise AudioError("decode: no audio data (0 bytes)")
        src, data, name = ["pipe:0"], source, "<bytes>"
    else:
        path = Path(source)
        if not path.is_file():
            raise AudioError(f"decode: {path}: no such file")
        src, data, name = [str(path)], None, str(path)
    fmt = ["-f", input_format] if input_format else []
    limit = ["-t", f"{max_seconds:.3f}"] if max_seconds is not None else []
    args = [*fmt, "-i", *src, *limit, "-map", "0:a:0", "-map_metadata", "-1", "-fflags", "+bitexact",
            "-c:a", "pcm_s16le", "-f", "wav", "pipe:1"]
    proc = run_ffmpeg(args, data, what=f"decode {name}")
    return _parse_wav(proc.stdout, name)


def decode_mp3(source: Source) -> AudioSegment:
    """Decode an MP3 file or MP3 bytes (no ffprobe: the format is given to ffmpeg)."""
    return decode_audio(source, input_format="mp3")


def _parse_wav(blob: bytes, name: str) -> AudioSegment:
    # A WAV written to a pipe has placeholder sizes: read the fmt chunk, take everything after `data`.
    if blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise AudioError(f"decode {name}: ffmpeg gave no WAV data")
    pos, channels, rate = 12, 0, 0
    while pos + 8 <= len(blob):
        chunk, size = blob[pos:pos + 4], struct.unpack_from("<I", blob, pos + 4)[0]
        if chunk == b"fmt ":
            _tag, channels, rate = struct.unpack_from("<HHI", blob, pos + 8)
        elif chunk == b"data":
            data = blob[pos + 8:]
            if not channels or not rate:
                break
            data = data[: len(data) - len(data) % (2 * channels)]
            return AudioSegment(data=data, sample_width=2, frame_rate=rate, channels=channels)
        pos += 8 + size + (size & 1)
    raise AudioError(f"decode {name}: malformed WAV from ffmpeg")
