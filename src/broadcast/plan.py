"""The rotation planner: which items each station airs in each session of each campaign day.

Per level, items are laid out on one cyclic sequence in which every item recurs at least R positions
later (R = min_gap_days x items a day, so any window of it keeps the gap), priority items c times per
cycle. Each station reads its level's sequence, items_per_session at a time, from its own start.

Stagger (rotation.stagger), per district group: the district station, then its communes in schedule
order, each take the first start at which they share no item with the group's stations placed before
them in any session compared, else the start that shares in fewest. The two levels are compared with
each other (slot index by slot index on the same day, whatever the clock times) when they have as many
slots a day, the same cycle, and items_per_session that are equal or where the smaller k divides the
larger K with k = 1 or K dividing the cycle length. Then the k level reads the K level's cycle
interleaved: a row (the K items of one session) a session, the row's k-item blocks in turn pass after
pass, which keeps its gap, coverage and priority share. Otherwise each level is compared only with
itself. Stations compared never air an item twice in one session when their items_per_session add up to
at most the number of items and no item is doubled for priority (copies can rule out starts).
Everything is deterministic.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Collection, Sequence

from .config import Schedule
from .errors import ConfigError, Problem

log = logging.getLogger(__name__)

DEFAULT_ITEM_SECONDS = 150.0
ROW_FIELDS = ("date", "time", "station", "slot", "audience", "items")


@dataclass(frozen=True, slots=True)
class Session:
    """One loudspeaker session: a station, a date, a slot, its audience and the items it airs."""

    date: dt.date
    station_id: str
    slot_index: int
    time: dt.time
    audience: str
    items: tuple[str, ...]
    # Bulletin ids this session airs: "priority" ones right after the opening, "normal" ones after the items.
    priority_bulletins: tuple[str, ...] = ()
    normal_bulletins: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """Every session of the campaign, ordered by station (as in schedule.yaml), date and slot."""

    sessions: tuple[Session, ...]

    @cached_property
    def _by_station(self) -> dict[str, tuple[Session, ...]]:
        out: dict[str, list[Session]] = {}
        for s in self.sessions:
            out.setdefault(s.station_id, []).append(s)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def _by_date(self) -> dict[dt.date, tuple[Session, ...]]:
        out: dict[dt.date, list[Session]] = {}
        for s in self.sessions:
            out.setdefault(s.date, []).append(s)
        return {k: tuple(v) for k, v in sorted(out.items())}

    def station_ids(self) -> tuple[str, ...]:
        """The stations that have sessions, in schedule order."""
        return tuple(self._by_station)

    def dates(self) -> tuple[dt.date, ...]:
        """The dates that have sessions, in order."""
        return tuple(self._by_date)

    def for_station(self, station_id: str, date: dt.date | None = None) -> tuple[Session, ...]:
        """A station's sessions (on one date, if given)."""
        sessions = self._by_station.get(station_id, ())
        return sessions if date is None else tuple(s for s in sessions if s.date == date)

    def on_date(self, date: dt.date) -> tuple[Session, ...]:
        """Every station's sessions on one date."""
        return self._by_date.get(date, ())

    def airings(self, station_id: str) -> dict[str, int]:
        """How many times each item airs at a station over the campaign."""
        counts: dict[str, int] = {}
        for s in self._by_station.get(station_id, ()):
            for item in s.items:
                counts[item] = counts.get(item, 0) + 1
        return counts

    def rows(self, station_id: str | None = None, date: dt.date | None = None) -> list[tuple[str, str, str, str, str, str]]:
        """Table rows (see ROW_FIELDS), optionally for one station and/or one date."""
        sessions = self.for_station(station_id, date) if station_id else (self.on_date(date) if date else self.sessions)
        return [
            (s.date.isoformat(), s.time.strftime("%H:%M"), s.station_id, str(s.slot_index + 1), s.audience, ", ".join(s.items))
            for s in sessions
        ]


@dataclass(frozen=True)
class _Cycle:
    """One level's cyclic item sequence (indexes into the items) and its priority copies."""

    order: tuple[int, ...]
    copies: int


@dataclass(frozen=True)
class _Reader:
    """How one level's stations read: item sequence, items per session, starts to try in turn, and with whom
    they are staggered (the levels that share a `team`)."""

    seq: tuple[int, ...]
    k: int
    starts: tuple[int, ...]
    team: str


