"""The auto engine: gTTS when reachable, espeak-ng otherwise, espeak-ng for any piece gTTS fails."""

from __future__ import annotations

import logging
import time

from fake_gtts import CLIP_RATE, FakeGTTS, unreachable_gtts

from broadcast.tts import AutoEngine, VoiceSettings, gtts_reachable, open_engine, voice_pieces
from broadcast.tts.auto import GIVE_UP_AFTER, PROBE_TEXT

PIECES = [
    "Thời gian gần đây, lừa đảo qua mạng diễn biến phức tạp.",
    "Không chuyển tiền cho người lạ.",
    "Hãy báo ngay cho công an xã.",
]
AUTO = VoiceSettings(timeout_s=0.3, retries=1, backoff_s=0.02, requests_per_second=1000.0, probe_timeout_s=0.5)


def test_auto_is_the_default_engine():
    assert isinstance(open_engine(VoiceSettings()), AutoEngine)


def test_auto_uses_gtts_when_the_probe_succeeds():
    with FakeGTTS() as fake:
        voiced = voice_pieces(PIECES, AUTO)
    assert [v.engine for v in voiced] == ["gtts"] * 3
    assert fake.texts == [PROBE_TEXT, *PIECES]


def test_piece_gtts_fails_is_voiced_by_espeak_and_recorded():
    with FakeGTTS(by_text={"chuyển tiền": "503"}) as fake:
        voiced = voice_pieces(PIECES, AUTO)
    assert [v.engine for v in voiced] == ["gtts", "espeak", "gtts"]
    assert [v.audio.frame_rate for v in voiced] == [CLIP_RATE, 22050, CLIP_RATE]
    assert voiced[1].audio.dBFS > -30, "the fallback piece is real speech, not silence"
    assert fake.texts.count(PIECES[1]) == AUTO.retries + 1, "gTTS got its retries before the fallback"


def test_empty_answer_for_a_piece_falls_back_without_retries():
    with FakeGTTS(by_text={"công an xã": "empty"}) as fake:
        voiced = voice_pieces(PIECES, AUTO)
    assert [v.engine for v in voiced] == ["gtts", "gtts", "espeak"]
    assert fake.texts.count(PIECES[2]) == 1


def test_unreachable_gtts_means_espeak_with_a_warning(caplog):
    with unreachable_gtts(), caplog.at_level(logging.WARNING, logger="broadcast.tts"):
        started = time.monotonic()
        voiced = voice_pieces(PIECES, AUTO)
        elapsed = time.monotonic() - started
    assert [v.engine for v in voiced] == ["espeak"] * 3
    assert any("not reachable" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert elapsed < 2 * AUTO.probe_timeout_s + 1, "one quick probe, no per-piece retries"


def test_silent_server_probe_gives_up_quickly():
    with FakeGTTS(default="hang") as fake:
        started = time.monotonic()
        voiced = voice_pieces(PIECES[:1], AUTO)
        elapsed = time.monotonic() - started
    assert voiced[0].engine == "espeak"
    assert fake.requests == 1 and elapsed < 2 * AUTO.probe_timeout_s + 1


def test_reachability_is_probed_once_per_process():
    with FakeGTTS() as fake:
        assert gtts_reachable(AUTO) and gtts_reachable(AUTO)
        voice_pieces(PIECES[:1], AUTO)
        voice_pieces(PIECES[:1], AUTO)
    assert fake.texts.count(PROBE_TEXT) == 1


def test_auto_stops_asking_gtts_after_repeated_failures():
    pieces = [f"Câu số {n}." for n in range(GIVE_UP_AFTER + 3)]
    with FakeGTTS("ok", default="500") as fake:
        voiced = voice_pieces(pieces, AUTO)
    assert [v.engine for v in voiced] == ["espeak"] * len(pieces)
    assert fake.requests == 1 + GIVE_UP_AFTER * (AUTO.retries + 1)
