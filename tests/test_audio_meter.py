"""The in-process meter (audio/meter.py) against ffmpeg's ebur128 and against signals whose loudness and true
peak are known."""

from __future__ import annotations

import math
import struct

import pytest
from test_audio_support import quiet, speech_pieces, tone

from broadcast.audio import AudioSettings, Tags, build_speech, loudness, master_mp3, measure
from broadcast.audio.meter import integrated_lufs, mp3_loudness, pcm_loudness, samples, true_peak
from broadcast.errors import AudioError


def _quarter_rate_sine(peak: float, seconds: float, rate: int = 44100):
    """A sine at a quarter of the rate, sampled 45 degrees off its crests: every sample is at 0.707 of the peak."""
    from pydub import AudioSegment

    count = int(rate * seconds)
    values = [round(32767 * peak * math.sin(math.pi / 2 * n + math.pi / 4)) for n in range(count)]
    return AudioSegment(data=struct.pack(f"<{count}h", *values), sample_width=2, frame_rate=rate, channels=1)


def test_a_full_scale_997_hz_sine_reads_minus_3_lufs_as_bs1770_defines():
    got = pcm_loudness(tone(997, 5000, 0.0))
    assert got.integrated_lufs == pytest.approx(-3.01, abs=0.05)
    assert got.peak_db == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize("rate", [22050, 32000, 48000])
def test_loudness_does_not_depend_on_the_sample_rate(rate):
    at_44k = pcm_loudness(tone(1000, 3000, -12.0)).integrated_lufs
    assert pcm_loudness(tone(1000, 3000, -12.0, rate=rate)).integrated_lufs == pytest.approx(at_44k, abs=0.05)


def test_the_gates_leave_silence_and_near_silence_out():
    speech = tone(500, 20_000, -10.0)
    alone = pcm_loudness(speech).integrated_lufs
    padded = quiet(4000) + speech + quiet(6000)
    # Only the few blocks straddling an edge count partly: as ffmpeg's ebur128 (the reference) reads it.
    assert pcm_loudness(padded).integrated_lufs == pytest.approx(alone, abs=0.15)
    assert pcm_loudness(padded).integrated_lufs == pytest.approx(loudness(padded).integrated_lufs, abs=0.1)
    # A soft bed 20 dB down falls under the relative gate (-10 LU): it barely moves the reading.
    bedded = pcm_loudness(tone(500, 6000, -30.0) + speech).integrated_lufs
    assert bedded == pytest.approx(alone, abs=0.15)
    assert pcm_loudness(quiet(2000)).integrated_lufs == -math.inf
    assert integrated_lufs(samples(quiet(300)), 44100) == -math.inf  # shorter than one 400 ms block


def test_true_peak_finds_the_crest_between_samples():
    sine = _quarter_rate_sine(0.9, 1.0)
    sample_peak = 20 * math.log10(0.9 * math.sqrt(0.5))
    assert pcm_loudness(sine).peak_db == pytest.approx(sample_peak, abs=0.01)
    assert pcm_loudness(sine, true=True).peak_db == pytest.approx(20 * math.log10(0.9), abs=0.1)


def _every_sample_oversampled(x) -> float:
    from scipy.signal import upfirdn

    from broadcast.audio import meter

    return float(abs(upfirdn(meter.interpolation_filter(), x, meter.OVERSAMPLING)).max())


@pytest.mark.parametrize("where_ms", [0, 20_000, 40_000 - 10])
def test_true_peak_of_a_single_crest_in_a_long_quiet_file_is_found(where_ms):
    # Only the blocks around loud moments are oversampled; a lone crest (at the start, the middle or the very
    # end) must still be among them: the result is the one oversampling every sample gives.
    burst = _quarter_rate_sine(0.5, 0.01)
    x = samples(quiet(where_ms) + burst + quiet(40_000 - where_ms) + tone(300, 2000, -40.0))
    assert true_peak(x) > 0.5 * 1.01  # above every sample (0.354) and the crest itself: its edges ring
    assert true_peak(x) == pytest.approx(_every_sample_oversampled(x), rel=0.01)


def test_true_peak_of_speech_is_the_one_oversampling_every_sample_gives():
    x = samples(build_speech([list(speech_pieces())], AudioSettings()).apply_gain(6.0))
    assert true_peak(x) == pytest.approx(_every_sample_oversampled(x), rel=0.005)


def test_the_meter_agrees_with_ffmpeg_on_published_speech(tmp_path):
    speech = build_speech([list(speech_pieces())], AudioSettings())
    for kbps in (32, 48, 64):
        path = tmp_path / f"{kbps}.mp3"
        master_mp3(speech, path, Tags(title="x"), AudioSettings(bitrate_kbps=kbps))
        ours, ffmpeg = mp3_loudness(path), measure(path)
        # ffmpeg prints tenths: 0.05 of rounding on top of the meters' own difference.
        assert ours.integrated_lufs == pytest.approx(ffmpeg.integrated_lufs, abs=0.1), kbps
        assert ours.peak_db == pytest.approx(ffmpeg.true_peak_dbtp, abs=0.15), kbps


def test_an_unreadable_mp3_is_an_audio_error_naming_it(tmp_path):
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"\xff\xfb" + b"not an mp3" * 50)
    with pytest.raises(AudioError, match="broken.mp3"):
        mp3_loudness(bad)


def test_stereo_pcm_is_refused_not_misread():
    with pytest.raises(AudioError, match="mono"):
        samples(tone(440, 500).set_channels(2))
