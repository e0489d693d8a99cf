"""Online voice: Google Translate's TTS through gTTS, one request per piece, in the build-wide request budget."""

from __future__ import annotations

import logging
import random
import time
import unicodedata

import gtts.tts
from gtts import __version__ as GTTS_VERSION
from gtts.tts import gTTS
from pydub import AudioSegment

from broadcast.errors import AudioError, TTSError
from broadcast.tts.base import Voiced, VoiceSettings
from broadcast.tts.transport import PermanentHTTPError, RequestBudget, TransientHTTPError, audio_from_answer, send

log = logging.getLogger(__name__)

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
    """gTTS with a deadline on every request, retries with backoff and jitter, and the build-wide request budget."""

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
        """MP3 bytes for `text` as Google sends them, checked to be audio; retries transient failures.

        Every attempt waits for a slot in the build-wide request budget; a 429 or 5xx slows the whole build
        (and its Retry-After, if any, is honoured by every process) before the backoff of this piece."""
        retries = self.settings.retries if retries is None else retries
        timeout_s = self.settings.timeout_s if timeout_s is None else timeout_s
        budget = self._budget()
        started = time.monotonic()
        for attempt in range(retries + 1):
            budget.acquire()
            self.requests += 1
            try:
                data = self._request(text, timeout_s)
            except TransientHTTPError as exc:
                if exc.status is not None:
                    budget.slow_down(exc.retry_after_s)
                if attempt == retries:
                    spent = time.monotonic() - started
                    raise TTSError(f"gTTS failed after {attempt + 1} attempt(s) in {spent:.1f} s: {exc}") from exc
                # Exponential backoff with jitter, so many stations do not retry in step.
                delay = self.settings.backoff_s * 2**attempt * random.uniform(0.5, 1.0)
                log.info("gTTS attempt %d failed (%s); retrying in %.2f s", attempt + 1, exc, delay)
                time.sleep(delay)
            else:
                budget.eased()
                return data
        raise AssertionError("unreachable")  # pragma: no cover

    def _budget(self) -> RequestBudget:
        return RequestBudget(gtts.tts._translate_url(tld=self.settings.gtts_tld, path=""),
                             self.settings.requests_per_second)

    def _request(self, text: str, timeout_s: float) -> bytes:
        """One attempt: gTTS prepares the request, transport sends it, the answer is parsed as gTTS would."""
        tts = gTTS(
            text,
            lang=self.settings.gtts_lang,
            tld=self.settings.gtts_tld,
            lang_check=False,  # that check is a network request of its own
            pre_processor_funcs=[],  # the speech stage already prepared the text
            timeout=timeout_s,
        )
        data = b""
        for prepared in tts._prepare_requests():  # one request: pieces are already <= 100 characters
            try:
                body = send(prepared, timeout_s)
            except PermanentHTTPError as exc:
                raise TTSError(f"gTTS refused: {exc}") from exc
            try:
                data += audio_from_answer(body)
            except ValueError as exc:  # no audio line, or undecodable base64
                raise TTSError(f"gTTS answered without audio: {exc}") from exc
        if not data:
            raise TTSError("gTTS answered without audio (an empty or unrecognised response)")
        if not looks_like_mp3(data):
            raise TTSError(f"gTTS answered with {len(data)} bytes that are not MP3 audio")
        return data
