"""espeak-ng through our ctypes binding: real Vietnamese audio, regional voices, rate, volume."""

from __future__ import annotations

import array
import audioop
import statistics

import pytest

from broadcast.errors import ConfigError, TTSError
from broadcast.tts import EspeakEngine, VoiceSettings, open_engine

# 17 syllables; a clear announcer speaks 2.5-5 syllables a second.
SENTENCE = "Không cung cấp mã xác thực cho bất kỳ ai, kể cả người tự xưng là công an."
SYLLABLES = len(SENTENCE.split())


def espeak(**overrides) -> EspeakEngine:
    engine = open_engine(VoiceSettings(engine="espeak", **overrides))
    assert isinstance(engine, EspeakEngine)
    return engine


def median_pitch_hz(audio) -> float:
    """Median fundamental frequency of the loud frames, by autocorrelation at 4 kHz (speech F0 80-400 Hz)."""
    low, _ = audioop.ratecv(audio.raw_data, 2, 1, audio.frame_rate, 4000, None)
    samples = array.array("h", low)
    threshold = audioop.rms(low, 2)
    frame, estimates = 160, []
    for start in range(0, len(samples) - frame - 60, 80):
        window = samples[start : start + frame + 50]
        if audioop.rms(window[:frame].tobytes(), 2) < threshold:
            continue
        energy = sum(x * x for x in window[:frame])
        score, lag = max((sum(window[j] * window[j + lag] for j in range(frame)), lag) for lag in range(10, 50))
        if score > 0.5 * energy:
            estimates.append(4000 / lag)
    assert len(estimates) > 10, "too few voiced frames to estimate pitch"
    return statistics.median(estimates)


def profile(audio) -> dict[str, float]:
    """A few measurable traits of a voice."""
    seconds = len(audio.raw_data) / 2 / audio.frame_rate
    return {
        "pitch": median_pitch_hz(audio),
        "rms": audioop.rms(audio.raw_data, 2),
        "crossings": audioop.cross(audio.raw_data, 2) / seconds,
        "seconds": seconds,
    }


def relative_difference(a: dict[str, float], b: dict[str, float]) -> float:
    return max(abs(a[k] - b[k]) / max(a[k], b[k]) for k in a)


def test_vietnamese_sentence_is_voiced_with_plausible_duration_and_level():
    voiced = espeak().synthesize(SENTENCE)
    audio = voiced.audio
    assert voiced.engine == "espeak" and voiced.text == SENTENCE
    assert (audio.channels, audio.sample_width, audio.frame_rate) == (1, 2, 22050)
    seconds = audio.duration_seconds
    assert SYLLABLES / 5 <= seconds <= SYLLABLES / 2.5
    assert audio.dBFS > -30, "speech should be clearly audible"
    assert audio.max < 32767 and audio.max_dBFS < -1.0, "the default volume must leave headroom"
    # Speech has pauses and syllables: the level varies along the piece.
    levels = [chunk.dBFS for chunk in audio[::100] if len(chunk) == 100]
    assert max(levels) - min(levels) > 20


def test_the_three_regions_sound_measurably_different():
    north, central, south = (espeak(region=r).synthesize(SENTENCE).audio for r in ("north", "central", "south"))
    north_again = espeak(region="north").synthesize(SENTENCE).audio
    noise = relative_difference(profile(north), profile(north_again))
    profiles = {"north": profile(north), "central": profile(central), "south": profile(south)}
    for a, b in (("north", "central"), ("north", "south"), ("central", "south")):
        difference = relative_difference(profiles[a], profiles[b])
        assert difference > max(0.05, 3 * noise), f"{a} vs {b}: {difference:.3f} (repeat noise {noise:.3f})"
    # The northern voice file sets a higher pitch band than the central and southern ones.
    assert profiles["north"]["pitch"] > 1.1 * max(profiles["central"]["pitch"], profiles["south"]["pitch"])


def test_faster_rate_gives_shorter_speech():
    slow = espeak(rate=120).synthesize(SENTENCE).audio.duration_seconds
    fast = espeak(rate=200).synthesize(SENTENCE).audio.duration_seconds
    assert slow > 1.3 * fast


def test_louder_volume_raises_the_level_without_clipping():
    quiet = espeak(volume=30).synthesize(SENTENCE).audio
    loud = espeak(volume=70).synthesize(SENTENCE).audio
    assert loud.dBFS - quiet.dBFS > 5
    assert loud.max < 32767


def test_volume_that_would_clip_and_unknown_region_are_rejected():
    with pytest.raises(ConfigError) as error:
        VoiceSettings(volume=100, region="west", engine="loud")
    message = str(error.value)
    assert "volume" in message and "region" in message and "engine" in message


def test_empty_text_is_an_error_not_silence():
    with pytest.raises(TTSError):
        espeak().synthesize("   ")


def test_version_names_the_espeak_ng_library():
    assert espeak().version.startswith("espeak-ng 1.")
