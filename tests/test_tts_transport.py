"""The online voice's own HTTP transport and the build-wide request budget, against local servers."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time

import pytest
from fake_gtts import FakeGTTS

from broadcast.errors import TTSError
from broadcast.tts import GTTSEngine, VoiceSettings, voice_pieces
from broadcast.tts import auto as auto_module
from broadcast.tts.transport import RequestBudget, retry_after

PIECE = "Không chuyển tiền cho người lạ."
MARGIN_S = 0.5


def test_gtts_gives_up_on_a_trickling_server_within_its_deadlines():
    settings = VoiceSettings(engine="gtts", timeout_s=0.6, retries=1, backoff_s=0.01, requests_per_second=1000.0)
    with FakeGTTS(default="trickle") as fake:
        started = time.monotonic()
        with pytest.raises(TTSError, match="within 0.6 s"):
            GTTSEngine(settings).synthesize(PIECE)
        elapsed = time.monotonic() - started
    assert fake.requests == settings.retries + 1
    assert elapsed <= (settings.retries + 1) * (settings.timeout_s + MARGIN_S)


def test_auto_voices_offline_what_a_trickling_server_holds_back():
    settings = VoiceSettings(timeout_s=0.6, retries=0, backoff_s=0.01, requests_per_second=1000.0, probe_timeout_s=1.0)
    auto_module.forget_probes()
    with FakeGTTS("ok", default="trickle"):
        started = time.monotonic()
        voiced = voice_pieces([PIECE], settings)
        elapsed = time.monotonic() - started
    auto_module.forget_probes()
    assert [v.engine for v in voiced] == ["espeak"]
    assert elapsed <= settings.timeout_s + MARGIN_S + 2


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_a_self_signed_endpoint_is_refused_and_never_published_as_gtts(self_signed):
    settings = VoiceSettings(engine="gtts", timeout_s=2.0, retries=2, backoff_s=0.01, requests_per_second=1000.0)
    with FakeGTTS(tls=self_signed) as fake:
        assert fake.url.startswith("https://")
        with pytest.raises(TTSError, match="TLS verification failed"):
            GTTSEngine(settings).synthesize(PIECE)
        auto = VoiceSettings(timeout_s=2.0, retries=0, backoff_s=0.01, requests_per_second=1000.0, probe_timeout_s=2.0)
        auto_module.forget_probes()
        voiced = voice_pieces([PIECE], auto)
        auto_module.forget_probes()
    assert fake.answers == [], "the handshake fails before any request is read"
    assert [v.engine for v in voiced] == ["espeak"]


def test_an_answer_larger_than_the_cap_is_refused(monkeypatch):
    monkeypatch.setattr("broadcast.tts.transport.MAX_BODY_BYTES", 1000)
    settings = VoiceSettings(engine="gtts", timeout_s=2.0, retries=3, requests_per_second=1000.0)
    with FakeGTTS() as fake:
        with pytest.raises(TTSError, match="larger than 1000 bytes"):
            GTTSEngine(settings).synthesize(PIECE)
    assert fake.requests == 1, "a too-large answer is not retried"


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after("3") == 3.0
    assert 9 < retry_after(time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 10))) <= 10
    assert retry_after(None) is None and retry_after("soon") is None


CHILD = """
import sys, time
from fake_gtts import gtts_pointed_at
from broadcast.tts import GTTSEngine, VoiceSettings
with gtts_pointed_at(sys.argv[1]):
    engine = GTTSEngine(VoiceSettings(engine="gtts", requests_per_second=float(sys.argv[2]), retries=0))
    for n in range(int(sys.argv[3])):
        engine.fetch(f"cau {n}")
