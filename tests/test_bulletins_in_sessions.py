"""Normal and priority bulletins inside rotation sessions: where they land, and the caps still hold."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from broadcast.audio import mp3_info
from broadcast.bulletins import Bulletin, estimated_seconds, place_bulletins, target_stations
from broadcast.cli import app
from broadcast.plan import make_plan
from broadcast.project import open_project

from test_bulletins import add

ROOT = Path(__file__).resolve().parents[1]
ITEM_S, OVERHEAD_S = 500.0, 120.0  # long items, so a priority bulletin must push some out of the cap


@pytest.fixture(scope="module")
def shipped():
    project = open_project(ROOT / "schedule.yaml")
    schedule = project.schedule
    plan = make_plan(schedule, project.handbook.item_ids, set(schedule.rotation.priority_items),
                     duration=lambda i, a: ITEM_S, overhead_s=OVERHEAD_S)
    return schedule, plan


def bulletin(level: str, words: int, start: dt.date, days: int, targets: tuple[str, ...]) -> Bulletin:
    text = " ".join(["cảnh báo lừa đảo qua điện thoại"] * max(1, words // 7))
    return Bulletin(id=f"b-{level}", title="Cảnh báo", text=text, level=level, start=start,
                    end=start + dt.timedelta(days=days), targets=targets)


def cap_s(schedule, session) -> float:
    station = schedule.station(session.station_id)
    return schedule.levels[station.level].slots[session.slot_index].max_minutes * 60


def length_s(session, bulletins) -> float:
    said = session.priority_bulletins + session.normal_bulletins
    return OVERHEAD_S + ITEM_S * len(session.items) + sum(estimated_seconds(bulletins[b]) for b in said)


@settings(max_examples=25, deadline=None)
@given(words=st.integers(10, 400), first=st.integers(0, 15), days=st.integers(0, 6),
       district=st.sampled_from([(), ("bien-hoa",), ("tan-phu", "long-khanh")]))
def test_a_priority_bulletin_opens_every_session_of_its_targets_in_its_window_within_the_cap(shipped, words, first,
                                                                                             days, district):
    schedule, plan = shipped
    start = schedule.campaign.start + dt.timedelta(days=first)
    prio = bulletin("priority", words, start, days, district)
    placed = place_bulletins(schedule, plan, [prio], lambda i, a: ITEM_S, OVERHEAD_S)
    targets = set(target_stations(schedule, prio))
    assert len(placed.plan.sessions) == len(plan.sessions)
    for before, after in zip(plan.sessions, placed.plan.sessions):
        assert (before.date, before.station_id, before.slot_index) == (after.date, after.station_id, after.slot_index)
        if before.station_id in targets and prio.start <= before.date <= prio.end:
            assert after.priority_bulletins == ("b-priority",)
            assert after.items == before.items[:len(after.items)] and after.items  # dropped from the end, one kept
            assert length_s(after, {"b-priority": prio}) <= cap_s(schedule, after)
            if len(after.items) < len(before.items):
                assert any(f"{before.station_id} {before.date}" in n for n in placed.notes)  # says which
        else:
            assert after == before


def test_a_normal_bulletin_goes_only_where_it_fits_and_says_so_when_it_fits_nowhere(shipped):
    schedule, plan = shipped
    short = bulletin("normal", 30, schedule.campaign.start, 2, ())
    placed = place_bulletins(schedule, plan, [short], lambda i, a: 60.0, OVERHEAD_S)
    in_window = [s for s in placed.plan.sessions if s.date <= short.end]
    assert in_window and all(s.normal_bulletins == ("b-normal",) for s in in_window)
    assert all(not s.normal_bulletins for s in placed.plan.sessions if s.date > short.end)
    huge = bulletin("normal", 5000, schedule.campaign.start, 2, ())  # over half an hour of reading
    placed = place_bulletins(schedule, plan, [huge], lambda i, a: 60.0, OVERHEAD_S)
    assert not any(s.normal_bulletins for s in placed.plan.sessions)
    assert any("fits in no session" in n for n in placed.notes)


@pytest.mark.slow
def test_a_priority_bulletin_is_voiced_right_after_the_opening_of_its_targets_sessions(campaign_copy):
    folder = campaign_copy
    config = folder / "schedule.yaml"
    runner = CliRunner()
    added = add(folder, "--level", "priority", "--title", "Cảnh báo cuộc gọi giả danh", "--text",
                "Công an không gọi điện bắt chuyển tiền.", "--from", "2023-07-02", "--to", "2023-07-02",
                "--stations", "tan-phu")
    assert added.exit_code == 0, added.output
    built = runner.invoke(app, ["build", "--engine", "espeak", "-c", str(config)])
    assert built.exit_code == 0, built.output
    m = json.loads((folder / "audio_out" / "manifest.json").read_text(encoding="utf-8"))
    with_bulletin = [p for p in m["programmes"] if p.get("bulletins")]
    assert with_bulletin and all(p["date"] == "2023-07-02" for p in with_bulletin)
    for p in with_bulletin:
        kinds = [m["segments"][k]["kind"] for k in p["segments"]]
        assert kinds[:3] == ["chime", "opening", "bulletin"]
        assert "Công an không gọi điện" in (folder / "audio_out" / p["script"]).read_text(encoding="utf-8")
        info = mp3_info(folder / "audio_out" / p["file"])
        assert info.duration_s == pytest.approx(sum(m["segments"][k]["duration_s"] for k in p["segments"]), abs=0.2)
    assert all(not p.get("bulletins") for p in m["programmes"] if p["date"] != "2023-07-02")


def test_a_long_priority_bulletin_pushes_rotation_items_out_to_keep_the_cap(shipped):
    schedule, plan = shipped
    prio = bulletin("priority", 400, schedule.campaign.start, 0, ("bien-hoa",))
    placed = place_bulletins(schedule, plan, [prio], lambda i, a: ITEM_S, OVERHEAD_S)
    district = [s for s in placed.plan.sessions if s.station_id == "bien-hoa" and s.date == prio.start]
    assert district and all(len(s.items) == 1 and s.priority_bulletins for s in district)
    assert any("replaces" in n for n in placed.notes)
