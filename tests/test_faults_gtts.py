"""The local gTTS fake misbehaving in every way during a campaign build: the build finishes, nothing is silent.

Under `auto` every piece gTTS fails is voiced by espeak-ng and the manifest says so; under `gtts` (no
fallback) a failure is one segment's, reported, and the sessions that do not need that segment are
published. Builds run in-process with `--workers 1`, since the fake is patched in here. schedule.yaml sets
the request timeout and retries; the backoff, the throttle and the probe timeout it cannot set are
shortened by patching Project.voice_settings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from fake_gtts import FakeGTTS
from typer.testing import CliRunner

import broadcast.segments
from broadcast.cli import app
from broadcast.project import Project, open_project, station_info
from broadcast.tts import forget_probes
from conftest import build_small_campaign, write_small_campaign
from faults_support import cache_problems, load_manifest, page_problems, speech_fraction

runner = CliRunner()
# Short enough for CI, long enough that a loaded machine does not time out an answer that is on its way.
TIMING_IN_SCHEDULE = "timeout_s: 1.0, retries: 1,"
TIMING_PATCHED = dict(backoff_s=0.01, requests_per_second=1000.0, probe_timeout_s=2.0)
# Request by request after the probe: each misbehaviour once where one retry saves the piece, once where
# it does not (or where a retry is pointless), then a 429 burst long enough that auto stops asking gTTS.
AUTO_SCRIPT = [
    "ok",  # the probe
    "429", "ok",  # 1 retried, voiced by gTTS
    "429", "429",  # 2 espeak
    "ok",  # 3 gTTS
    "503", "503",  # 4 espeak
    "hang", "ok",  # 5 timed out, retried, gTTS
    "hang", "hang",  # 6 espeak
    "empty",  # 7 espeak (a 200 without audio is not retried)
    "ok",  # 8 gTTS
    "garbage",  # 9 espeak
    "junk",  # 10 espeak
    "500", "ok",  # 11 gTTS
    "ok", "ok", "ok",  # 12-14 gTTS
    "429", "429", "429", "429", "429", "429",  # 15-17 fail in a row: auto gives gTTS up for this run
]
GTTS_PIECES = 8  # pieces above that gTTS voiced


def write_campaign(folder, with_commune: bool = True):
    """The small campaign, with gTTS timing set in its schedule.yaml."""
    config = write_small_campaign(folder, with_commune=with_commune)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("tempo: 1.0,", f"tempo: 1.0, {TIMING_IN_SCHEDULE}", 1), encoding="utf-8")
    settings = open_project(config).voice_settings()
    assert (settings.timeout_s, settings.retries) == (1.0, 1)
    return config


@pytest.fixture
def fast_voice(monkeypatch):
    """Short backoff, no throttle and a quick probe for in-process builds, and fresh engines (auto gives up per engine)."""
    original = Project.voice_settings

    def fast(self, engine=None, region=None):
        return replace(original(self, engine=engine, region=region), **TIMING_PATCHED)

    monkeypatch.setattr(Project, "voice_settings", fast)
    monkeypatch.setattr(broadcast.segments, "_WORKER", {})
    forget_probes()
    yield
    forget_probes()


def body_pieces(project, station_id: str, day: dt.date) -> list[str]:
    """The pieces gTTS is asked for to voice the body of one station's session on one day."""
    from broadcast.publish import campaign_plan
    from broadcast.script import render_script
    from broadcast.speech import normalize, split_for_voice

    schedule = project.schedule
    plan = campaign_plan(project)  # the build's own plan
    session = next(s for s in plan.sessions if s.station_id == station_id and s.date == day)
    station = schedule.station(station_id)
    pieces = []
    for item in session.items:
        script = render_script(project.env, project.handbook, item, session.audience, station_info(station), project.campaign)
        for paragraph in script.section("body").split("\n\n"):
            pieces += split_for_voice(normalize(paragraph, project.lexicon))
    return pieces


def unique_needle(target: list[str], others: list[str]) -> str:
    """A piece of `target` that is in no other request's text, to pick the fake's answer by."""
    for piece in target:
        if not any(piece in other for other in others) and not any(piece in t for t in target if t is not piece):
            return piece
    raise AssertionError("no piece of the target body is unique")


def test_auto_voices_every_session_through_every_gtts_misbehaviour(tmp_path, fast_voice):
    config = write_campaign(tmp_path / "campaign", with_commune=False)
    with FakeGTTS(*AUTO_SCRIPT, hang_s=3) as fake:
        report = build_small_campaign(config, engine="auto", workers=1)
    assert fake.answers == AUTO_SCRIPT, "auto kept asking gTTS after the burst, or the pieces came in another order"
    assert report.failures == [] and report.sessions == 2

    out = tmp_path / "campaign" / "audio_out"
    manifest = load_manifest(out)
    for rec in manifest["programmes"]:
        assert speech_fraction(out / rec["file"]) > 0.5, f"{rec['file']} is (nearly) silent"
    assert {e for rec in manifest["programmes"] for e in rec["engines"]} == {"gtts", "espeak"}
    mixed = [k for k, seg in manifest["segments"].items() if seg["engines"] == ["espeak", "gtts"]]
    assert mixed, "the segment where gTTS failed records the espeak-ng fallback beside gTTS"
    problems, _, engines = cache_problems(tmp_path / "campaign" / ".cache" / "broadcast")
    assert not problems
    assert engines["gtts"] == GTTS_PIECES and engines["espeak"] > 0  # each piece filed under who voiced it


