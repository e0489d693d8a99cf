"""The in-process meter: integrated loudness (ITU-R BS.1770-4: K-weighting, 400 ms blocks, absolute and
relative gates) and true peak (4x oversampling), of PCM or of an MP3 decoded by libsndfile.

It reports what ffmpeg's ebur128 does (within 0.05 LU and 0.1 dB on the shipped campaign's segments; a test
holds it to that), without starting a process: mastering meters every MP3 it publishes, and an ffmpeg run per
check cost half an encode (its decoder and filter threads hand every frame over through the kernel)."""

from __future__ import annotations

import functools
import math
import os
from typing import TYPE_CHECKING

from pydub import AudioSegment

from ..errors import AudioError
from .loudness import Loudness

if TYPE_CHECKING:  # numpy is imported where the meter runs: a build that masters nothing never loads it
    import numpy as np

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
OVERSAMPLING = 4
TAPS_PER_PHASE = 12  # 48 taps in all, as BS.1770-4 Annex 2 suggests
BLOCK = 64  # samples; true peak is interpolated only in blocks whose neighbourhood could beat the sample peak
CHUNK_BLOCKS = 1024  # blocks interpolated at once (bounded memory: about 1 MB of windows)


def samples(audio: AudioSegment) -> np.ndarray:
    """Mono 16-bit audio as float32 samples in [-1, 1)."""
    import numpy as np

    if audio.sample_width != 2 or audio.channels != 1:
        raise AudioError(f"meter: expected 16-bit mono, got {8 * audio.sample_width}-bit, {audio.channels} channel(s)")
    return np.frombuffer(audio.raw_data, dtype="<i2").astype(np.float32) / 32768.0


@functools.cache
def _k_weighting(rate: int) -> np.ndarray:
    """BS.1770's two K-weighting biquads (high shelf, then the RLB high-pass) for `rate`, as scipy sos rows:
    the analogue prototypes of the standard's 48 kHz coefficients, bilinear-transformed for any rate."""
    import numpy as np

    gain_db, shelf_hz, shelf_q = 3.999843853973347, 1681.974450955533, 0.7071752369554196
    k = math.tan(math.pi * shelf_hz / rate)
    vh, vb = 10 ** (gain_db / 20), 10 ** (gain_db / 20 * 0.4996667741545416)
    a0 = 1 + k / shelf_q + k * k
    shelf = [(vh + vb * k / shelf_q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / shelf_q + k * k) / a0,
             1.0, 2 * (k * k - 1) / a0, (1 - k / shelf_q + k * k) / a0]
    pass_hz, pass_q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * pass_hz / rate)
    a0 = 1 + k / pass_q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / pass_q + k * k) / a0]
    return np.array([shelf, highpass])


def integrated_lufs(x: np.ndarray, rate: int) -> float:
    """Integrated loudness of mono samples (-inf when no 400 ms block clears the absolute gate)."""
    import numpy as np

    from scipy.signal import sosfilt

    step = rate // 10  # blocks of 400 ms every 100 ms: the sum of four 100 ms quarters
    quarters = len(x) // step
    if quarters < 4:
        return -math.inf
    # In float32 (the samples' own type): 1e-4 LU from float64 on the shipped segments, and no copy. The sums
    # of squares are kept in float64.
    weighted = sosfilt(_k_weighting(rate).astype(np.float32), np.asarray(x[: quarters * step], dtype=np.float32))
    energy = np.square(weighted).reshape(quarters, step).sum(axis=1, dtype=np.float64)
    blocks = np.convolve(energy, np.ones(4), "valid") / (4 * step)  # mean square of each 400 ms block
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10 * np.log10(blocks)
    gated = blocks[levels > ABSOLUTE_GATE_LUFS]
    if not len(gated):
        return -math.inf
    relative = -0.691 + 10 * math.log10(gated.mean()) + RELATIVE_GATE_LU
    gated = blocks[(levels > ABSOLUTE_GATE_LUFS) & (levels > relative)]
    return -0.691 + 10 * math.log10(gated.mean())


