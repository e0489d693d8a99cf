"""The gTTS engine against a local fake of Google's endpoint: audio, retries, throttle, bounded time."""

from __future__ import annotations

import time

import pytest
from fake_gtts import CLIP_RATE, CLIP_SECONDS, FakeGTTS

from broadcast.errors import TTSError
from broadcast.tts import GTTSEngine, SynthesisCache, VoiceSettings, open_engine, voice_pieces

PIECE = "Cảnh giác với cuộc gọi giả danh công an."
FAST = dict(engine="gtts", timeout_s=0.3, retries=3, backoff_s=0.05, requests_per_second=1000.0)


@pytest.fixture
def sent_at(monkeypatch) -> list[float]:
    """time.monotonic() as the client starts each request (the fake's arrival times jitter on a busy machine)."""
    import broadcast.tts.gtts_engine as module

    times: list[float] = []
    real = module.send

    def send(*args, **kwargs):
        times.append(time.monotonic())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "send", send)
    return times


def gtts_engine(**overrides) -> GTTSEngine:
    engine = open_engine(VoiceSettings(**{**FAST, **overrides}))
    assert isinstance(engine, GTTSEngine)
    return engine


def test_success_decodes_to_real_audio_and_sends_our_piece_whole():
    with FakeGTTS() as fake:
        voiced = gtts_engine().synthesize(PIECE)
    assert fake.texts == [PIECE]
    assert voiced.engine == "gtts"
    audio = voiced.audio
    assert (audio.channels, audio.sample_width, audio.frame_rate) == (1, 2, CLIP_RATE)
    # MP3 adds encoder delay and padding: a little longer than the clip, never shorter.
    assert CLIP_SECONDS <= audio.duration_seconds <= CLIP_SECONDS + 0.15
    assert audio.dBFS > -30
    assert voiced.mp3 is not None and voiced.mp3[:3] == b"ID3"


def test_429_is_retried_with_growing_backoff_until_success(sent_at):
    with FakeGTTS("429", "429", "ok") as fake:
        voiced = gtts_engine(backoff_s=0.1, timeout_s=5.0).synthesize(PIECE)
    assert voiced.engine == "gtts" and fake.answers == ["429", "429", "ok"]
    first_wait, second_wait = (b - a for a, b in zip(sent_at, sent_at[1:]))
    assert 0.05 <= first_wait  # backoff 0.1 s with jitter: 0.05..0.1
    assert 0.1 <= second_wait  # doubled: 0.1..0.2


def test_server_errors_are_retried_then_reported():
    with FakeGTTS("500", "503", default="502") as fake:
        with pytest.raises(TTSError, match="after 3 attempt"):
            gtts_engine(retries=2).synthesize(PIECE)
    assert fake.answers == ["500", "503", "502"]


def test_timeout_is_retried():
    with FakeGTTS("hang", "ok") as fake:
        started = time.monotonic()
        voiced = gtts_engine(timeout_s=1.0).synthesize(PIECE)  # long enough for "ok" on a busy machine
    assert voiced.engine == "gtts" and fake.answers == ["hang", "ok"]
    assert time.monotonic() - started >= 1.0


@pytest.mark.parametrize("answer", ["empty", "garbage", "junk"])
def test_non_audio_answer_is_an_error_at_once_and_caches_nothing(answer, tmp_path):
    cache = SynthesisCache(tmp_path / "cache")
    with FakeGTTS(default=answer) as fake:
        with pytest.raises(TTSError, match="audio"):
            voice_pieces([PIECE], VoiceSettings(**FAST), cache=cache)
    assert fake.requests == 1, "a 200 without audio is not worth retrying"
    assert list(tmp_path.rglob("*")) == []


def test_refusal_other_than_429_is_not_retried():
    with FakeGTTS(default="403") as fake:
        with pytest.raises(TTSError, match="403"):
            gtts_engine().synthesize(PIECE)
    assert fake.requests == 1


def test_never_answering_server_fails_within_the_bound_and_leaves_no_file(tmp_path):
    settings = VoiceSettings(**{**FAST, "retries": 2})
    with FakeGTTS(default="hang") as fake:
        started = time.monotonic()
        with pytest.raises(TTSError, match="timed out|within"):
            voice_pieces([PIECE], settings, cache=SynthesisCache(tmp_path))
        elapsed = time.monotonic() - started
    assert fake.requests == 3
    assert 3 * settings.timeout_s <= elapsed <= settings.gtts_worst_case_s()
    assert list(tmp_path.rglob("*")) == []


def test_budget_spaces_requests_across_engines(sent_at):
    with FakeGTTS() as fake:
        started = time.monotonic()
        for _ in range(3):  # separate engines share the one build-wide budget
            gtts_engine(requests_per_second=1 / 0.15, timeout_s=5.0).synthesize(PIECE)
    # The budget hands out slots 0.15 s apart from the first; a request starts at its slot or later.
    assert fake.requests == 3 and len(sent_at) == 3
    assert all(t - started >= 0.15 * k - 0.001 for k, t in enumerate(sent_at))
