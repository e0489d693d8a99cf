"""Issue 10's "Must show" figures over all 24 items x 5 audiences at a southern and a northern commune station.

    .venv/bin/python scripts/script_figures.py [schedule.yaml]

Prints: words reaching the voice that are not Vietnamese syllables; sentences calling the elderly,
workers or officials "bà con"; sentences over 30 and at most 25 syllables; "thôn" in the south and
"ấp" in the north; the mean pairwise similarity (difflib ratio over words) of one item's five scripts.
The same measures are asserted in tests/test_lint.py.
"""

from __future__ import annotations

import difflib
import itertools
import statistics
import sys
from pathlib import Path

from broadcast.content import AUDIENCES
from broadcast.lint import MAX_SYLLABLES, WARN_SYLLABLES, _spoken, contains, is_vietnamese_syllable, sentences
from broadcast.project import open_project
from broadcast.script import StationInfo, render_script

SOUTH = StationInfo("Đài truyền thanh xã Bảo Quang", "commune", "xã Bảo Quang, thành phố Long Khánh", "south")
NORTH = StationInfo("Đài truyền thanh xã Tân Lập", "commune", "xã Tân Lập, huyện Đan Phượng", "north")


def main(schedule: str) -> None:
    project = open_project(Path(schedule))
    scripts = {(st.region, item.id, a): render_script(project.env, project.handbook, item, a, st, project.campaign).text
               for st in (SOUTH, NORTH) for item in project.handbook.items for a in AUDIENCES}
    split = {k: sentences(t) for k, t in scripts.items()}
    foreign = [w for ss in split.values() for s in ss for w in _spoken(s, project.lexicon) if not is_vietnamese_syllable(w)]
    ba_con = [s for k, ss in split.items() if k[2] in ("elderly", "workers", "officials") for s in ss if contains(s, "bà con")]
    lengths = [len(_spoken(s, project.lexicon)) for ss in split.values() for s in ss]
    sims = {region: statistics.mean(
        difflib.SequenceMatcher(None, scripts[(region, i.id, a)].split(), scripts[(region, i.id, b)].split(),
                                autojunk=False).ratio()
        for i in project.handbook.items for a, b in itertools.combinations(AUDIENCES, 2)) for region in ("south", "north")}
    print(f"scripts: {len(scripts)} ({len(project.handbook.items)} items x {len(AUDIENCES)} audiences x 2 stations)")
    print(f"non-Vietnamese words reaching the voice: {len(foreign)} {sorted(set(foreign))}")
    print(f"sentences calling elderly/workers/officials 'bà con': {len(ba_con)}")
    print(f"sentences: {len(lengths)}; over {MAX_SYLLABLES} syllables: {sum(n > MAX_SYLLABLES for n in lengths)}; "
          f"at most {WARN_SYLLABLES}: {sum(n <= WARN_SYLLABLES for n in lengths) / len(lengths):.1%}; longest {max(lengths)}")
    print(f"'thôn' in southern scripts: {sum(contains(t, 'thôn') for k, t in scripts.items() if k[0] == 'south')}; "
          f"'ấp' in northern scripts: {sum(contains(t, 'ấp') for k, t in scripts.items() if k[0] == 'north')}")
    print(f"mean pairwise similarity of one item's five scripts: south {sims['south']:.3f}, north {sims['north']:.3f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "schedule.yaml")