@functools.cache
def interpolation_filter() -> np.ndarray:
    """The 4x oversampling filter: a Kaiser-windowed sinc, unity gain at the samples' own rate."""
    from scipy.signal import firwin

    return firwin(OVERSAMPLING * TAPS_PER_PHASE + 1, 1 / OVERSAMPLING * 0.96, window=("kaiser", 8.0)) * OVERSAMPLING


@functools.cache
def _phases() -> tuple[np.ndarray, float]:
    """The filter's three in-between phases as a (taps, 3) matrix for a matrix product over sliding windows, and
    the largest sum of |coefficients| of a phase: no interpolated value can exceed the loudest sample in its
    window times that sum."""
    import numpy as np

    taps = interpolation_filter()
    phases = [taps[p::OVERSAMPLING] for p in range(1, OVERSAMPLING)]
    width = min(len(p) for p in phases)
    matrix = np.stack([p[:width][::-1] for p in phases], axis=1).astype(np.float32)
    return matrix, float(max(np.abs(p).sum() for p in phases))


def true_peak(x: np.ndarray) -> float:
    """The largest |value| of mono samples oversampled 4x (linear, not dB)."""
    import numpy as np

    if not len(x):
        return 0.0
    magnitude = np.abs(x)
    peak = float(magnitude.max())
    if peak == 0.0:
        return 0.0
    matrix, reach = _phases()
    width = matrix.shape[0]
    blocks = -(-len(x) // BLOCK)
    padded = np.zeros(width + blocks * BLOCK + width, dtype=np.float32)
    padded[width: width + len(x)] = x
    loudest = np.abs(padded[width: width + blocks * BLOCK]).reshape(blocks, BLOCK).max(axis=1)
    near = np.maximum(loudest, np.maximum(np.r_[loudest[1:], 0.0], np.r_[0.0, loudest[:-1]]))
    candidates = np.flatnonzero(near * reach > peak)  # only there can an in-between value beat the samples
    # Each block with the samples around it, then every window of the filter's width within that.
    spans = np.lib.stride_tricks.sliding_window_view(padded, BLOCK + 2 * width)[::BLOCK]
    for at in range(0, len(candidates), CHUNK_BLOCKS):
        chosen = spans[candidates[at: at + CHUNK_BLOCKS]]
        windows = np.lib.stride_tricks.sliding_window_view(chosen, width, axis=1)
        peak = max(peak, float(np.abs(windows @ matrix).max()))
    return peak


def _db(linear: float) -> float:
    return 20 * math.log10(linear) if linear > 0 else -math.inf


def _loudness(x: np.ndarray, rate: int, true: bool) -> Loudness:
    """Integrated LUFS and the sample peak (dBFS), or the true peak (dBTP), of mono samples."""
    import numpy as np

    peak = true_peak(x) if true else (float(np.abs(x).max()) if len(x) else 0.0)
    return Loudness(round(integrated_lufs(x, rate), 2), round(_db(peak), 2))


def pcm_loudness(audio: AudioSegment, true: bool = False) -> Loudness:
    """Integrated LUFS and the sample peak (dBFS), or the true peak (dBTP) when asked, of mono 16-bit audio."""
    return _loudness(samples(audio), audio.frame_rate, true)


def mp3_loudness(path: str | os.PathLike) -> Loudness:
    """Integrated LUFS and true peak (dBTP) of an MP3 file as a player decodes it (libsndfile's mpg123)."""
    import soundfile

    try:
        x, rate = soundfile.read(os.fspath(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
        raise AudioError(f"meter {path}: cannot decode: {exc}") from exc
    if x.shape[1] != 1:
        raise AudioError(f"meter {path}: expected mono, got {x.shape[1]} channels")
    return _loudness(x[:, 0], rate, true=True)
