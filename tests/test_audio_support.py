"""Helpers shared by the audio tests (no tests here): real speech, tones, and sample-level analysis."""

from __future__ import annotations

import functools
import math

import broadcast.audio  # noqa: F401, I001  (first: quiets pydub's import and points it at the wheel's ffmpeg)
from pydub import AudioSegment
from pydub.generators import Sine

SENTENCES = (
    "Người dân cần cảnh giác với các cuộc gọi mạo danh công an.",
    "Tuyệt đối không chuyển tiền vào tài khoản lạ.",
    "Không cung cấp mã xác thực cho bất kỳ ai.",
    "Khi nghi ngờ bị lừa đảo, hãy báo ngay cho công an xã.",
)


@functools.cache
def speech_pieces() -> tuple[AudioSegment, ...]:
    """Real Vietnamese speech from espeak-ng (the tts stage's engine), one piece per sentence."""
    from broadcast.tts import VoiceSettings, open_engine

    engine = open_engine(VoiceSettings(engine="espeak"))
    return tuple(engine.synthesize(text).audio for text in SENTENCES)


def tone(hz: float, ms: int, peak_dbfs: float = -6.0, rate: int = 44100) -> AudioSegment:
    """A mono 16-bit sine of `ms` milliseconds whose peak is `peak_dbfs`."""
    return Sine(hz, sample_rate=rate, bit_depth=16).to_audio_segment(duration=ms, volume=peak_dbfs)


def quiet(ms: int, rate: int = 44100) -> AudioSegment:
    """Digital silence."""
    return AudioSegment.silent(duration=ms, frame_rate=rate)


def dominant_hz(audio: AudioSegment) -> float:
    """Frequency of a steady tone from the spacing of its sign changes (with hysteresis); pauses skipped."""
    samples = audio.get_array_of_samples()
    level = max(abs(s) for s in samples) / 8
    changes, state = [], 0
    for i, s in enumerate(samples):
        if abs(s) > level and (s > 0) != (state > 0):
            if state:
                changes.append(i)
            state = s
    gap = audio.frame_rate // 100  # spacings over 10 ms are pauses, not half-periods
    halves = [b - a for a, b in zip(changes, changes[1:]) if b - a < gap]
    return audio.frame_rate / (2 * sum(halves) / len(halves))


def quiet_runs(audio: AudioSegment, threshold_dbfs: float = -50.0, window_ms: int = 1) -> list[tuple[float, float]]:
    """(start_s, end_s) of every run of windows whose peak stays below the threshold."""
    samples = audio.get_array_of_samples()
    limit = audio.max_possible_amplitude * 10 ** (threshold_dbfs / 20)
    step = audio.frame_rate * window_ms // 1000
    runs, start = [], None
    for i in range(0, len(samples), step):
        silent = max(map(abs, samples[i:i + step])) < limit
        if silent and start is None:
            start = i
        elif not silent and start is not None:
            runs.append((start / audio.frame_rate, i / audio.frame_rate))
            start = None
    if start is not None:
        runs.append((start / audio.frame_rate, len(samples) / audio.frame_rate))
    return runs


def peak_dbfs_between(audio: AudioSegment, start_s: float, end_s: float) -> float:
    """Peak level of a stretch of audio, in dBFS."""
    part = audio[int(start_s * 1000):int(end_s * 1000)]
    return 20 * math.log10(max(part.max, 1) / audio.max_possible_amplitude)


def largest_step(audio: AudioSegment, start_s: float, end_s: float) -> int:
    """Largest jump between neighbouring samples in a stretch: a click shows as a big step."""
    samples = audio.get_array_of_samples()
    a, b = int(start_s * audio.frame_rate), int(end_s * audio.frame_rate)
    part = samples[max(0, a):b]
    return max(abs(x - y) for x, y in zip(part, part[1:]))
