"""The synthesis cache: keyed by what changes the sound, atomic, self-checking, never voicing twice."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from fake_gtts import CLIP_RATE, FakeGTTS, unreachable_gtts

from broadcast.tts import EspeakEngine, GTTSEngine, SynthesisCache, VoiceSettings, open_engine, voice_pieces

PIECES = [
    "Đối tượng giả danh nhân viên ngân hàng, gửi đường link giả mạo.",
    "Tuyệt đối không cung cấp mã xác thực.",
    "Hãy gọi ngay số một một ba.",
]
ESPEAK = VoiceSettings(engine="espeak")
FAST_GTTS = VoiceSettings(engine="gtts", timeout_s=0.3, retries=1, backoff_s=0.02, requests_per_second=1000.0)


def test_second_run_does_no_synthesis_and_gives_the_same_audio(tmp_path):
    engine = open_engine(ESPEAK)
    first = voice_pieces(PIECES, ESPEAK, cache=SynthesisCache(tmp_path), engine=engine)
    assert engine.calls == 3
    again = SynthesisCache(tmp_path)  # a new run: a fresh cache object over the same folder
    second = voice_pieces(PIECES, ESPEAK, cache=again, engine=engine)
    assert (again.stats().engine_calls, again.stats().hits, again.stats().misses) == (0, 3, 0)
    assert engine.calls == 3, "the engine was not asked again"
    assert [v.audio.raw_data for v in second] == [v.audio.raw_data for v in first]
    assert [v.engine for v in second] == ["espeak"] * 3


def test_cached_gtts_piece_makes_no_request_and_keeps_googles_bytes(tmp_path):
    with FakeGTTS() as fake:
        first = voice_pieces(PIECES, FAST_GTTS, cache=SynthesisCache(tmp_path))
        again = SynthesisCache(tmp_path)
        second = voice_pieces(PIECES, FAST_GTTS, cache=again)
    assert fake.requests == len(PIECES) and again.stats().engine_calls == 0
    assert [v.mp3 for v in second] == [v.mp3 for v in first]
    assert all(v.audio.frame_rate == CLIP_RATE and v.engine == "gtts" for v in second)


def test_auto_offline_reuses_cached_gtts_voice_without_probing(tmp_path, caplog):
    auto = replace(FAST_GTTS, engine="auto", probe_timeout_s=0.5)
    with FakeGTTS():
        voice_pieces(PIECES, auto, cache=SynthesisCache(tmp_path))
    again, engine = SynthesisCache(tmp_path), open_engine(auto)
    with unreachable_gtts(), caplog.at_level(logging.WARNING):
        second = voice_pieces(PIECES, auto, cache=again, engine=engine)
    assert [v.engine for v in second] == ["gtts"] * 3 and again.stats().engine_calls == 0 == engine.calls
    assert not caplog.records, "every piece was cached: no probe, no warning"


def test_damaged_entry_is_detected_deleted_and_voiced_again(tmp_path, caplog):
    cache = SynthesisCache(tmp_path)
    voice_pieces(PIECES, ESPEAK, cache=cache)
    victim = cache.path(cache.key(EspeakEngine(ESPEAK), PIECES[1]))
    blob = victim.read_bytes()
    victim.write_bytes(blob[: len(blob) // 2])  # truncated, as by a full disk

    again = SynthesisCache(tmp_path)
    with caplog.at_level(logging.WARNING, logger="broadcast.tts"):
        voiced = voice_pieces(PIECES, ESPEAK, cache=again)
    assert (again.stats().damaged, again.stats().engine_calls, again.stats().hits) == (1, 1, 2)
    assert any("damaged" in r.getMessage() for r in caplog.records)
    assert voiced[1].audio.duration_seconds > 1.0
    assert SynthesisCache(tmp_path).get(EspeakEngine(ESPEAK), PIECES[1]) is not None, "redone and stored"


@pytest.mark.parametrize("offset", [6, 50, -1])  # in the checksum, the header, the payload
def test_flipped_byte_is_caught_by_the_checksum(tmp_path, offset):
    cache = SynthesisCache(tmp_path)
    engine = EspeakEngine(ESPEAK)
    voice_pieces(PIECES[:1], ESPEAK, cache=cache, engine=engine)
    entry = cache.path(cache.key(engine, PIECES[0]))
    blob = bytearray(entry.read_bytes())
    blob[offset] ^= 0x01
    entry.write_bytes(bytes(blob))
    assert cache.get(engine, PIECES[0]) is None
    assert cache.stats().damaged == 1 and not entry.exists()


def test_key_covers_everything_that_changes_the_sound():
    key = SynthesisCache.key
    base = EspeakEngine(ESPEAK)
    keys = {
        key(base, PIECES[0]),
        key(base, PIECES[1]),
        key(EspeakEngine(replace(ESPEAK, region="south")), PIECES[0]),
        key(EspeakEngine(replace(ESPEAK, rate=140)), PIECES[0]),
        key(EspeakEngine(replace(ESPEAK, volume=50)), PIECES[0]),
        key(GTTSEngine(FAST_GTTS), PIECES[0]),
        key(GTTSEngine(replace(FAST_GTTS, gtts_tld="com.vn")), PIECES[0]),
    }
    assert len(keys) == 7
    assert key(base, PIECES[0]) == key(EspeakEngine(replace(ESPEAK, timeout_s=1.0)), PIECES[0])
    # gTTS does not use espeak's rate: changing it must not throw away paid-for gTTS audio.
    assert key(GTTSEngine(FAST_GTTS), "x") == key(GTTSEngine(replace(FAST_GTTS, rate=120)), "x")


def test_entries_are_compact_files_with_no_temp_files_left(tmp_path):
    cache = SynthesisCache(tmp_path)
    voiced = voice_pieces(PIECES, ESPEAK, cache=cache)
    entries = cache.entries()
    assert len(entries) == 3
    raw = sum(len(v.audio.raw_data) for v in voiced)
    stored = sum(p.stat().st_size for p in entries)
    assert stored < 0.8 * raw, "espeak PCM is stored compressed"
    assert [p for p in tmp_path.rglob("*") if p.is_file() and p not in entries] == []
