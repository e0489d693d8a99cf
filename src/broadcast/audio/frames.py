"""MPEG audio frame headers: find the audio between tags, count frames, spot the Xing/Info frame."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..errors import AudioError

# Layer III bitrates (kbps) by bitrate index: MPEG-1, then MPEG-2/2.5.
BITRATES = {
    3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, None),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, None),
}
SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
VERSIONS = {3: "MPEG-1", 2: "MPEG-2", 0: "MPEG-2.5"}
SYNC_SEARCH = 64 * 1024  # junk tolerated between the ID3v2 tag and the first frame


@dataclass(frozen=True)
class FrameScan:
    """Where a file's MPEG audio frames are and what they carry."""

    version: str
    sample_rate: int
    channels: int
    bitrate_kbps: int  # of the first audio frame; the mean if not constant
    samples_per_frame: int
    frames: int  # audio frames, not counting a Xing/Info frame
    audio_start: int  # byte offset of the first audio frame (after tags and the Xing/Info frame)
    audio_end: int  # byte offset just past the last whole frame
    constant_bitrate: bool

    @property
    def duration_s(self) -> float:
        """frames x samples per frame / sample rate."""
        return self.frames * self.samples_per_frame / self.sample_rate


@dataclass(frozen=True)
class _Header:
    version_bits: int
    sample_rate: int
    bitrate_kbps: int
    channels: int
    samples_per_frame: int
    length: int
    side_info: int


def _header(data: bytes | memoryview, pos: int) -> _Header | None:
    """The Layer III frame header at `pos`, or None if there is none."""
    if pos + 4 > len(data) or data[pos] != 0xFF or (data[pos + 1] & 0xE0) != 0xE0:
        return None
    b1, b2, b3 = data[pos + 1], data[pos + 2], data[pos + 3]
    version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
    rate_index, bitrate_index = (b2 >> 2) & 3, b2 >> 4
    if version == 1 or layer != 1 or rate_index == 3 or bitrate_index in (0, 15):
        return None  # reserved, not Layer III, or free format (unsupported)
    mpeg1 = version == 3
    bitrate = BITRATES[3 if mpeg1 else 2][bitrate_index]
    rate = SAMPLE_RATES[version][rate_index]
    mono = (b3 >> 6) == 3
    slot = 144 if mpeg1 else 72
    length = slot * bitrate * 1000 // rate + ((b2 >> 1) & 1)
    side = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    return _Header(version, rate, bitrate, 1 if mono else 2, 1152 if mpeg1 else 576, length, side)


def _tag_end(data: bytes | memoryview) -> int:
    """Offset past any ID3v2 tags at the start."""
    pos = 0
    while data[pos:pos + 3] == b"ID3" and pos + 10 <= len(data):
        size = 0
        for byte in data[pos + 6:pos + 10]:
            size = (size << 7) | (byte & 0x7F)
        pos += 10 + size + (10 if data[pos + 5] & 0x10 else 0)
    return pos


def _trailer_start(data: bytes | memoryview) -> int:
    """Offset of trailing ID3v1 / APEv2 tags (or the end)."""
    end = len(data)
    if end >= 128 and data[end - 128:end - 125] == b"TAG":
        end -= 128
    if end >= 32 and data[end - 32:end - 24] == b"APETAGEX":
        size, flags = struct.unpack_from("<I4xI", data, end - 20)
        end -= size + (32 if flags & 0x80000000 else 0)
    return max(end, 0)


def _first_frame(data: bytes | memoryview, start: int, end: int, name: str) -> tuple[int, _Header]:
    """First frame whose successor is also a frame (guards against false syncs in junk)."""
    limit = min(end, start + SYNC_SEARCH)
    pos = start
    while pos < limit:
        head = _header(data, pos)
        if head and (pos + head.length >= end or _header(data, pos + head.length)):
            return pos, head
        pos += 1
    raise AudioError(f"{name}: no MPEG Layer III audio frames found")


def _is_info_frame(data: bytes | memoryview, pos: int, head: _Header) -> bool:
    tag = bytes(data[pos + 4 + head.side_info:pos + 8 + head.side_info])
    return tag in (b"Xing", b"Info") or bytes(data[pos + 36:pos + 40]) == b"VBRI"


def _count_cbr(data: bytes, pos: int, end: int) -> int | None:
    """Frame count of a CBR stream whose headers differ only in the padding bit, at C speed; None if not."""
    first = bytes(data[pos:pos + 4])
    plain, padded = bytearray(first), bytearray(first)
    plain[2] &= 0xFD
    padded[2] |= 0x02
    head = _header(plain, 0)
    if head is None:
        return None
    n_plain, n_padded = data.count(plain, pos, end), data.count(padded, pos, end)
    # The headers' frame lengths must tile the stream exactly; a stray header-like pattern in the
    # audio data, or any other header, breaks the sum, and the caller falls back to walking.
    if n_plain * head.length + n_padded * (head.length + 1) != end - pos:
        return None
    return n_plain + n_padded


def _walk(data: bytes | memoryview, pos: int, end: int, name: str) -> tuple[int, int, bool]:
    """Count whole frames from `pos`; return (frames, end offset, constant bitrate)."""
    start, frames = pos, 0
    head = _header(data, pos)
    assert head is not None
    # Fast path for CBR (the house format): only the padding bit changes, so a frame is base or base + 1.
    base, key = head.length - ((data[pos + 2] >> 1) & 1), data[pos + 2] & 0xFD
    b1, b3 = data[pos + 1], data[pos + 3] & 0xC0
    limit = end - base - 1  # past this a frame may be cut off: the general path decides
    while pos <= limit:
        b2 = data[pos + 2]
        if data[pos] != 0xFF or (b2 & 0xFD) != key:
            break
        pos += base + ((b2 >> 1) & 1)
        frames += 1
    constant = True
    # General path (VBR, or where the fast path stopped): every header parsed.
    while pos + 4 <= end:
        head = _header(data, pos)
        if head is None or data[pos + 1] != b1 or (data[pos + 3] & 0xC0) != b3:
            raise AudioError(f"{name}: broken MPEG stream at byte {pos} (frame {frames})")
        if pos + head.length > end:
            break  # a cut-off last frame is left out
        constant = constant and (data[pos + 2] & 0xFD) == key
        pos += head.length
        frames += 1
    if pos == start:
        return 0, pos, True
    return frames, pos, constant


def scan_frames(data: bytes | memoryview, name: str = "<mp3>") -> FrameScan:
    """Find and count the audio frames (byte counts for CBR, else a header walk); AudioError if broken."""
    end = _trailer_start(data)
    pos, head = _first_frame(data, _tag_end(data), end, name)
    if _is_info_frame(data, pos, head):
        pos += head.length
        head = _header(data, pos)
        if head is None:
            raise AudioError(f"{name}: no MPEG audio frames after the Xing/Info frame")
    start = pos
    counted = _count_cbr(data, pos, end) if isinstance(data, bytes) else None
    if counted is not None:
        frames, pos, constant = counted, end, True
    else:
        frames, pos, constant = _walk(data, pos, end, name)
    if frames == 0:
        raise AudioError(f"{name}: no complete MPEG audio frames")
    bitrate = head.bitrate_kbps
    if not constant:
        bitrate = round((pos - start) * 8 / (frames * head.samples_per_frame / head.sample_rate) / 1000)
    return FrameScan(VERSIONS[head.version_bits], head.sample_rate, head.channels, bitrate,
                     head.samples_per_frame, frames, start, pos, constant)
