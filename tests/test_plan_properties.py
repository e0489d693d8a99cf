"""Property tests: over random configs the planner keeps every guarantee, or says (file:line) why it cannot.

The test computes feasibility on its own, from necessary conditions: the planner must succeed exactly when
they hold, so an over-cautious planner fails here as surely as one that breaks a rule. Stagger is checked
wherever the rule (see broadcast.plan) promises it, mixed items_per_session across the levels included.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadcast.config import AUDIENCES, load_schedule
from broadcast.errors import ConfigError
from broadcast.plan import make_plan

TIMES = ["05:30", "07:00", "11:00", "17:00"]
OTHER_TIMES = ["06:00", "09:30", "16:00", "19:00"]
OVERHEAD_S = 60.0


@st.composite
def configs(draw):
    days = draw(st.integers(1, 21))
    levels = {}
    for name in ("district", "commune"):
        slots = draw(st.sampled_from([1, 1, 2, 2, 3]))
        caps = [draw(st.sampled_from([240.0] * 6 + [20.0, 15.0, 8.0, 3.0])) for _ in range(slots)]
        levels[name] = {"slots": [{"time": t, "max_minutes": c} for t, c in zip(TIMES, caps)],
                        "items_per_session": draw(st.sampled_from([1, 2, 2, 3, 4]))}
    # Often as many slots for both levels (same or other times, same or other items_per_session), so the
    # whole district group must be staggered.
    shape = draw(st.sampled_from(["own", "same", "same", "mixed", "mixed", "retimed"]))
    if shape != "own":
        times = TIMES if shape != "retimed" else OTHER_TIMES
        levels["commune"]["slots"] = [dict(s, time=t) for s, t in zip(levels["district"]["slots"], times)]
    if shape == "same":
        levels["commune"]["items_per_session"] = levels["district"]["items_per_session"]
    rotation = {
        "min_airings": draw(st.sampled_from([1, 1, 1, 2, 3])),
        "min_gap_days": draw(st.sampled_from([0, 0, 1, 1, 2, 2, 3, 4, 6])),
        "priority_weight": draw(st.integers(1, 4)),
        "stagger": draw(st.booleans()),
    }
    # Mostly an item count the rules allow (so the guarantees get checked often), often one at the edge.
    low, high = 1, 60
    for level in levels.values():
        k, slots = level["items_per_session"], len(level["slots"])
        capacity = days * slots * k
        gap = rotation["min_gap_days"]
        low = max(low, k if gap == 0 else max(k, min(gap * slots * k, capacity)))
        high = min(high, capacity // rotation["min_airings"])
    choice = draw(st.integers(0, 3))
    if low <= high and choice < 2:
        n_items = draw(st.integers(low, high))
    elif low <= high + 1 and choice == 2:
        n_items = draw(st.sampled_from(sorted({max(1, v) for v in (low - 1, low, high, high + 1)})))
    else:
        n_items = draw(st.integers(1, 30))
    items = [f"i{n}" for n in range(n_items)]
    some = st.lists(st.sampled_from(items), unique=True, min_size=1, max_size=min(4, n_items))
    rotation["priority_items"] = draw(st.one_of(st.just([]), some))
    mixes = st.dictionaries(st.sampled_from(AUDIENCES), st.integers(1, 5), min_size=1, max_size=5)
    stations = []
    for d in range(draw(st.integers(1, 3))):
        stations.append({"id": f"h{d}", "name": f"Đài huyện {d}", "level": "district", "locality": "huyện",
                         "audiences": draw(mixes)})
        for c in range(draw(st.integers(0, 6))):
            stations.append({"id": f"h{d}-x{c}", "name": f"Đài xã {c}", "level": "commune", "district": f"h{d}",
                             "locality": "xã", "audiences": draw(mixes)})
    seconds = {(i, a): draw(st.integers(30, 300)) for i in items for a in AUDIENCES} if draw(st.booleans()) else None
    data = {
        "campaign": {"name": "Chiến dịch", "province": "Đồng Nai", "start": dt.date(2023, 7, 1),
                     "end": dt.date(2023, 7, 1) + dt.timedelta(days=days - 1)},
        "levels": levels, "rotation": rotation, "stations": stations,
    }
    return data, items, seconds


def expected_problems(data: dict, items: list[str], seconds: dict | None) -> list[str]:
    """Necessary conditions, computed independently of the planner."""
    n, rot = len(items), data["rotation"]
    days = (data["campaign"]["end"] - data["campaign"]["start"]).days + 1
    out = []
    for name in {s["level"] for s in data["stations"]}:
        level = data["levels"][name]
        k, slots = level["items_per_session"], len(level["slots"])
        capacity = days * slots * k
        if n * rot["min_airings"] > capacity:
            out.append(f"levels.{name}")
        gap = rot["min_gap_days"]
        distinct_needed = k if gap == 0 else max(k, min(gap * slots * k, capacity))
        if n < distinct_needed:
            out.append("rotation.min_gap_days" if distinct_needed > k else f"levels.{name}.items_per_session")
        audiences = {a for s in data["stations"] if s["level"] == name for a in s["audiences"]}
        for i, slot in enumerate(level["slots"]):
            for a in audiences:
                longest = sorted((seconds[(item, a)] if seconds else 150 for item in items), reverse=True)[:k]
                if OVERHEAD_S + sum(longest) > slot["max_minutes"] * 60:
                    out.append(f"levels.{name}.slots[{i}]")
    return out


def check_plan(data: dict, items: list[str], seconds: dict | None, plan) -> None:
    rot = data["rotation"]
    n, gap, prio = len(items), rot["min_gap_days"], set(rot["priority_items"])
    days = (data["campaign"]["end"] - data["campaign"]["start"]).days + 1
    stations = {s["id"]: s for s in data["stations"]}
    by_station = defaultdict(list)
    for s in plan.sessions:
        by_station[s.station_id].append(s)
    for sid, sessions in by_station.items():
        st_data = stations[sid]
        level = data["levels"][st_data["level"]]
        k, slots = level["items_per_session"], len(level["slots"])
        capacity = days * slots * k
        assert len(sessions) == days * slots
        # Every session is full, distinct and within its cap.
        for s in sessions:
            assert len(s.items) == k == len(set(s.items))
            spent = OVERHEAD_S + sum(seconds[(i, s.audience)] if seconds else 150 for i in s.items)
            assert spent <= level["slots"][s.slot_index]["max_minutes"] * 60
        # Coverage: every item at least min_airings times.
        counts = Counter(i for s in sessions for i in s.items)
        assert all(counts[i] >= rot["min_airings"] for i in items), counts
        # Gap: an item does not come back within min_gap_days days.
        if gap:
            last: dict[str, dt.date] = {}
            for s in sessions:
                for i in s.items:
                    assert i not in last or (s.date - last[i]).days >= gap, (sid, i, last[i], s.date)
                    last[i] = s.date
        # Priority: with room for it, priority items air `priority_weight` times per cycle.
        w, q = rot["priority_weight"], len(prio)
        cycle = n + (w - 1) * q
        spacing = k if gap == 0 else max(k, min(gap * slots * k, capacity))
        if q and w > 1 and q < n and rot["min_airings"] * cycle <= capacity and cycle // w - 1 >= spacing:
            assert min(counts[i] for i in prio) >= w * (capacity // cycle)
            assert max(counts[i] for i in items if i not in prio) <= math.ceil(capacity / cycle)
        # Audience mix: smooth weighted round-robin stays within one session of the exact share.
        total = sum(st_data["audiences"].values())
        heard = Counter(s.audience for s in sessions)
        for a, weight in st_data["audiences"].items():
            assert abs(heard[a] - len(sessions) * weight / total) < 1
    assert set(by_station) == set(stations)


def stagger_teams(data: dict, n_items: int) -> list[list[str]]:
    """The station sets the rule promises to stagger: a whole district group when both levels have as many
    slots a day and equal items_per_session, or the smaller k divides the larger K with k = 1 or K dividing
    the item count (no priority copies here); otherwise each level's stations of a group among themselves."""
    levels, stations = data["levels"], data["stations"]
    used = sorted({s["level"] for s in stations})
    ks = sorted(levels[lv]["items_per_session"] for lv in used)
    same_slots = len({len(levels[lv]["slots"]) for lv in used}) == 1
    together = same_slots and (ks[0] == ks[-1] or (ks[-1] % ks[0] == 0 and (ks[0] == 1 or n_items % ks[-1] == 0)))
    teams = []
    for district in (s for s in stations if s["level"] == "district"):
        group = [district] + [s for s in stations if s.get("district") == district["id"]]
        split = [group] if together else [[s for s in group if s["level"] == lv] for lv in used]
        teams += [[s["id"] for s in team] for team in split
                  if team and sum(levels[s["level"]]["items_per_session"] for s in team) <= n_items]
    return teams


