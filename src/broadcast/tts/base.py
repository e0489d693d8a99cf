"""Voice settings, the voiced-piece record and the engine protocol every TTS engine follows."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Iterator, Protocol, runtime_checkable

with warnings.catch_warnings():
    # pydub looks for a system ffmpeg at import; there is none (broadcast.audio.ffmpeg points it at the wheel's).
    warnings.filterwarnings("ignore", message="Couldn't find ffmpeg", category=RuntimeWarning)
    from pydub import AudioSegment

from broadcast.errors import ConfigError, Problem

ENGINES = ("auto", "gtts", "espeak")
# espeak-ng voice names in the espeakng-loader wheel, per region of Vietnam.
REGION_VOICES = {"north": "vi", "central": "vi-VN-x-central", "south": "vi-VN-x-south"}
RATE_RANGE = (80, 450)  # espeak-ng's own limits, words per minute
# Measured on espeak-ng 1.52: peaks sit near -2 dBFS at volume 60, reach -0.1 dBFS at 75.
VOLUME_RANGE = (1, 70)


@dataclass(frozen=True)
class VoiceSettings:
    """Which voice speaks and how; everything here except timing changes the sound."""

    engine: str = "auto"  # "auto" | "gtts" | "espeak"
    region: str = "north"  # "north" (vi) | "central" (vi-VN-x-central) | "south" (vi-VN-x-south)
    rate: int = 150  # espeak words per minute: about 3.3 syllables a second, clear on loudspeakers
    volume: int = 60  # espeak volume: peaks near -2 dBFS, nothing clips
    gtts_lang: str = "vi"
    gtts_tld: str = "com"
    timeout_s: float = 8.0  # every gTTS request, all of it: connecting, waiting and reading the answer
    retries: int = 3  # on timeout, connection failure, 429, 5xx
    backoff_s: float = 0.5  # first retry delay; doubles each time, with jitter
    requests_per_second: float = 2.0  # gTTS requests a second for the whole build, every worker process together
    probe_timeout_s: float = 2.0  # the auto engine's one reachability probe

    def __post_init__(self) -> None:
        problems = [Problem("", None, name, message) for name, message in self._problems()]
        if problems:
            raise ConfigError(problems)

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.engine not in ENGINES:
            yield "engine", f"{self.engine!r} is not one of {', '.join(ENGINES)}"
        if self.region not in REGION_VOICES:
            yield "region", f"{self.region!r} is not one of {', '.join(REGION_VOICES)}"
        if not RATE_RANGE[0] <= self.rate <= RATE_RANGE[1]:
            yield "rate", f"{self.rate} is outside {RATE_RANGE[0]}..{RATE_RANGE[1]} words per minute"
        if not VOLUME_RANGE[0] <= self.volume <= VOLUME_RANGE[1]:
            yield "volume", f"{self.volume} is outside {VOLUME_RANGE[0]}..{VOLUME_RANGE[1]} (higher clips)"
        if not self.gtts_lang or not self.gtts_tld:
            yield "gtts_lang", "gTTS language and top-level domain must not be empty"
        for name in ("timeout_s", "probe_timeout_s"):
            if not getattr(self, name) > 0:
                yield name, f"{getattr(self, name)} must be a positive number of seconds"
        if self.backoff_s < 0:
            yield "backoff_s", f"{self.backoff_s} must not be negative"
        if not self.requests_per_second > 0:
            yield "requests_per_second", f"{self.requests_per_second} must be a positive number of requests a second"
        if not 0 <= self.retries <= 10:
            yield "retries", f"{self.retries} is outside 0..10"

    @property
    def espeak_voice(self) -> str:
        """The espeak-ng voice name for this region."""
        return REGION_VOICES[self.region]

    def gtts_worst_case_s(self) -> float:
        """Upper bound on the time one piece may spend on gTTS: every attempt times out, every backoff is full."""
        attempts = self.retries + 1
        backoffs = sum(self.backoff_s * 2**i for i in range(self.retries))
        # The timeout is a deadline for the whole request; the budget spaces attempts 1/rate apart.
        return attempts * (self.timeout_s + 1.0 / self.requests_per_second + 0.2) + backoffs


@dataclass(frozen=True)
class Voiced:
    """One piece of text as spoken: mono 16-bit PCM at the engine's own rate, and who really spoke it."""

    text: str
    engine: str  # "gtts" or "espeak": the engine that voiced it, even under "auto"
    audio: AudioSegment = field(repr=False)
    mp3: bytes | None = field(default=None, repr=False, compare=False)  # gTTS's answer as received


@runtime_checkable
class Engine(Protocol):
    """A voice: `synthesize` turns one piece of text into a `Voiced`, or raises TTSError."""

    name: str  # "gtts" | "espeak" | "auto"
    version: str  # changes when the same text would sound different
    voice: str  # every setting of this engine that changes the sound, as one string

    def synthesize(self, text: str) -> Voiced: ...


def cache_candidates(engine: Engine) -> Iterator[Engine]:
    """Engines whose cached voice may stand in for `engine`, best first; lazy so auto probes only on a miss."""
    choices = getattr(engine, "choices", None)
    return choices() if choices is not None else iter((engine,))


def member_named(engine: Engine, name: str) -> Engine:
    """The engine inside `engine` (itself, or one of auto's) that is called `name`."""
    member = getattr(engine, "member", None)
    return member(name) if member is not None else engine


def pcm_segment(pcm: bytes, sample_rate: int) -> AudioSegment:
    """Wrap mono 16-bit little-endian PCM as an AudioSegment."""
    return AudioSegment(data=pcm, sample_width=2, frame_rate=sample_rate, channels=1)