def make_plan(
    schedule: Schedule,
    items: Sequence[str],
    priority: Collection[str] = (),
    duration: Callable[[str, str], float] | None = None,
    overhead_s: float = 60.0,
) -> Plan:
    """Plan every session of the campaign; ConfigError (file:line) when the rules cannot be met.

    `items` in handbook order; `priority` adds to rotation.priority_items (ids not in `items` are ignored);
    `duration(item, audience)` gives an item's seconds (default 150); `overhead_s` is a session's opening,
    closing and chimes. The stagger rule (which stations are kept apart, and when) is in the module doc.
    """
    items = tuple(dict.fromkeys(items))
    if not items:
        raise ConfigError([schedule.problem(("stations",), "there are no handbook items to plan")])
    problems: list[Problem] = []
    index = {item: i for i, item in enumerate(items)}
    for i, item in enumerate(schedule.rotation.priority_items):
        if item not in index:
            problems.append(schedule.problem(("rotation", "priority_items", i), f"'{item}' is not one of the items to plan"))
    chosen = set(priority) | set(schedule.rotation.priority_items)
    prio = frozenset(index[item] for item in chosen if item in index)
    days = schedule.days()
    used = list(dict.fromkeys(st.level for st in schedule.stations))
    measure = _Durations(items, duration or (lambda item, audience: DEFAULT_ITEM_SECONDS))
    cycles: dict[str, _Cycle] = {}
    for level in used:
        audiences = sorted({a for st in schedule.stations if st.level == level for a, _ in st.audiences})
        problems += _check_caps(schedule, level, audiences, measure, overhead_s)
        cycle = _level_cycle(schedule, level, len(items), prio, len(days), problems)
        if cycle is not None:
            cycles[level] = cycle
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: p.line or 0))
    return _assemble(schedule, items, days, _readers(schedule, cycles))


class _Durations:
    """duration(item, audience) called once per pair and kept sorted, longest first."""

    def __init__(self, items: tuple[str, ...], duration: Callable[[str, str], float]):
        self.items, self.duration = items, duration
        self.cache: dict[str, list[tuple[float, str]]] = {}

    def longest(self, audience: str) -> list[tuple[float, str]]:
        if audience not in self.cache:
            pairs = [(float(self.duration(i, audience)), i) for i in self.items]
            for seconds, item in pairs:
                if not math.isfinite(seconds) or seconds < 0:  # a caller's bug, not a config problem
                    raise ValueError(f"duration({item!r}, {audience!r}) returned {seconds}")
            self.cache[audience] = sorted(pairs, key=lambda t: (-t[0], t[1]))
        return self.cache[audience]


def _check_caps(schedule: Schedule, level: str, audiences: list[str], measure: _Durations, overhead_s: float) -> list[Problem]:
    """Every slot must fit `items_per_session` of the longest items for each audience that can hear it."""
    spec = schedule.levels[level]
    k = spec.items_per_session
    problems = []
    for i, slot in enumerate(spec.slots):
        cap_s = slot.max_minutes * 60
        worst: tuple[float, str, list[tuple[float, str]]] | None = None
        for audience in audiences:
            top = measure.longest(audience)[:k]
            need = overhead_s + sum(d for d, _ in top)
            if need > cap_s and (worst is None or need > worst[0]):
                worst = (need, audience, top)
        if worst is None:
            continue
        need, audience, top = worst
        one = overhead_s + top[0][0]
        where = ("levels", level, "slots", i)
        if one > cap_s:
            msg = (f"a session cannot fit even one item: '{top[0][1]}' for {audience} takes {top[0][0] / 60:.1f} min, "
                   f"plus {overhead_s / 60:.1f} min of opening, closing and chimes = {one / 60:.1f} min > max_minutes {slot.max_minutes:g}")
        else:
            names = ", ".join(f"'{item}' {d / 60:.1f} min" for d, item in top)
            msg = (f"{k} items per session do not fit: the longest for {audience} ({names}) plus {overhead_s / 60:.1f} min "
                   f"of opening, closing and chimes take {need / 60:.1f} min > max_minutes {slot.max_minutes:g}")
        problems.append(schedule.problem(where, msg))
    return problems


