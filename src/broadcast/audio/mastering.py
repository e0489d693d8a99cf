"""Mastering in one pass: measure the audio once, then gain and a limiter in the same ffmpeg run that writes
the house MP3, meter that MP3 (in process: `meter`), and encode again (from the same PCM) only when it is
off target."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

from pydub import AudioSegment

from ..errors import AudioError
from .ffmpeg import filter_audio, normalize
from .loudness import Loudness
from .meter import mp3_loudness, pcm_loudness
from .mp3 import Tags, encode_into, publishing
from .settings import AudioSettings

log = logging.getLogger(__name__)

LOUDNESS_TOLERANCE_LU = 0.5  # the house promise: every segment within +-0.5 LU of the target
# The limiter's ceiling sits this far under the true-peak limit: on 30 espeak segments of the shipped
# campaign limited by 6-8 dB, the MP3 encode (48 and 64 kbps, with the lowpass below) raised true peak by
# 0.2-0.7 dB; none needed a correction.
CODEC_MARGIN_DB = 1.3
CEILING_STEP_DB = 0.2  # a correction lowers the ceiling by the overshoot and this much more
LIMITED_SLOPE = 0.49  # measured on espeak speech: past the ceiling, +1 dB of gain gives about +0.49 LU
# The limiter's fast gain changes spread energy above the voice's band, and the encoder's own lowpass
# turned that into overshoot (up to 2 dB at 48 kbps). A 4-pole lowpass (two 2-pole stages) before the
# encoder, which is told the same cutoff, kept it to 0.6-0.7 dB on the worst segments. Horn loudspeakers
# reproduce about 300 Hz to 7 kHz; espeak's voice ends at 11 kHz, Google's at 12 kHz.
LOWPASS_HZ = 10_000
MAX_CORRECTIONS = 2
MIN_SLOPE = 0.2
MAX_STEP_DB = 12.0  # a correction never moves the gain further than this
QUIET_LUFS = -69.0  # below the absolute gate (-70): silence, or too short to measure


@dataclass(frozen=True)
class Mastered:
    """What the published MP3 measures, and how it was made."""

    integrated_lufs: float
    true_peak_dbtp: float
    gain_db: float
    ceiling_dbtp: float
    passes: int  # encodes: 1, or more when a correction was needed
    on_target: bool


def limiter_graph(gain_db: float, ceiling_dbtp: float) -> str:
    """Gain in float, a lookahead limiter at the ceiling, and the lowpass that keeps the codec's overshoot small.
    The graph keeps the length (the limiter's lookahead is compensated; the lowpass delays by a few samples)."""
    limit = min(1.0, max(0.0625, 10 ** (ceiling_dbtp / 20)))
    return (f"volume={gain_db:.3f}dB:precision=double,"
            f"alimiter=limit={limit:.5f}:attack=2:release=60:level=false:latency=true,"
            f"lowpass=f={LOWPASS_HZ},lowpass=f={LOWPASS_HZ}")


def gain_for(source: Loudness, target_lufs: float, ceiling_dbtp: float) -> float:
    """The first gain to try: 1:1 until the peaks reach the ceiling, then at the limited slope.

    Measured on 30 espeak segments of the shipped campaign (-22 to -24 LUFS, peaks near -2 dBFS, 48 and
    64 kbps): every one landed within 0.5 LU of -16 LUFS on the first pass."""
    needed = target_lufs - source.integrated_lufs
    free = ceiling_dbtp - source.peak_db  # gain the limiter lets through untouched
    return needed if needed <= free else free + (needed - free) / LIMITED_SLOPE


@dataclass(frozen=True)
class _Pass:
    gain_db: float
    ceiling_dbtp: float
    lufs: float
    peak_db: float


def _correction(source: Loudness, settings: AudioSettings, this: _Pass, before: _Pass | None,
                measurable: bool) -> tuple[float, float]:
    """Gain and ceiling for the pass after `this`, from what it (and the pass `before` it) measured."""
    over = this.peak_db - settings.true_peak_dbtp
    ceiling = this.ceiling_dbtp - (over + CEILING_STEP_DB if over > 0 else 0.0)
    if not measurable or not math.isfinite(this.lufs):
        return this.gain_db, ceiling
    limited = this.gain_db > this.ceiling_dbtp - source.peak_db
    slope = LIMITED_SLOPE if limited else 1.0
    # Two passes under one ceiling show this audio's own slope (speech limited by 8 dB or more: 0.25).
    if before and before.ceiling_dbtp == this.ceiling_dbtp and abs(this.gain_db - before.gain_db) > 0.05:
        slope = min(1.0, max(MIN_SLOPE, (this.lufs - before.lufs) / (this.gain_db - before.gain_db)))
    step = (settings.loudness_lufs - this.lufs) / slope
    if limited:  # a lower ceiling takes loudness away too: give it back
        step += (this.ceiling_dbtp - ceiling) * (1 - slope) / slope
    return this.gain_db + max(-MAX_STEP_DB, min(MAX_STEP_DB, step)), ceiling


def _measurable(source: Loudness, what: str) -> bool:
    if source.integrated_lufs >= QUIET_LUFS:
        return True
    log.warning("%s: audio too quiet or short to measure (%.1f LUFS); only peaks limited", what,
                source.integrated_lufs)
    return False


def _first_pass(source: Loudness, settings: AudioSettings, what: str) -> tuple[bool, float, float]:
    """(measurable, gain, ceiling) of the first pass for audio of `source` loudness."""
    measurable = _measurable(source, what)
    ceiling = settings.true_peak_dbtp - CODEC_MARGIN_DB
    return measurable, (gain_for(source, settings.loudness_lufs, ceiling) if measurable else 0.0), ceiling


def master(audio: AudioSegment, settings: AudioSettings) -> AudioSegment:
    """Audio levelled to the loudness target with its peaks limited, as PCM (for audio joined before encoding;
    a segment is published with `master_mp3`, which meters its MP3)."""
    audio = normalize(audio, settings.sample_rate)
    source = pcm_loudness(audio)
    measurable, gain, ceiling = _first_pass(source, settings, "master")
    for _ in range(2):  # one correction at most: the encode that follows is not metered here anyway
        out = filter_audio(audio, limiter_graph(gain, ceiling))
        want = len(audio.raw_data)  # the graph keeps the length; keep it exact whatever ffmpeg does at the end
        data = out.raw_data[:want] + b"\0" * max(0, want - len(out.raw_data))
        out = AudioSegment(data=data, sample_width=2, frame_rate=audio.frame_rate, channels=1)
        got = pcm_loudness(out)
        if not measurable or abs(got.integrated_lufs - settings.loudness_lufs) <= LOUDNESS_TOLERANCE_LU:
            break
        gain, ceiling = _correction(source, settings, _Pass(gain, ceiling, got.integrated_lufs, got.peak_db),
                                    None, measurable)
    return out


def _off_by(settings: AudioSettings, lufs: float, peak: float, measurable: bool) -> tuple[float, float]:
    """(LU from the target, dB over the true-peak limit); both 0 when on target."""
    error = lufs - settings.loudness_lufs if measurable else 0.0
    return (error if abs(error) > LOUDNESS_TOLERANCE_LU else 0.0), max(0.0, peak - settings.true_peak_dbtp)


def master_mp3(audio: AudioSegment, path: Path, tags: Tags, settings: AudioSettings,
               source: Loudness | None = None) -> Mastered:
    """Publish audio as the house MP3 at the loudness target and under the true-peak limit, measured on that
    MP3; `source` is the audio's loudness when already known. Off target after the corrections: the best
    pass is published and a warning logged."""
    path = Path(path)
    audio = normalize(audio, settings.sample_rate)
    if len(audio) == 0:
        raise AudioError(f"{path}: no audio to export")
    source = source or pcm_loudness(audio)
    measurable, gain, ceiling = _first_pass(source, settings, f"master {path.name}")
    best: tuple[float, bytes, Mastered] | None = None
    before: _Pass | None = None
    with publishing(path) as tmp:
        for passes in range(1, MAX_CORRECTIONS + 2):
            encode_into(tmp, audio, tags, settings, filters=limiter_graph(gain, ceiling), gain_db=gain,
                        lowpass_hz=LOWPASS_HZ, what=f"master {path.name}")
            got = mp3_loudness(tmp)  # the file as published, decoded: loudness and true peak
            lufs, peak = got.integrated_lufs, got.peak_db
            error, over = _off_by(settings, lufs, peak, measurable)
            result = Mastered(lufs, peak, round(gain, 3), round(ceiling, 3), passes, not error and not over)
            log.debug("master %s pass %d: gain %+.2f dB, ceiling %.2f dBTP: %.2f LUFS, %.2f dBTP", path.name,
                      passes, gain, ceiling, lufs, peak)
            if result.on_target:
                return result
            score = abs(error) + 10 * over  # a peak over the limit is worse than a loudness miss
            if best is None or score < best[0]:
                best = (score, tmp.read_bytes(), result)
            this = _Pass(gain, ceiling, lufs, peak)
            gain, ceiling = _correction(source, settings, this, before, measurable)
            before = this
        assert best is not None
        _score, data, result = best
        tmp.write_bytes(data)
    log.warning("master %s: best of %d pass(es) is %.1f LUFS, %.1f dBTP (target %.1f LUFS +-%.1f, at most %.1f dBTP)",
                path.name, MAX_CORRECTIONS + 1, result.integrated_lufs, result.true_peak_dbtp, settings.loudness_lufs,
                LOUDNESS_TOLERANCE_LU, settings.true_peak_dbtp)
    return result
