"""The house MP3: export with ID3v2.3 tags, frame-level joins, and reading back what a file holds."""

from __future__ import annotations

import io
import logging
import os
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import COMM, ID3, TALB, TDRC, TIT2, TPE1, TXXX, ID3NoHeaderError
from pydub import AudioSegment

from ..atomic import atomic_path, temp_path_for
from ..errors import AudioError, DiskFullError, is_disk_full
from .ffmpeg import normalize, run_ffmpeg
from .frames import FrameScan, scan_frames
from .settings import AudioSettings

log = logging.getLogger(__name__)

# Measured with the wheel's ffmpeg/libmp3lame: input sample 0 decodes at output sample 1105 (576 encoder
# + 529 decoder delay), and the stream ends with at least 47 samples of padding: n samples give
# ceil(n / 1152) + 1 frames.
LAME_DELAY = 1105
FRAME_SAMPLES = 1152
LAME_PADDING = FRAME_SAMPLES - LAME_DELAY
QUIET = 33  # |sample| below this (about -60 dBFS) may be cut to make room for the encoder delay
ITEMS_SEPARATOR = ", "


@dataclass(frozen=True)
class Tags:
    """What an MP3 says about itself (ID3v2.3, Vietnamese text in UTF-16)."""

    title: str
    station: str = ""
    campaign: str = ""
    date: str = ""  # ISO date, e.g. 2023-07-01
    items: tuple[str, ...] = ()
    engine: str = ""
    comment: str = ""


@dataclass(frozen=True)
class Mp3Info:
    """An MP3's stream facts, read from its frame headers."""

    duration_s: float
    sample_rate: int
    channels: int
    bitrate_kbps: int
    frames: int


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _id3(tags: Tags) -> ID3:
    """The house tags as an ID3 object ready to save as v2.3."""
    id3 = ID3()
    id3.add(TIT2(encoding=3, text=[_nfc(tags.title)]))
    for frame, value in ((TPE1, tags.station), (TALB, tags.campaign), (TDRC, tags.date)):
        if value:
            id3.add(frame(encoding=3, text=[_nfc(value)]))
    for desc, value in (("items", ITEMS_SEPARATOR.join(tags.items)), ("engine", tags.engine)):
        if value:
            id3.add(TXXX(encoding=3, desc=desc, text=[_nfc(value)]))
    if tags.comment:
        id3.add(COMM(encoding=3, lang="vie", desc="", text=[_nfc(tags.comment)]))
    id3.update_to_v23()  # TDRC -> TYER + TDAT; UTF-8 text becomes UTF-16 on save
    return id3


def tag_bytes(tags: Tags) -> bytes:
    """An ID3v2.3 tag holding `tags`, as bytes to put in front of MPEG frames."""
    buffer = io.BytesIO()
    _id3(tags).save(buffer, v2_version=3, padding=lambda _info: 0)
    return buffer.getvalue()


def read_tags(path: str | os.PathLike) -> Tags:
    """The house tags of an MP3 (mutagen); AudioError if it has no ID3 tag."""
    try:
        id3 = ID3(os.fspath(path))
    except ID3NoHeaderError as exc:
        raise AudioError(f"{path}: no ID3 tag") from exc
    except OSError as exc:
        raise AudioError(f"{path}: cannot read tags: {exc}") from exc

    def text(key: str) -> str:
        frame = id3.get(key)
        return str(frame.text[0]) if frame is not None and frame.text else ""

    items = text("TXXX:items")
    return Tags(
        title=text("TIT2"), station=text("TPE1"), campaign=text("TALB"), date=text("TDRC"),
        items=tuple(i.strip() for i in items.split(ITEMS_SEPARATOR.strip()) if i.strip()),
        engine=text("TXXX:engine"), comment=text("COMM::vie"),
    )


def _quiet(audio: AudioSegment, start: int, stop: int) -> bool:
    return audio.get_sample_slice(start, stop).max < QUIET