def _level_cycle(schedule: Schedule, level: str, n: int, prio: frozenset[int], n_days: int, problems: list[Problem]) -> _Cycle | None:
    """The level's cycle, or None after adding a Problem that says why the rules cannot all hold."""
    rot, spec = schedule.rotation, schedule.levels[level]
    k, slots = spec.items_per_session, len(spec.slots)
    per_day = slots * k
    capacity = n_days * per_day
    need_apart = _min_spacing(k, rot.min_gap_days, per_day, capacity)
    before = len(problems)
    if n * rot.min_airings > capacity:
        problems.append(schedule.problem(("levels", level), (
            f"every {level} station must air {n} items x min_airings {rot.min_airings} = {n * rot.min_airings} times, "
            f"but it has only {capacity} item slots ({n_days} days x {slots} slots x {k} items per session); "
            "add slots or items_per_session, or lower rotation.min_airings")))
    if n < need_apart:
        advice = "lower min_gap_days or items_per_session"
        if need_apart == k:
            where, why = ("levels", level, "items_per_session"), f"{k} items per session need {k} different items"
            advice = "lower items_per_session"
        elif need_apart == capacity:
            where, why = ("rotation", "min_gap_days"), (
                f"min_gap_days {rot.min_gap_days} is longer than the {n_days}-day campaign, so all {capacity} airings of a "
                f"{level} station must be different items")
        else:
            where, why = ("rotation", "min_gap_days"), (
                f"with min_gap_days {rot.min_gap_days}, a {level} station airing {per_day} items a day ({slots} slots x {k}) "
                f"needs {need_apart} different items to go {rot.min_gap_days} days without a repeat")
        problems.append(schedule.problem(where, f"{why}, but there are only {n}; {advice}"))
    if len(problems) > before:
        return None
    for copies in range(max(1, rot.priority_weight) if prio else 1, 0, -1):
        length = n + (copies - 1) * len(prio)
        if rot.min_airings * length > capacity:
            continue
        order = _cycle_order(n, prio, copies)
        if copies == 1 or _spacing(order) >= need_apart:
            break
    if prio and copies < rot.priority_weight:
        log.info("%s: priority items air %dx, not %dx: the gap and min_airings rules leave no more room", level, copies, rot.priority_weight)
    return _Cycle(order=order, copies=copies)


def _min_spacing(k: int, gap_days: int, per_day: int, capacity: int) -> int:
    """How far apart (in item positions) two airings of one item must be in the cycle."""
    if gap_days == 0:
        return k  # never twice in one session
    # Positions g*per_day apart are always >= g days apart, whatever the station's offset.
    return max(k, min(gap_days * per_day, capacity))