def test_gtts_without_fallback_fails_per_segment_and_publishes_the_rest(tmp_path, fast_voice):
    config = write_campaign(tmp_path / "campaign")
    project = open_project(config)
    day1, day2 = dt.date(2023, 7, 1), dt.date(2023, 7, 2)
    district, commune = body_pieces(project, "tan-phu", day1), body_pieces(project, "tan-phu-phu-lam", day2)
    rest = [p for st, d in (("tan-phu", day2), ("tan-phu-phu-lam", day1)) for p in body_pieces(project, st, d)]
    hang = unique_needle(district, commune + rest)
    garbage = unique_needle(commune, district + rest)
    transient = ["429", "ok", "503", "ok", "hang", "ok", "500", "ok"]  # saved by the retry

    with FakeGTTS(*transient, by_text={hang: "hang", garbage: "garbage"}, hang_s=3) as fake:
        result = runner.invoke(app, ["build", "-c", str(config), "--engine", "gtts", "--workers", "1"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 4, result.stderr
    assert any("gTTS failed after 2 attempt(s)" in line and "Timeout" in line for line in failed), failed
    assert any("not MP3 audio" in line for line in failed), failed
    assert {line.split(": ")[1] for line in failed if "not published" in line} == {
        "tan-phu_2023-07-01_05h30", "tan-phu-phu-lam_2023-07-02_17h00"}
    assert fake.texts.count(hang) == 2 and fake.texts.count(garbage) == 1  # retries only where they can help
    assert "espeak" not in result.stdout  # engines: gtts only

    out = config.parent / "audio_out"
    manifest = load_manifest(out)
    published = {(r["station"], r["date"]) for r in manifest["programmes"]}
    assert published == {("tan-phu", "2023-07-02"), ("tan-phu-phu-lam", "2023-07-01")}
    for rec in manifest["programmes"]:
        assert rec["engines"] == ["gtts"]
        assert speech_fraction(out / rec["file"]) > 0.5
    assert all(seg["engines"] in ([], ["gtts"]) for seg in manifest["segments"].values())
    assert not page_problems(out)

    # Google answers again: only the two failed bodies are voiced, and every session is published.
    with FakeGTTS() as fake:
        result = runner.invoke(app, ["build", "-c", str(config), "--engine", "gtts", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "segments: 9 (2 made" in result.stdout and "2 written, 2 unchanged" in result.stdout, result.stdout
    assert hang in fake.texts and garbage in fake.texts
    assert len(load_manifest(out)["programmes"]) == 4


CLOSING_EDIT = ('{% extends "default/base.j2" %}\n'
                "{% block signoff %}Ban biên tập xin cảm ơn {{ self.addressee() }}.{% endblock %}\n")


def test_a_voice_failure_on_a_rebuild_keeps_the_previous_sessions_on_air(campaign_copy, monkeypatch):
    """The closing template changes and the voice fails for one station's new closing: its sessions stay as they were."""
    from broadcast.errors import TTSError
    from broadcast.tts import EspeakEngine

    out = campaign_copy / "audio_out"
    before = {r["file"]: r["sha256"] for r in load_manifest(out)["programmes"]}
    (campaign_copy / "templates").mkdir()
    (campaign_copy / "templates" / "base.j2").write_text(CLOSING_EDIT, encoding="utf-8")
    real, failed = EspeakEngine.synthesize, []

    def fails_once(self, text):
        if "biên tập xin cảm ơn" in text and not failed:  # the first new closing: the district station's
            failed.append(text)
            raise TTSError("the voice is out of reach")
        return real(self, text)

    monkeypatch.setattr(broadcast.segments, "_WORKER", {})
    monkeypatch.setattr(EspeakEngine, "synthesize", fails_once)
    report = build_small_campaign(campaign_copy / "schedule.yaml")
    assert failed and len(report.failures) == 3  # one closing, and the two sessions of the station it serves
    programmes = load_manifest(out)["programmes"]
    assert len(programmes) == 4 and not page_problems(out)
    stale = [r for r in programmes if r.get("stale")]
    assert len(stale) == 2 and len({r["station"] for r in stale}) == 1
    for rec in stale:  # the failed station's sessions are the previous build's, byte for byte, still listed
        assert before[rec["file"]] == rec["sha256"] and (out / rec["file"]).is_file(), f"{rec['file']} was taken off air"
    for rec in programmes:
        assert (out / rec["file"]).is_file()