def check_stagger(data: dict, items: list[str], plan) -> None:
    """Without priority items, every promised team airs no item twice in one slot (index) of one day."""
    if not data["rotation"]["stagger"] or data["rotation"]["priority_items"]:
        return
    for team in stagger_teams(data, len(items)):
        slots = defaultdict(list)
        for sid in team:
            for s in plan.for_station(sid):
                slots[(s.date, s.slot_index)].extend(s.items)
        for aired in slots.values():
            assert len(aired) == len(set(aired)), (team, aired)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("plans")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(configs())
def test_planner_keeps_every_guarantee_or_refuses_with_a_located_reason(folder, config):
    data, items, seconds = config
    path = folder / "schedule.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    schedule = load_schedule(path, known_items=items)
    duration = (lambda item, audience: seconds[(item, audience)]) if seconds else None
    expected = expected_problems(data, items, seconds)
    try:
        plan = make_plan(schedule, items, duration=duration, overhead_s=OVERHEAD_S)
    except ConfigError as exc:
        assert expected, f"feasible config refused: {exc}"
        fields = {p.field for p in exc.problems}
        assert fields <= set(expected) and all(p.line for p in exc.problems), (fields, expected)
        assert all(re.match(r"^.*schedule\.yaml:\d+: ", line) for line in str(exc).splitlines())
        return
    assert not expected, f"infeasible config planned: {expected}"
    check_plan(data, items, seconds, plan)
    check_stagger(data, items, plan)
    assert make_plan(schedule, items, duration=duration, overhead_s=OVERHEAD_S) == plan  # deterministic
