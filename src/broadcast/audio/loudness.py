"""Loudness: measure audio as a listener's meter would (EBU R128 integrated loudness, true peak, edge silence),
with ffmpeg's ebur128: the reference that the in-process meter (`meter`, which mastering uses) is tested against."""

from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass

from pydub import AudioSegment

from ..errors import AudioError
from .ffmpeg import pcm_input, run_ffmpeg

log = logging.getLogger(__name__)

SILENCE_DB = -50.0
SILENCE_MIN_S = 0.02


@dataclass(frozen=True)
class Measurement:
    """What a listener's meter would show for one piece of audio."""

    duration_s: float
    integrated_lufs: float
    true_peak_dbtp: float
    leading_silence_s: float
    trailing_silence_s: float


@dataclass(frozen=True)
class Loudness:
    """Integrated loudness and peak (true peak in dBTP, or the cheaper sample peak in dBFS)."""

    integrated_lufs: float
    peak_db: float


def _number(pattern: str, text: str, what: str) -> float:
    found = re.findall(pattern, text)
    if not found:
        raise AudioError(f"measure: ffmpeg reported no {what}")
    value = found[-1]
    return -math.inf if value.strip() == "-inf" else float(value)


def _loudness(log_text: str) -> tuple[float, float]:
    """Integrated LUFS and peak from ebur128's summary."""
    lufs = _number(r"I:\s+(-?[\d.]+|-inf) LUFS", log_text, "integrated loudness")
    return lufs, _number(r"Peak:\s+(-?[\d.]+|-inf) dBFS", log_text, "peak")


def _input(source: AudioSegment | bytes | str | os.PathLike) -> tuple[list[str], bytes | None, str]:
    """ffmpeg input options, stdin data and a name for audio, MP3 bytes or a file."""
    if isinstance(source, AudioSegment):
        audio = source.set_sample_width(2) if source.sample_width != 2 else source
        return pcm_input(audio), audio.raw_data, "<audio>"
    if isinstance(source, bytes):
        return ["-f", "mp3", "-i", "pipe:0"], source, "<mp3 bytes>"
    return ["-i", os.fspath(source)], None, os.fspath(source)


def loudness(source: AudioSegment | bytes | str | os.PathLike, true_peak: bool = False) -> Loudness:
    """Integrated LUFS and peak of audio, a file or MP3 bytes: ebur128 alone (the sample peak unless asked)."""
    args, data, name = _input(source)
    graph = f"ebur128=peak={'true' if true_peak else 'sample'}:framelog=quiet"
    proc = run_ffmpeg([*args, "-map", "0:a:0", "-af", graph, "-f", "null", "-"], data,
                      what=f"loudness {name}")
    return Loudness(*_loudness(proc.stderr.decode("utf-8", "replace")))


def measure(source: AudioSegment | bytes | str | os.PathLike) -> Measurement:
    """Integrated LUFS, true peak (dBTP) and leading/trailing silence (< -50 dB) of audio, a file or MP3 bytes."""
    graph = (f"ebur128=peak=true:framelog=quiet,silencedetect=n={SILENCE_DB}dB:d={SILENCE_MIN_S},"
             "volumedetect")
    args, data, name = _input(source)
    proc = run_ffmpeg([*args, "-map", "0:a:0", "-af", graph, "-f", "null", "-"], data, what=f"measure {name}")
    log_text = proc.stderr.decode("utf-8", "replace")
    stream = re.search(r"Audio: .*?(\d+) Hz, (mono|stereo|(\d+) channels)", log_text)
    if not stream:
        raise AudioError(f"measure {name}: no audio stream")
    rate = int(stream.group(1))
    channels = {"mono": 1, "stereo": 2}.get(stream.group(2)) or int(stream.group(3))
    samples = _number(r"n_samples: (\d+)", log_text, "sample count")
    duration = samples / channels / rate
    lufs, peak = _loudness(log_text)
    lead, tail = _edge_silence(log_text, duration)
    return Measurement(round(duration, 4), lufs, peak, lead, tail)


def _edge_silence(log_text: str, duration: float) -> tuple[float, float]:
    starts = [float(v) for v in re.findall(r"silence_start: (-?[\d.e+-]+)", log_text)]
    ends = [float(v) for v in re.findall(r"silence_end: (-?[\d.e+-]+)", log_text)]
    lead = tail = 0.0
    if starts and starts[0] <= 0.001:
        lead = ends[0] if ends else duration
    # The last run is trailing if it never ended, or ended at the end of the stream.
    if starts and (len(ends) < len(starts) or ends[-1] >= duration - 0.005):
        tail = duration - max(0.0, starts[-1])
    return round(min(lead, duration), 4), round(min(tail, duration), 4)