def _cycle_order(n: int, prio: frozenset[int], copies: int) -> tuple[int, ...]:
    """Items in handbook order; with copies > 1, `copies` rounds each holding every priority item once."""
    if copies == 1 or not prio:
        return tuple(range(n))
    top = sorted(prio)
    rest = [i for i in range(n) if i not in prio]
    order: list[int] = []
    for r in range(copies):
        chunk = rest[r * len(rest) // copies:(r + 1) * len(rest) // copies]
        length = len(top) + len(chunk)
        # Priority item j sits at the same relative place in every round, so its copies stay a round apart.
        at = {j * length // len(top): item for j, item in enumerate(top)}
        others = iter(chunk)
        order.extend(at[p] if p in at else next(others) for p in range(length))
    return tuple(order)


def _spacing(order: Sequence[int]) -> int:
    """The smallest cyclic distance between two positions holding the same item."""
    length, last, first = len(order), {}, {}
    best = length
    for p, item in enumerate(order):
        if item in last:
            best = min(best, p - last[item])
        else:
            first[item] = p
        last[item] = p
    for item, p in first.items():
        if last[item] != p:
            best = min(best, length - last[item] + p)
    return best


def _audience_turns(mix: tuple[tuple[str, int], ...], count: int) -> tuple[str, ...]:
    """Smooth weighted round-robin over the audience mix: weight 2 gets twice the turns, evenly spread."""
    names = [a for a, _ in mix]
    weights = [w for _, w in mix]
    total = sum(weights)
    current = [0] * len(mix)
    out = []
    for _ in range(count):
        for i, w in enumerate(weights):
            current[i] += w
        pick = max(range(len(mix)), key=current.__getitem__)  # first of equals: deterministic
        current[pick] -= total
        out.append(names[pick])
    return tuple(out)


def _readers(schedule: Schedule, cycles: dict[str, _Cycle]) -> dict[str, _Reader]:
    """Each level's reader: its own cycle, or (see the module doc) the other level's cycle interleaved."""
    spec = schedule.levels
    readers = {lv: _Reader(c.order, spec[lv].items_per_session, tuple(range(len(c.order))), lv) for lv, c in cycles.items()}
    if len(cycles) != 2 or not schedule.rotation.stagger:  # without stagger every station reads in step
        return readers
    small, big = sorted(cycles, key=lambda lv: spec[lv].items_per_session)
    k, kk, order = spec[small].items_per_session, spec[big].items_per_session, cycles[big].order
    if len(spec[small].slots) != len(spec[big].slots) or cycles[small].order != order:
        return readers  # sessions do not line up, or the cycles differ: each level is staggered on its own
    if k == kk:
        return {lv: _Reader(order, k, r.starts, "") for lv, r in readers.items()}
    if kk % k or (k > 1 and len(order) % kk):
        return readers
    # Only block-boundary starts: a window across two blocks could come back too soon.
    return {big: _Reader(order, kk, readers[big].starts, ""),
            small: _Reader(_interleave(order, kk, k), k, tuple(range(0, len(order), k)), "")}


def _interleave(order: tuple[int, ...], kk: int, k: int) -> tuple[int, ...]:
    """`order` read one K-item row at a time, k items of it a row, the row's next block on the next pass."""
    length = len(order)
    if k == 1:
        # Rows may overlap (K does not divide the length): step K a session, and one more each time round.
        g = math.gcd(kk, length)
        return tuple(order[(kk * t + t * g // length) % length] for t in range(length))
    rows = length // kk
    return tuple(order[row * kk + block * k + i] for block in range(kk // k) for row in range(rows) for i in range(k))


class _Stagger:
    """Each district group's starts, station by station (cached: groups of one shape get the same ones)."""

    def __init__(self, schedule: Schedule, readers: dict[str, _Reader], n_days: int):
        self.readers = readers
        self.cache: dict[tuple[str, ...], tuple[int, ...]] = {}
        # A start's pattern repeats after lcm(cycle lengths) days at most: no need to look further.
        period = min(n_days, math.lcm(*(len(r.seq) for r in readers.values())))
        slots = {lv: len(schedule.levels[lv].slots) for lv in readers}
        self.keys = {lv: tuple((d * n + i, (readers[lv].team, d, i)) for d in range(period) for i in range(n))
                     for lv, n in slots.items()}
        self.masks = {lv: tuple(sum(1 << i for i in {r.seq[(p + j) % len(r.seq)] for j in range(r.k)})
                                for p in range(len(r.seq))) for lv, r in readers.items()}

    def starts(self, levels: tuple[str, ...]) -> tuple[int, ...]:
        """The starts of a group's stations, given their levels in placing order."""
        if levels not in self.cache:
            taken: dict[tuple, int] = {}
            chosen = []
            for lv in levels:
                reader, keys, masks = self.readers[lv], self.keys[lv], self.masks[lv]
                k, length, best = reader.k, len(reader.seq), (math.inf, 0)
                for start in reader.starts:
                    clashes = sum(1 for n, key in keys if masks[(start + k * n) % length] & taken.get(key, 0))
                    if clashes < best[0]:
                        best = (clashes, start)
                        if not clashes:
                            break
                chosen.append(best[1])
                for n, key in keys:
                    taken[key] = taken.get(key, 0) | masks[(best[1] + k * n) % length]
            self.cache[levels] = tuple(chosen)
        return self.cache[levels]


def _assemble(schedule: Schedule, items: tuple[str, ...], days: list[dt.date], readers: dict[str, _Reader]) -> Plan:
    groups: dict[str, list] = {}
    for st in sorted(schedule.stations, key=lambda s: s.district is not None):  # district stations first
        groups.setdefault(st.district or st.id, []).append(st)
    stagger = _Stagger(schedule, readers, len(days)) if schedule.rotation.stagger else None
    start: dict[str, int] = {}
    for members in groups.values():
        levels = tuple(st.level for st in members)
        start.update(zip((st.id for st in members), stagger.starts(levels) if stagger else (0,) * len(members)))
    windows: dict[tuple[str, int], tuple[tuple[str, ...], ...]] = {}
    turns: dict[tuple[tuple[tuple[str, int], ...], int], tuple[str, ...]] = {}
    sessions: list[Session] = []
    for st in schedule.stations:
        spec = schedule.levels[st.level]
        per_station = len(days) * len(spec.slots)
        key = (st.level, start[st.id])
        if key not in windows:  # shared by every station of this level on this start: few distinct ones
            windows[key] = _windows(readers[st.level], start[st.id], per_station, items)
        if (st.audiences, per_station) not in turns:
            turns[(st.audiences, per_station)] = _audience_turns(st.audiences, per_station)
        picks, audiences = windows[key], turns[(st.audiences, per_station)]
        n = 0
        for day in days:
            for si, slot in enumerate(spec.slots):
                sessions.append(Session(day, st.id, si, slot.time, audiences[n], picks[n]))
                n += 1
    log.info("planned %d sessions for %d stations over %d days", len(sessions), len(schedule.stations), len(days))
    return Plan(sessions=tuple(sessions))


def _windows(reader: _Reader, start: int, count: int, items: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    seq, k, length = reader.seq, reader.k, len(reader.seq)
    return tuple(tuple(items[seq[(start + s * k + i) % length]] for i in range(k)) for s in range(count))
