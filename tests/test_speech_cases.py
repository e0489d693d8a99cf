"""The 79-case text-normalization battery (tests/data/tn-cases.json, copied from ../shared)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from broadcast.speech import normalize

CASES = json.loads((Path(__file__).parent / "data" / "tn-cases.json").read_text(encoding="utf-8"))
REQUIRED = 76  # the bar: at least 95 % of the battery
_SCORING_PUNCT = re.compile(r"[.,;:!?…\"'()\-]")


def canonical(text: str) -> str:
    """The battery's comparison: case-insensitive, punctuation removed, whitespace collapsed."""
    return " ".join(_SCORING_PUNCT.sub(" ", text.lower()).split())


def reads_acceptably(case: dict) -> tuple[bool, str]:
    out = normalize(case["input"])
    return canonical(out) in {canonical(e) for e in case["expected_acceptable"]}, out


def test_battery_has_79_cases_with_answers():
    assert len(CASES) == 79
    assert all(c["expected_acceptable"] for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_reads_as_a_listener_expects(case):
    ok, out = reads_acceptably(case)
    if not ok:  # reported, not fatal: the battery total below is the bar
        pytest.xfail(f"{case['input']!r} -> {out!r}; expected e.g. {case['expected_acceptable'][0]!r}")


def test_battery_passes_at_least_76_of_79():
    failures = []
    for case in CASES:
        ok, out = reads_acceptably(case)
        if not ok:
            failures.append(f"{case['id']}: {case['input']!r} -> {out!r}")
    passed = len(CASES) - len(failures)
    assert passed >= REQUIRED, f"{passed}/{len(CASES)} pass; failures:\n" + "\n".join(failures)


def _by_category() -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for case in CASES:
        groups[case["category"]].append(case)
    return groups


@pytest.mark.parametrize("category", sorted(_by_category()))
def test_every_case_of_a_category_passes(category):
    wrong = [(c["id"], out) for c in _by_category()[category] for ok, out in [reads_acceptably(c)] if not ok]
    assert not wrong, wrong