"""


def _children(url: str, rate: float, pieces: int, count: int) -> list[subprocess.Popen]:
    here = os.path.dirname(__file__)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.join(here, "..", "src"), here])}
    return [subprocess.Popen([sys.executable, "-c", CHILD, url, str(rate), str(pieces)], env=env)
            for _ in range(count)]


def test_worker_processes_share_one_request_budget():
    rate, pieces = 8.0, 6
    with FakeGTTS() as fake:
        children = _children(fake.url, rate, pieces, 2)
        assert [child.wait(60) for child in children] == [0, 0]
    times = sorted(fake.times)
    assert len(times) == 2 * pieces
    span = times[-1] - times[0]
    assert span >= (2 * pieces - 1) / rate * 0.9, f"{len(times)} requests in {span:.2f} s beat {rate}/s"
    busiest = max(sum(t <= u < t + 1.0 for u in times) for t in times)
    assert busiest <= rate + 2, f"{busiest} requests in one second with a budget of {rate}/s"


def test_a_429_in_one_process_slows_every_process():
    settings = VoiceSettings(engine="gtts", requests_per_second=50.0, retries=0)
    with FakeGTTS("429", retry_after="1") as fake:
        children = _children(fake.url, 50.0, 1, 1)  # its only request gets the 429 (and fails: no retries)
        assert children[0].wait(60) == 1
        GTTSEngine(settings).fetch(PIECE)
    assert fake.answers == ["429", "ok"]
    gap = fake.times[1] - fake.times[0]
    assert 0.95 <= gap <= 3.0, f"asked again {gap:.2f} s after another process's 429 with Retry-After: 1"
    budget = RequestBudget(fake.url + "/", 50.0)
    assert budget.factor() > 1.0, "the spacing stays wider for a while after the 429"


def test_auto_tries_gtts_again_after_resting(monkeypatch):
    monkeypatch.setattr(auto_module, "REST_S", (0.3, 0.3))
    settings = VoiceSettings(timeout_s=1.0, retries=0, backoff_s=0.01, requests_per_second=1000.0, probe_timeout_s=1.0)
    auto_module.forget_probes()
    engine = auto_module.AutoEngine(settings)
    with FakeGTTS("ok", "500", "500", "500", default="ok") as fake:
        first = [engine.synthesize(f"Câu {n}.").engine for n in range(4)]
        time.sleep(0.35)
        later = engine.synthesize("Câu sau.").engine
    auto_module.forget_probes()
    assert first == ["espeak", "espeak", "espeak", "espeak"]
    assert fake.texts.count("Câu 3.") == 0, "while resting, gTTS is not asked"
    assert later == "gtts", "after the rest a later piece is voiced online again"


@pytest.mark.slow
def test_cli_say_with_gtts_fails_in_time_and_auto_falls_back_to_espeak(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from broadcast.cli import app
    from broadcast.project import Project
    from conftest import write_small_campaign

    config = write_small_campaign(tmp_path / "campaign")
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("tempo: 1.0,", "tempo: 1.0, timeout_s: 1.0, retries: 1,", 1), encoding="utf-8")
    original = Project.voice_settings  # a quick probe and backoff; the deadline and retries come from the file
    monkeypatch.setattr(Project, "voice_settings", lambda self, engine=None, region=None: __import__("dataclasses").replace(
        original(self, engine=engine, region=region), backoff_s=0.01, probe_timeout_s=1.5))
    runner = CliRunner()
    out = tmp_path / "say.mp3"
    with FakeGTTS(default="trickle"):
        started = time.monotonic()
        result = runner.invoke(app, ["say", "Không chuyển tiền cho người lạ.", "-o", str(out), "-c", str(config),
                                     "--engine", "gtts"])
        elapsed = time.monotonic() - started
    assert result.exit_code != 0 and "Traceback" not in result.output, result.output
    assert "Timeout" in result.output and not out.exists()
    assert elapsed <= 2 * (1.0 + MARGIN_S) + 3, f"{elapsed:.1f} s"  # + the CLI's own start-up

    auto_module.forget_probes()
    with FakeGTTS("ok", default="trickle"):
        result = runner.invoke(app, ["say", "Không chuyển tiền cho người lạ.", "-o", str(out), "-c", str(config),
                                     "--engine", "auto"])
    auto_module.forget_probes()
    assert result.exit_code == 0, result.output
    from broadcast.audio import read_tags

    assert read_tags(out).engine == "espeak"


@pytest.mark.parametrize("content", ["", "not json", "[1, 2]", '{"next": "x"}', '{"next": 1e300, "factor": 1e9}'])
def test_a_damaged_budget_file_starts_afresh(content):
    budget = RequestBudget("http://example.invalid/", 1000.0)
    budget.path.parent.mkdir(parents=True, exist_ok=True)
    budget.path.write_text(content, encoding="utf-8")
    assert budget.acquire() < 0.5
    assert 1.0 <= budget.factor() <= 16.0
