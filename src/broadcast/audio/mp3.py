"""The house MP3: export with ID3v2.3 tags, frame-level joins, and reading back what a file holds."""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import unicodedata
import zlib
from collections.abc import Iterator, Sequence
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


def _quiet(audio: AudioSegment, start: int, stop: int, gain_db: float) -> bool:
    # Quiet once the gain that the encoding run applies is counted in.
    return audio.get_sample_slice(start, stop).max * 10 ** (max(0.0, gain_db) / 20) < QUIET


def _compensated_pcm(audio: AudioSegment, gain_db: float = 0.0) -> bytes:
    """PCM to feed LAME so that the decoded frames hold exactly `audio` (whole frames), nothing added."""
    samples = int(audio.frame_count())
    whole = samples - samples % FRAME_SAMPLES
    # Round to whole frames: drop a quiet tail of less than a frame, else pad with silence.
    if whole and whole < samples and _quiet(audio, whole, samples, gain_db):
        audio = audio.get_sample_slice(0, whole)
    elif whole < samples:
        padding = b"\0" * 2 * (FRAME_SAMPLES - samples % FRAME_SAMPLES)
        audio = AudioSegment(data=audio.raw_data + padding, sample_width=2, frame_rate=audio.frame_rate,
                             channels=1)
    total = int(audio.frame_count())
    # LAME's delay (1105) plus its least padding (47) fill exactly one frame: feed one frame less,
    # taken from the quiet edges, and the decoded frames are the audio itself, sample for sample.
    if (total > FRAME_SAMPLES and _quiet(audio, 0, LAME_DELAY, gain_db)
            and _quiet(audio, total - LAME_PADDING, total, gain_db)):
        return audio.raw_data[2 * LAME_DELAY: 2 * (total - LAME_PADDING)]
    log.debug("export: audio has sound at its very ends; the encoder adds %d ms of silence",
              1000 * FRAME_SAMPLES // audio.frame_rate)
    return audio.raw_data


@contextlib.contextmanager
def publishing(path: Path) -> Iterator[Path]:
    """A temp path beside `path` to encode into; renamed into place on success, removed on any failure,
    with a full disk reported as DiskFullError and other write errors as AudioError."""
    tmp = temp_path_for(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        os.replace(tmp, path)
    except (OSError, MutagenError) as exc:
        if is_disk_full(exc) or is_disk_full(getattr(exc, "__context__", None) or exc):
            raise DiskFullError(f"{path}: cannot write: File too large or no space left on the device") from None
        raise AudioError(f"{path}: cannot write: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def encode_into(tmp: Path, audio: AudioSegment, tags: Tags, settings: AudioSettings, *, filters: str = "",
                gain_db: float = 0.0, lowpass_hz: int | None = None, what: str = "encode") -> None:
    """Encode house-format audio into `tmp` as the house MP3: the encoder delay taken out of its quiet
    edges, `filters` (an ffmpeg graph that keeps the length, applying at most `gain_db`) run in the same
    ffmpeg as the encoder (told the graph's lowpass, if any), the stream checked, the tags written."""
    pcm = _compensated_pcm(audio, gain_db)
    # ffmpeg writes the file itself (not a pipe) so it can go back and fill in the LAME "Info" frame.
    args = ["-f", "s16le", "-ar", str(audio.frame_rate), "-ac", "1", "-i", "pipe:0",
            *(["-af", filters] if filters else []), "-c:a", "libmp3lame", "-b:a", f"{settings.bitrate_kbps}k",
            *(["-cutoff", str(lowpass_hz)] if lowpass_hz else []), "-write_xing", "1", "-id3v2_version", "0",
            "-map_metadata", "-1", "-fflags", "+bitexact", "-f", "mp3", "-y", str(tmp)]
    run_ffmpeg(args, pcm, what=what)
    scan = scan_frames(tmp.read_bytes(), str(tmp))
    expected = (settings.sample_rate, 1, settings.bitrate_kbps, True)
    if (scan.sample_rate, scan.channels, scan.bitrate_kbps, scan.constant_bitrate) != expected:
        raise AudioError(f"{what}: encoder gave {scan.sample_rate} Hz, {scan.channels} channel(s), "
                         f"{scan.bitrate_kbps} kbps (constant: {scan.constant_bitrate}); expected {expected}")
    _id3(tags).save(tmp, v2_version=3, padding=lambda _info: 0)


def export_mp3(audio: AudioSegment, path: Path, tags: Tags, settings: AudioSettings) -> None:
    """Write audio as the house MP3 (mono, CBR, ID3v2.3 tags) as it is, atomically; AudioError on any failure.
    (Speech is published with `master_mp3`, which levels it in the same encoding run.)"""
    path = Path(path)
    audio = normalize(audio, settings.sample_rate)
    if len(audio) == 0:
        raise AudioError(f"{path}: no audio to export")
    with publishing(path) as tmp:
        encode_into(tmp, audio, tags, settings, what=f"encode {path.name}")


# Scans of files already seen, by identity: a chime or an opening is joined into many programmes.
_scans: dict[tuple[int, ...], FrameScan] = {}
SCAN_CACHE_SIZE = 4096
SCAN_KEY_BYTES = 16384


def _open_scanned(path: str | os.PathLike, what: str) -> tuple[int, FrameScan]:
    """An open descriptor of an MP3 and its frame scan (cached while the file is unchanged: a file seen
    before is identified by reading only its head and tail). The caller closes the descriptor."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise AudioError(f"{what}: cannot read {path}: {exc}") from exc
    try:
        stat = os.fstat(fd)
        # Identity plus the bytes that decide the frame layout (the tag at the head, the last frames): a file
        # replaced within one clock tick can reuse inode, size and mtime, but not also its head and tail.
        head = os.pread(fd, SCAN_KEY_BYTES, 0)
        tail = os.pread(fd, SCAN_KEY_BYTES, max(0, stat.st_size - SCAN_KEY_BYTES))
        key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, zlib.crc32(head), zlib.crc32(tail))
        scan = _scans.get(key)
        if scan is None:
            scan = scan_frames(os.pread(fd, stat.st_size, 0), os.fspath(path))
            if len(_scans) >= SCAN_CACHE_SIZE:
                _scans.clear()
            _scans[key] = scan
        return fd, scan
    except OSError as exc:
        os.close(fd)
        raise AudioError(f"{what}: cannot read {path}: {exc}") from exc
    except BaseException:
        os.close(fd)
        raise


def mp3_info(path: str | os.PathLike) -> Mp3Info:
    """Duration, rate, channels, bitrate and frame count from the frame headers (Xing/Info frame excluded)."""
    fd, scan = _open_scanned(path, "mp3 info")
    os.close(fd)
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


def _copy_range(source: int, target: int, start: int, end: int) -> None:
    """Copy bytes [start, end) of `source` to the end of `target` in the kernel (no trip through Python)."""
    while start < end:
        try:
            done = os.copy_file_range(source, target, end - start, start)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            done = 0
        if done == 0:  # not supported here (or a file shorter than its scan): copy through memory
            data = os.pread(source, end - start, start)
            if not data:
                raise OSError(errno.EIO, "file shrank while being joined")
            os.write(target, data)
            done = len(data)
        start += done


def join_mp3(parts: Sequence[Path], out: Path, tags: Tags) -> float:
    """Join house MP3s frame by frame (no re-encode) under one ID3v2.3 tag, atomically; return seconds."""
    if not parts:
        raise AudioError(f"{out}: nothing to join")
    out = Path(out)
    opened: list[tuple[int, FrameScan]] = []
    try:
        for part in parts:
            fd, scan = _open_scanned(part, f"join {out}")
            opened.append((fd, scan))
            if not scan.constant_bitrate:
                raise AudioError(f"join {out}: {part} is not constant bitrate")
            if problem := _same_stream(opened[0][1], scan):
                raise AudioError(f"join {out}: {part}: {problem} ({parts[0]})")
        try:
            with atomic_path(out) as tmp:
                target = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
                try:
                    os.write(target, tag_bytes(tags))
                    for fd, scan in opened:
                        _copy_range(fd, target, scan.audio_start, scan.audio_end)
                finally:
                    os.close(target)
        except OSError as exc:
            if is_disk_full(exc):
                raise DiskFullError(f"{out}: cannot write: {exc.strerror}") from None
            raise AudioError(f"{out}: cannot write: {exc}") from exc
    finally:
        for fd, _scan in opened:
            os.close(fd)
    first = opened[0][1]
    return sum(scan.frames for _fd, scan in opened) * first.samples_per_frame / first.sample_rate
