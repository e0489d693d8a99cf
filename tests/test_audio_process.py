"""build_speech: trim, pauses, resampling, tempo and edges, checked on the samples produced."""

from __future__ import annotations

import pytest
from test_audio_support import dominant_hz, peak_dbfs_between, quiet, quiet_runs, speech_pieces, tone

from broadcast.audio import AudioSettings, build_speech, trim_silence
from broadcast.audio.process import KEEP_MS, WINDOW_MS
from broadcast.errors import AudioError, ConfigError

SETTINGS = AudioSettings()
MARGIN_S = (KEEP_MS + WINDOW_MS) / 1000  # what the trim may keep at each end of a piece


def test_quiet_words_at_minus_40_dbfs_survive_the_trim():
    piece = (quiet(600) + tone(300, 200, -40) + quiet(150) + tone(300, 1000, -6) + quiet(200)
             + tone(300, 150, -40) + quiet(700))
    out = build_speech([[piece]], SETTINGS)
    edge = SETTINGS.edge_pause_ms / 1000
    # Everything from the first quiet word to the last one is kept, whole.
    assert out.duration_seconds == pytest.approx(2 * edge + 1.7, abs=2 * MARGIN_S)
    lead = quiet_runs(out)[0][1]
    assert edge <= lead <= edge + MARGIN_S
    assert peak_dbfs_between(out, lead, lead + 0.19) == pytest.approx(-40, abs=0.5)
    tail = quiet_runs(out)[-1][0]
    assert peak_dbfs_between(out, tail - 0.14, tail) == pytest.approx(-40, abs=0.5)


def test_trim_leaves_short_quiet_ends_alone():
    piece = quiet(30) + tone(500, 300) + quiet(30)
    assert len(trim_silence(piece, -50)) == len(piece)


def test_long_quiet_ends_are_cut_to_the_kept_margin():
    piece = quiet(800) + tone(500, 300) + quiet(900)
    trimmed = trim_silence(piece, -50)
    assert len(trimmed) == pytest.approx(300 + 2 * KEEP_MS, abs=WINDOW_MS)


def test_pieces_are_joined_with_sentence_and_section_pauses():
    a, b, c = (quiet(300) + tone(hz, 500) + quiet(300) for hz in (400, 500, 600))
    out = build_speech([[a, b], [c]], SETTINGS)
    inner = [end - start for start, end in quiet_runs(out)[1:-1]]
    assert len(inner) == 2
    assert SETTINGS.sentence_pause_ms / 1000 <= inner[0] <= SETTINGS.sentence_pause_ms / 1000 + 2 * MARGIN_S
    assert SETTINGS.section_pause_ms / 1000 <= inner[1] <= SETTINGS.section_pause_ms / 1000 + 2 * MARGIN_S


def test_speech_has_exactly_the_edge_pause_at_each_end():
    out = build_speech([list(speech_pieces())], SETTINGS)
    runs = quiet_runs(out)
    edge = SETTINGS.edge_pause_ms / 1000
    assert runs[0][0] == 0 and edge <= runs[0][1] <= edge + MARGIN_S
    assert runs[-1][1] == pytest.approx(out.duration_seconds, abs=0.002)
    assert edge <= runs[-1][1] - runs[-1][0] <= edge + MARGIN_S


def test_output_is_mono_16_bit_at_the_house_rate_whatever_the_pieces_rates():
    pieces = [quiet(100, 22050) + tone(440, 600, rate=22050), quiet(100, 24000) + tone(440, 600, rate=24000)]
    out = build_speech([pieces], SETTINGS)
    assert (out.frame_rate, out.channels, out.sample_width) == (44100, 1, 2)
    assert dominant_hz(out) == pytest.approx(440, rel=0.01)
    assert out.duration_seconds == pytest.approx(0.5 + 1.2 + 0.4, abs=3 * MARGIN_S)


def test_slower_tempo_lengthens_speech_and_keeps_its_pitch():
    piece = tone(440, 3000)
    normal = build_speech([[piece]], SETTINGS)
    slow = build_speech([[piece]], AudioSettings(tempo=0.8))
    edges = 2 * SETTINGS.edge_pause_ms / 1000
    ratio = (slow.duration_seconds - edges) / (normal.duration_seconds - edges)
    assert ratio == pytest.approx(1.25, abs=0.02)
    assert dominant_hz(slow) == pytest.approx(440, rel=0.01)


def test_tempo_changes_real_speech_duration():
    pieces = list(speech_pieces()[:2])
    fast = build_speech([pieces], AudioSettings(tempo=1.2))
    slow = build_speech([pieces], AudioSettings(tempo=0.8))
    assert slow.duration_seconds / fast.duration_seconds == pytest.approx(1.5, rel=0.05)


@pytest.mark.parametrize("tempo", [0.5, 1.31, 2.0])
def test_tempo_outside_0_7_to_1_3_is_refused(tempo):
    with pytest.raises(ConfigError, match="tempo"):
        AudioSettings(tempo=tempo)


def test_silent_pieces_are_dropped_and_all_silent_input_is_an_error():
    out = build_speech([[quiet(500), tone(440, 400)]], SETTINGS)
    assert len(quiet_runs(out)) == 2  # only the two edges: no pause was left for the silent piece
    with pytest.raises(AudioError, match="silent"):
        build_speech([[quiet(500)], [quiet(300)]], SETTINGS)
