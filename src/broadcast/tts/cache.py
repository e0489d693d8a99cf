"""Synthesis cache: the same text in the same voice is never synthesised twice, across runs."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import struct
import unicodedata
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from broadcast.atomic import write_bytes_atomic
from broadcast.errors import TTSError
from broadcast.tts.auto import open_engine
from broadcast.tts.base import Engine, Voiced, VoiceSettings, cache_candidates, member_named, pcm_segment
from broadcast.tts.gtts_engine import decode_mp3_audio

log = logging.getLogger(__name__)

FORMAT = 1  # bump to orphan every entry when the entry layout or the key recipe changes
MAGIC = b"BCTTS\x00"
SUFFIX = ".tts"
# Entry layout: MAGIC, sha256 of the rest, header length (4 bytes big-endian), JSON header, payload.
_HEADER_LEN = struct.Struct(">I")
_DIGEST_LEN = 32


class DamagedEntry(Exception):
    """A cache file that fails its self-check."""


@dataclass
class CacheStats:
    """What the cache did in this process; `engine_calls` counts pieces that were really synthesised."""

    hits: int = 0
    misses: int = 0
    damaged: int = 0
    writes: int = 0
    engine_calls: int = 0


class SynthesisCache:
    """Voiced pieces on disk under `root`, keyed by everything that changes the sound."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._stats = CacheStats()

    def stats(self) -> CacheStats:
        """A snapshot of this cache object's counters (they start at zero for each SynthesisCache)."""
        return replace(self._stats)

    @staticmethod
    def key(engine: Engine, text: str) -> str:
        """sha256 of the text, the engine's name and version and its sound settings."""
        recipe = [FORMAT, unicodedata.normalize("NFC", text), engine.name, engine.version, engine.voice]
        return hashlib.sha256(json.dumps(recipe, ensure_ascii=False).encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        """Where the entry for `key` lives."""
        return self.root / key[:2] / f"{key}{SUFFIX}"

    def get(self, engine: Engine, text: str) -> Voiced | None:
        """The cached voicing of `text` by `engine`, or None; a damaged entry is logged, deleted, and missed."""
        text = unicodedata.normalize("NFC", text)
        key = self.key(engine, text)
        path = self.path(key)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("cannot read cache entry %s: %s", path, exc)
            return None
        try:
            return _unpack(blob, key, text)
        except DamagedEntry as exc:
            self._stats.damaged += 1
            log.warning("damaged cache entry %s (%s); deleting it, the piece will be voiced again", path, exc)
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
            return None

    def put(self, engine: Engine, voiced: Voiced) -> Path | None:
        """Store `voiced` (as `engine` made it) atomically; a failed write is logged, never fatal."""
        key = self.key(engine, voiced.text)
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(path, _pack(voiced, key, engine))
        except OSError as exc:
            log.warning("could not write cache entry %s: %s", path, exc)
            return None
        self._stats.writes += 1
        return path

    def voice(self, engine: Engine, text: str) -> Voiced:
        """`text` from the cache if any acceptable engine voiced it before, else synthesised and stored."""
        text = unicodedata.normalize("NFC", text).strip()
        for candidate in cache_candidates(engine):
            hit = self.get(candidate, text)
            if hit is not None:
                self._stats.hits += 1
                return hit
        self._stats.misses += 1
        self._stats.engine_calls += 1
        voiced = engine.synthesize(text)
        self.put(member_named(engine, voiced.engine), voiced)
        return voiced

    def entries(self) -> list[Path]:
        """Every entry file under the root."""
        return sorted(self.root.glob(f"??/*{SUFFIX}"))


def _pack(voiced: Voiced, key: str, engine: Engine) -> bytes:
    if voiced.mp3 is not None:
        kind, payload = "mp3", voiced.mp3  # gTTS's bytes as received: already compact
    else:
        audio = voiced.audio.set_channels(1).set_sample_width(2)
        kind, payload = "pcm16-planes-zlib", _compress_pcm(audio.raw_data)
    header = {
        "key": key,
        "text": voiced.text,
        "engine": voiced.engine,
        "version": engine.version,
        "voice": engine.voice,
        "kind": kind,
        "sample_rate": voiced.audio.frame_rate,
        "payload_bytes": len(payload),
    }
    head = json.dumps(header, ensure_ascii=False, sort_keys=True).encode("utf-8")
    body = _HEADER_LEN.pack(len(head)) + head + payload
    return MAGIC + hashlib.sha256(body).digest() + body


def _unpack(blob: bytes, key: str, text: str) -> Voiced:
    start = len(MAGIC) + _DIGEST_LEN
    if not blob.startswith(MAGIC) or len(blob) < start + _HEADER_LEN.size:
        raise DamagedEntry("not a cache entry, or cut short")
    body = blob[start:]
    if hashlib.sha256(body).digest() != blob[len(MAGIC) : start]:
        raise DamagedEntry("checksum mismatch")
    (head_len,) = _HEADER_LEN.unpack_from(body)
    try:
        header = json.loads(body[_HEADER_LEN.size : _HEADER_LEN.size + head_len].decode("utf-8"))
        payload = body[_HEADER_LEN.size + head_len :]
        if header["key"] != key or header["text"] != text:
            raise DamagedEntry("entry belongs to another piece")
        if len(payload) != header["payload_bytes"]:
            raise DamagedEntry(f"payload is {len(payload)} bytes, header says {header['payload_bytes']}")
        if header["kind"] == "mp3":
            audio = decode_mp3_audio(payload)
            mp3: bytes | None = payload
        elif header["kind"] == "pcm16-planes-zlib":
            audio, mp3 = pcm_segment(_decompress_pcm(payload), int(header["sample_rate"])), None
        else:
            raise DamagedEntry(f"unknown payload kind {header['kind']!r}")
    except (ValueError, KeyError, TypeError, zlib.error, TTSError) as exc:
        raise DamagedEntry(f"{type(exc).__name__}: {exc}") from exc
    return Voiced(text=text, engine=header["engine"], audio=audio, mp3=mp3)


def _compress_pcm(pcm: bytes) -> bytes:
    # High bytes apart from low bytes: the quiet, slowly changing high bytes then compress well
    # (57% of the PCM instead of 68% for plain zlib, and faster).
    return zlib.compress(pcm[1::2] + pcm[0::2], 1)


def _decompress_pcm(payload: bytes) -> bytes:
    planes = zlib.decompress(payload)
    half = len(planes) // 2
    pcm = bytearray(len(planes))
    pcm[1::2], pcm[0::2] = planes[:half], planes[half:]
    return bytes(pcm)


def voice_pieces(
    pieces: Sequence[str],
    settings: VoiceSettings,
    cache: SynthesisCache | None = None,
    engine: Engine | None = None,
) -> list[Voiced]:
    """Voice each piece in order, from the cache when it can; TTSError if a piece cannot be voiced."""
    engine = engine if engine is not None else open_engine(settings)
    return [_voice_one(unicodedata.normalize("NFC", piece).strip(), engine, cache) for piece in pieces]


def _voice_one(text: str, engine: Engine, cache: SynthesisCache | None) -> Voiced:
    if not text:
        raise TTSError("an empty piece of text cannot be voiced")
    return cache.voice(engine, text) if cache is not None else engine.synthesize(text)
