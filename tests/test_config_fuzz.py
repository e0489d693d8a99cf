"""Mutated copies of the shipped schedule.yaml never raise anything but a located ConfigError (load and plan)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadcast.config import load_schedule
from broadcast.errors import ConfigError
from broadcast.plan import make_plan
from yaml_mutations import mutate_lines

SHIPPED = Path(__file__).resolve().parent.parent / "schedule.yaml"
TEXT = SHIPPED.read_text(encoding="utf-8")
LINES = TEXT.splitlines(keepends=True)
DATA = yaml.safe_load(TEXT)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
ITEMS = ["gia-danh-cong-an-vks-toa-an", "khoa-sim", "deepfake-video-call"] + [f"item-{i}" for i in range(21)]
LOCATED = re.compile(r"^.*schedule\.yaml:\d+: \S")

# Values that break types, ranges, YAML itself or the loader's constructors.
NASTY = [
    "", "~", "null", "[]", "{}", "[1, 2", "{a: 1", "-1", "0", "1e400", "99999999999999999999999999", ".nan", "-.inf",
    "2023-02-30", "2023-13-01", "0000-01-01", "2023-07-01 10:00:00", "'25:00'", "17:00", "'05:3'", "true", "no",
    '"../x"', "/abs", "CON", "a b", "&a [*a]", "*nope", "!!int x", "!!float x", "!!bool x", "!!timestamp x",
    "!!binary ~~", "!!python/object:os.system x", "!foo x", "!!set {a}", "!!omap [a]", '"\\0"', '"\\x07"', "|\n  block",
    "'" + "x" * 600 + "'", "é\u0301", "'\ufeff'", "? [a]\n: b", "<<: {a: 1}", "- - - x", "[[[[[[[[]]]]]]]]",
    "{time: '05:30', max_minutes: 15}", "{general: 0}", "[khoa-sim, khoa-sim]", "district", "commune", "auto",
]


def mutate_text(data: st.DataObject) -> bytes:
    """Apply a few line- or byte-level edits to the shipped text."""
    return mutate_lines(data, LINES, NASTY, max_edits=4)


def paths(node, prefix=()):
    """Every path into the data, for structural edits."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from paths(value, prefix + (i,))


ALL_PATHS = [p for p in paths(DATA) if p]
SWAP_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=True), st.text(max_size=20),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2), st.dates(),
    st.sampled_from(["05:30", "25:00", "district", "commune", "south", "../x", "khoa-sim", "general"]),
)


def mutate_data(data: st.DataObject) -> bytes:
    """Delete keys, swap value types, rename keys: then dump the data back to YAML."""
    doc = copy.deepcopy(DATA)
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(st.sampled_from(ALL_PATHS))
        parent = doc
        try:
            for part in path[:-1]:
                parent = parent[part]
            last = path[-1]
            op = data.draw(st.sampled_from(["delete", "swap", "rename"]))
            if op == "delete":
                del parent[last]
            elif op == "swap":
                parent[last] = data.draw(SWAP_VALUES)
            elif isinstance(parent, dict):
                parent[last + data.draw(st.sampled_from(["s", "_", "x"]))] = parent.pop(last)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or reshaped this path
    return yaml.dump(doc, Dumper=DUMPER, allow_unicode=True, sort_keys=False).encode("utf-8")


def check(folder: Path, raw: bytes) -> None:
    path = folder / "schedule.yaml"
    path.write_bytes(raw)
    try:
        schedule = load_schedule(path, known_items=ITEMS)
        plan = make_plan(schedule, ITEMS)
        assert plan.sessions or not schedule.stations
    except ConfigError as exc:
        lines = str(exc).splitlines()
        assert lines and all(LOCATED.match(line) for line in lines), lines
        assert all(p.line for p in exc.problems)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_text_mutations_of_the_shipped_schedule_never_escape_as_tracebacks(folder, data):
    check(folder, mutate_text(data))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_structural_mutations_of_the_shipped_schedule_never_escape_as_tracebacks(folder, data):
    check(folder, mutate_data(data))


def test_mutations_do_find_problems(folder):
    """Guard against a fuzz test that cannot fail: a typical mutation is reported, with its line."""
    raw = TEXT.replace("min_gap_days: 3", "min_gap_days: lots").encode()
    with pytest.raises(ConfigError, match=r"schedule\.yaml:\d+: rotation\.min_gap_days: must be a whole number"):
        check_raises(folder, raw)


def check_raises(folder: Path, raw: bytes) -> None:
    path = folder / "schedule.yaml"
    path.write_bytes(raw)
    make_plan(load_schedule(path, known_items=ITEMS), ITEMS)
