"""The ident that opens and closes a programme: a generated three-note chime, or a station's own file."""

from __future__ import annotations

import array
import functools
import math

from pydub import AudioSegment

from ..errors import AudioError
from .ffmpeg import decode_audio, normalize
from .mastering import master
from .process import silence, trim_silence
from .settings import AudioSettings

# A rising major triad (C5 E5 G5), like a public-address gong: friendly, and clear on horn speakers.
NOTES_HZ = (523.25, 659.25, 783.99)
NOTE_STEP_S = 0.42
RING_S = 1.25  # how long each note sounds
PARTIALS = ((1.0, 1.0, 1.0), (2.0, 0.35, 1.8), (3.0, 0.12, 2.6))  # (multiple, level, faster decay)
DECAY_S = 0.45
ATTACK_S = 0.006
MAX_OWN_CHIME_S = 30.0


def _tone(frequency: float, rate: int) -> list[float]:
    """One bell-like note: a few harmonics, a quick attack, exponential decay."""
    out = []
    for n in range(int(RING_S * rate)):
        t = n / rate
        attack = min(1.0, t / ATTACK_S)
        value = sum(level * math.exp(-t * speed / DECAY_S) * math.sin(2 * math.pi * frequency * multiple * t)
                    for multiple, level, speed in PARTIALS)
        out.append(attack * value)
    return out


def generated_chime(rate: int) -> AudioSegment:
    """The default ident (about 2 s), unmastered, peaks at -6 dBFS."""
    length = int((NOTE_STEP_S * (len(NOTES_HZ) - 1) + RING_S) * rate)
    mix = [0.0] * length
    for index, frequency in enumerate(NOTES_HZ):
        offset = int(index * NOTE_STEP_S * rate)
        for n, value in enumerate(_tone(frequency, rate)):
            mix[offset + n] += value
    # Fade the last 150 ms so the ring ends at silence, not with a step.
    fade = int(0.15 * rate)
    for n in range(fade):
        mix[length - fade + n] *= 1 - n / fade
    scale = 0.5 * 32767 / max(abs(v) for v in mix)
    samples = array.array("h", (int(round(v * scale)) for v in mix))
    return AudioSegment(data=samples.tobytes(), sample_width=2, frame_rate=rate, channels=1)


def _stamp(settings: AudioSettings) -> int:
    try:
        return settings.chime.stat().st_mtime_ns if settings.chime is not None else 0
    except OSError as exc:
        raise AudioError(f"chime {settings.chime}: cannot read: {exc}") from exc


def chime_sound(settings: AudioSettings) -> AudioSegment:
    """The programme ident before mastering: settings.chime (any ffmpeg-readable file) or the generated one, edged."""
    return _chime_sound(settings, _stamp(settings))


def chime(settings: AudioSettings) -> AudioSegment:
    """The programme ident mastered as PCM, for audio joined before encoding (`say`); cached."""
    return _chime(settings, _stamp(settings))


@functools.lru_cache(maxsize=8)
def _chime(settings: AudioSettings, stamp: int) -> AudioSegment:
    return master(_chime_sound(settings, stamp), settings)


@functools.lru_cache(maxsize=8)
def _chime_sound(settings: AudioSettings, _stamp: int) -> AudioSegment:
    """chime_sound(), cached while the station's file is unchanged."""
    if settings.chime is None:
        sound = generated_chime(settings.sample_rate)
    else:
        if settings.chime.stat().st_size == 0:
            raise AudioError(f"chime {settings.chime}: the file is empty (0 bytes)")
        # Decode no more than twice the limit: a 2-hour file is known to be too long after a minute of it.
        sound = normalize(decode_audio(settings.chime, max_seconds=2 * MAX_OWN_CHIME_S), settings.sample_rate)
        whole_limit = len(sound) >= 2 * MAX_OWN_CHIME_S * 1000 - 50
        sound = trim_silence(sound, settings.trim_threshold_dbfs)
        if len(sound) == 0:
            raise AudioError(f"chime {settings.chime}: the file is silent")
        if whole_limit or len(sound) > MAX_OWN_CHIME_S * 1000:
            length = f"at least {2 * MAX_OWN_CHIME_S:.0f}" if whole_limit else f"{len(sound) / 1000:.0f}"
            raise AudioError(f"chime {settings.chime}: {length} s is longer than "
                             f"{MAX_OWN_CHIME_S:.0f} s; an ident should be short")
        sound = sound.fade_in(5).fade_out(20)  # a cut file may start or stop mid-wave
    edge = silence(settings.edge_pause_ms, settings)
    return edge + sound + edge