def _compensated_pcm(audio: AudioSegment) -> bytes:
    """PCM to feed LAME so that the decoded frames hold exactly `audio` (whole frames), nothing added."""
    samples = int(audio.frame_count())
    whole = samples - samples % FRAME_SAMPLES
    # Round to whole frames: drop a quiet tail of less than a frame, else pad with silence.
    if whole and whole < samples and _quiet(audio, whole, samples):
        audio = audio.get_sample_slice(0, whole)
    elif whole < samples:
        padding = b"\0" * 2 * (FRAME_SAMPLES - samples % FRAME_SAMPLES)
        audio = AudioSegment(data=audio.raw_data + padding, sample_width=2, frame_rate=audio.frame_rate,
                             channels=1)
    total = int(audio.frame_count())
    # LAME's delay (1105) plus its least padding (47) fill exactly one frame: feed one frame less,
    # taken from the quiet edges, and the decoded frames are the audio itself, sample for sample.
    if total > FRAME_SAMPLES and _quiet(audio, 0, LAME_DELAY) and _quiet(audio, total - LAME_PADDING, total):
        return audio.raw_data[2 * LAME_DELAY: 2 * (total - LAME_PADDING)]
    log.debug("export: audio has sound at its very ends; the encoder adds %d ms of silence",
              1000 * FRAME_SAMPLES // audio.frame_rate)
    return audio.raw_data


def _write_atomic(path: Path, chunks: Sequence[bytes | memoryview]) -> None:
    """Write chunks to a temp file beside `path`, then rename; no partial file survives any failure."""
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
    except OSError as exc:
        if is_disk_full(exc):
            raise DiskFullError(f"{path}: cannot write: {exc.strerror}") from None
        raise AudioError(f"{path}: cannot write: {exc}") from exc


def export_mp3(audio: AudioSegment, path: Path, tags: Tags, settings: AudioSettings) -> None:
    """Write audio as the house MP3 (mono, CBR, ID3v2.3 tags) atomically; AudioError on any failure."""
    path = Path(path)
    audio = normalize(audio, settings.sample_rate)
    if len(audio) == 0:
        raise AudioError(f"{path}: no audio to export")
    pcm = _compensated_pcm(audio)
    tmp = temp_path_for(path)
    # ffmpeg writes the file itself (not a pipe) so it can go back and fill in the LAME "Info" frame.
    args = ["-f", "s16le", "-ar", str(audio.frame_rate), "-ac", "1", "-i", "pipe:0", "-c:a", "libmp3lame",
            "-b:a", f"{settings.bitrate_kbps}k", "-write_xing", "1", "-id3v2_version", "0",
            "-map_metadata", "-1", "-fflags", "+bitexact", "-f", "mp3", "-y", str(tmp)]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        run_ffmpeg(args, pcm, what=f"encode {path.name}")
        scan = scan_frames(tmp.read_bytes(), str(path))
        expected = (settings.sample_rate, 1, settings.bitrate_kbps, True)
        if (scan.sample_rate, scan.channels, scan.bitrate_kbps, scan.constant_bitrate) != expected:
            raise AudioError(f"{path}: encoder gave {scan.sample_rate} Hz, {scan.channels} channel(s), "
                             f"{scan.bitrate_kbps} kbps (constant: {scan.constant_bitrate}); expected {expected}")
        _id3(tags).save(tmp, v2_version=3, padding=lambda _info: 0)
        os.replace(tmp, path)
    except (OSError, MutagenError) as exc:
        if is_disk_full(exc) or is_disk_full(getattr(exc, "__context__", None) or exc):
            raise DiskFullError(f"{path}: cannot write: File too large or no space left on the device") from None
        raise AudioError(f"{path}: cannot write: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


# Scans of files already seen, by identity: a chime or an opening is joined into many programmes.
_scans: dict[tuple[int, ...], FrameScan] = {}
SCAN_CACHE_SIZE = 4096
SCAN_KEY_BYTES = 16384


def _read_and_scan(path: str | os.PathLike, what: str) -> tuple[bytes, FrameScan]:
    """A file's bytes and frame scan (cached while the file is unchanged)."""
    try:
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            data = handle.read()
    except OSError as exc:
        raise AudioError(f"{what}: cannot read {path}: {exc}") from exc
    # Identity plus the bytes that decide the frame layout (the tag at the head, the last frames): a file
    # replaced within one clock tick can reuse inode, size and mtime, but not also its head and tail.
    head, tail = data[:SCAN_KEY_BYTES], data[-SCAN_KEY_BYTES:]
    key = (stat.st_dev, stat.st_ino, len(data), stat.st_mtime_ns, zlib.crc32(head), zlib.crc32(tail))
    scan = _scans.get(key)
    if scan is None:
        scan = scan_frames(data, os.fspath(path))
        if len(_scans) >= SCAN_CACHE_SIZE:
            _scans.clear()
        _scans[key] = scan
    return data, scan


def mp3_info(path: str | os.PathLike) -> Mp3Info:
    """Duration, rate, channels, bitrate and frame count from the frame headers (Xing/Info frame excluded)."""
    _data, scan = _read_and_scan(path, "mp3 info")
    return Mp3Info(scan.duration_s, scan.sample_rate, scan.channels, scan.bitrate_kbps, scan.frames)


def _same_stream(first: FrameScan, other: FrameScan) -> str:
    """What differs between two parts' streams, or ''."""
    for what, a, b in (("sample rate", first.sample_rate, other.sample_rate),
                       ("channels", first.channels, other.channels),
                       ("bitrate", first.bitrate_kbps, other.bitrate_kbps),
                       ("MPEG version", first.version, other.version)):
        if a != b:
            return f"{what} {b} differs from {a} in the first part"
    return ""


def join_mp3(parts: Sequence[Path], out: Path, tags: Tags) -> float:
    """Join house MP3s frame by frame (no re-encode) under one ID3v2.3 tag, atomically; return seconds."""
    if not parts:
        raise AudioError(f"{out}: nothing to join")
    chunks: list[bytes | memoryview] = [tag_bytes(tags)]
    first: FrameScan | None = None
    frames = 0
    for part in parts:
        data, scan = _read_and_scan(part, f"join {out}")
        if not scan.constant_bitrate:
            raise AudioError(f"join {out}: {part} is not constant bitrate")
        if first is None:
            first = scan
        elif problem := _same_stream(first, scan):
            raise AudioError(f"join {out}: {part}: {problem} ({parts[0]})")
        chunks.append(memoryview(data)[scan.audio_start:scan.audio_end])
        frames += scan.frames
    _write_atomic(Path(out), chunks)
    assert first is not None
    return frames * first.samples_per_frame / first.sample_rate
