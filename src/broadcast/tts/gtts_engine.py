"""Online voice: Google Translate's TTS through gTTS, one request per piece, with timeouts, retries and a throttle."""

from __future__ import annotations

import io
import logging
import random
import threading
import time
import unicodedata

import requests
from gtts import __version__ as GTTS_VERSION
from gtts.tts import gTTS, gTTSError
from pydub import AudioSegment

from broadcast.errors import AudioError, TTSError
from broadcast.tts.base import Voiced, VoiceSettings

log = logging.getLogger(__name__)

_throttle_lock = threading.Lock()
_last_request = float("-inf")


def _wait_turn(min_interval_s: float) -> None:
    """Process-wide throttle: at most one gTTS request every `min_interval_s` seconds."""
    global _last_request
    with _throttle_lock:  # held while sleeping on purpose: requests queue up behind each other
        wait = _last_request + min_interval_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        _last_request = time.monotonic()


class _Transient(Exception):
    """A failure worth retrying: timeout, connection failure, 429 or 5xx."""


def looks_like_mp3(data: bytes) -> bool:
    """True when `data` starts with an ID3 tag or a valid MPEG audio frame header."""
    start = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        size = (data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7 | (data[9] & 0x7F)
        start = 10 + size + (10 if data[5] & 0x10 else 0)  # footer flag
    header = data[start : start + 4]
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return False
    version, layer = (header[1] >> 3) & 3, (header[1] >> 1) & 3
    bitrate, sample_rate = header[2] >> 4, (header[2] >> 2) & 3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and sample_rate != 3


def decode_mp3_audio(data: bytes) -> AudioSegment:
    """Decode MP3 bytes to mono 16-bit PCM at the file's own rate; TTSError if they are not audio."""
    from broadcast.audio.ffmpeg import decode_mp3  # the audio stage owns ffmpeg (imageio-ffmpeg, no ffprobe)

    try:
        audio = decode_mp3(data)
    except AudioError as exc:
        raise TTSError(f"could not decode MP3 audio: {exc}") from exc
    if len(audio) == 0:
        raise TTSError("MP3 audio decodes to nothing")
    return audio.set_channels(1).set_sample_width(2)


class GTTSEngine:
    """gTTS with a timeout on every request, retries with backoff and jitter, and a global throttle."""

    name = "gtts"
    version = f"gtts {GTTS_VERSION}"

    def __init__(self, settings: VoiceSettings) -> None:
        self.settings = settings
        self.voice = f"lang={settings.gtts_lang};tld={settings.gtts_tld}"
        self.requests = 0  # HTTP attempts made by this engine
        self.calls = 0  # pieces asked for

    def synthesize(self, text: str) -> Voiced:
        """Voice one piece (<= 100 characters, cut at punctuation) online; TTSError after the retries."""
        text = unicodedata.normalize("NFC", text).strip()
        if not text:
            raise TTSError("gTTS was given an empty piece of text")
        self.calls += 1
        mp3 = self.fetch(text)
        return Voiced(text=text, engine=self.name, audio=decode_mp3_audio(mp3), mp3=mp3)

    def fetch(self, text: str, *, retries: int | None = None, timeout_s: float | None = None) -> bytes:
        """MP3 bytes for `text` as Google sends them, checked to be audio; retries transient failures."""
        retries = self.settings.retries if retries is None else retries
        timeout_s = self.settings.timeout_s if timeout_s is None else timeout_s
        started = time.monotonic()
        for attempt in range(retries + 1):
            try:
                return self._request(text, timeout_s)
            except _Transient as exc:
                if attempt == retries:
                    spent = time.monotonic() - started
                    raise TTSError(f"gTTS failed after {attempt + 1} attempt(s) in {spent:.1f} s: {exc}") from exc
                # Exponential backoff with jitter, so many stations do not retry in step.
                delay = self.settings.backoff_s * 2**attempt * random.uniform(0.5, 1.0)
                log.info("gTTS attempt %d failed (%s); retrying in %.2f s", attempt + 1, exc, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(self, text: str, timeout_s: float) -> bytes:
        _wait_turn(self.settings.min_interval_s)
        self.requests += 1
        buffer = io.BytesIO()  # never the target file: gTTS leaves 0-byte files behind on errors
        tts = gTTS(
            text,
            lang=self.settings.gtts_lang,
            tld=self.settings.gtts_tld,
            lang_check=False,  # that check is a network request of its own
            pre_processor_funcs=[],  # the speech stage already prepared the text
            timeout=timeout_s,
        )
        try:
            tts.write_to_fp(buffer)
        except gTTSError as exc:
            status = exc.rsp.status_code if exc.rsp is not None else None
            if status is None or status == 429 or status >= 500:
                cause = exc.__context__ if status is None and exc.__context__ is not None else exc
                raise _Transient(f"{type(cause).__name__}: {cause}"[:300]) from exc
            if status < 400:  # a 200 whose audio line gTTS could not parse
                raise TTSError(f"gTTS answered without audio: {exc}") from exc
            raise TTSError(f"gTTS refused the request: {exc}") from exc
        except requests.RequestException as exc:
            raise _Transient(f"{type(exc).__name__}: {exc}"[:300]) from exc
        except ValueError as exc:  # undecodable base64 or text in a 200 answer
            raise TTSError(f"gTTS answered with something that is not audio: {exc}") from exc
        data = buffer.getvalue()
        if not data:
            raise TTSError("gTTS answered without audio (an empty or unrecognised response)")
        if not looks_like_mp3(data):
            raise TTSError(f"gTTS answered with {len(data)} bytes that are not MP3 audio")
        return data
