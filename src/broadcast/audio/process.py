"""From voiced pieces to one unmastered speech segment: trim, pauses, resampling, tempo, edges."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

from pydub import AudioSegment

from ..errors import AudioError
from .ffmpeg import filter_audio, normalize
from .loudness import Loudness
from .meter import pcm_loudness
from .settings import AudioSettings

log = logging.getLogger(__name__)

WINDOW_MS = 10  # analysis window for the trim
MIN_SILENCE_MS = 50  # shorter quiet runs at an end are left alone
KEEP_MS = 20  # quiet kept before the first and after the last sound, so soft onsets survive


def silence(ms: int, settings: AudioSettings) -> AudioSegment:
    """Digital silence of `ms` milliseconds in the house format (mono, 16-bit, settings.sample_rate)."""
    return AudioSegment.silent(duration=max(0, ms), frame_rate=settings.sample_rate)


def _threshold(audio: AudioSegment, dbfs: float) -> int:
    return max(1, int(audio.max_possible_amplitude * 10 ** (dbfs / 20)))


def _quiet_run(audio: AudioSegment, threshold: int, from_end: bool) -> int:
    """Length in frames of the run of windows whose peak stays below `threshold`, from one end."""
    step = max(1, audio.frame_rate * WINDOW_MS // 1000)
    total = int(audio.frame_count())
    run = 0
    while run < total:
        start, stop = (total - run - step, total - run) if from_end else (run, run + step)
        window = audio.get_sample_slice(max(0, start), min(total, stop))
        if window.max >= threshold:
            break
        run += step
    return min(run, total)


def trim_silence(audio: AudioSegment, threshold_dbfs: float = -50.0) -> AudioSegment:
    """Cut quiet ends (peak below threshold for >= 50 ms), keeping 20 ms before and after the sound."""
    threshold = _threshold(audio, threshold_dbfs)
    total = int(audio.frame_count())
    lead = _quiet_run(audio, threshold, from_end=False)
    if lead >= total:
        return audio[:0]
    tail = _quiet_run(audio, threshold, from_end=True)
    keep = audio.frame_rate * KEEP_MS // 1000
    minimum = audio.frame_rate * MIN_SILENCE_MS // 1000
    start = lead - keep if lead >= minimum else 0
    stop = total - (tail - keep) if tail >= minimum else total
    return audio.get_sample_slice(max(0, start), min(total, stop))


def _common_rate(pieces: list[AudioSegment]) -> int:
    # Pieces from one engine share a rate; a fallback engine's pieces are resampled to the majority's.
    return Counter(p.frame_rate for p in pieces).most_common(1)[0][0]


def build_speech(sections: Sequence[Sequence[AudioSegment]], settings: AudioSettings) -> AudioSegment:
    """Join voiced pieces with sentence/section pauses, at house rate and tempo, with edge pauses."""
    return _build_speech(sections, settings, metered=False)[0]


def build_speech_measured(sections: Sequence[Sequence[AudioSegment]], settings: AudioSettings
                          ) -> tuple[AudioSegment, Loudness]:
    """build_speech(), with the speech's loudness (sample peak) for mastering's first gain, metered in process on
    the joined voice before resampling (loudness does not depend on the rate; the resampler moves the peak by
    hundredths of a dB) or, when the tempo changes, after: the trim and the edges add only silence, which the
    loudness gates leave out."""
    speech, measured = _build_speech(sections, settings, metered=True)
    assert measured is not None
    return speech, measured


def _build_speech(sections: Sequence[Sequence[AudioSegment]], settings: AudioSettings, metered: bool
                  ) -> tuple[AudioSegment, Loudness | None]:
    flat = [p for section in sections for p in section]
    if not flat:
        raise AudioError("build_speech: no audio pieces")
    rate = _common_rate(flat)
    pause = {kind: AudioSegment.silent(duration=ms, frame_rate=rate)
             for kind, ms in (("sentence", settings.sentence_pause_ms), ("section", settings.section_pause_ms))}
    joined: list[AudioSegment] = []
    for number, section in enumerate(sections):
        trimmed = [trim_silence(normalize(p, rate), settings.trim_threshold_dbfs) for p in section]
        voiced = [p for p in trimmed if len(p) > 0]
        if len(voiced) < len(trimmed):
            log.warning("section %d: %d silent piece(s) dropped", number, len(trimmed) - len(voiced))
        if not voiced:
            continue
        if joined:
            joined.append(pause["section"])
        for index, piece in enumerate(voiced):
            if index:
                joined.append(pause["sentence"])
            joined.append(piece)
    if not joined:
        raise AudioError("build_speech: every piece is silent")
    speech = AudioSegment(data=b"".join(p.raw_data for p in joined), sample_width=2, frame_rate=rate, channels=1)
    tempo = abs(settings.tempo - 1.0) > 1e-6
    measured = pcm_loudness(speech) if metered and not tempo else None
    filters = []
    if rate != settings.sample_rate:
        filters.append("aresample=resampler=soxr:precision=20")
    if tempo:
        filters.append(f"atempo={settings.tempo:.4f}")
    if filters:
        speech = filter_audio(speech, ",".join(filters), rate=settings.sample_rate)
    # Tempo smears the kept margins; trim again so the edges are exactly the configured pauses.
    speech = trim_silence(speech, settings.trim_threshold_dbfs)
    edge = silence(settings.edge_pause_ms, settings)
    if metered and measured is None:
        measured = pcm_loudness(speech)
    return edge + speech + edge, measured
