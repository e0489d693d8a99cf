"""A default build airs none of the handbook's unconfirmed facts: checked over what a real build publishes.

The shipped schedule.yaml (its `facts:` decision, voice, audio and campaign) with one district station
whose single session carries every item an unconfirmed fact belongs to, voiced offline with espeak.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from broadcast.lint import unconfirmed_fact_uses
from broadcast.project import open_project
from broadcast.publish import BuildOptions, build
from broadcast.speech import normalize

ROOT = Path(__file__).parent.parent
STATIONS = """
levels:
  district:
    slots: [{time: "05:30", max_minutes: 60}]
    items_per_session: 4
rotation: {min_airings: 0, min_gap_days: 0, stagger: false, priority_weight: 10, priority_items: [%s]}
stations:
  - id: tan-phu
    name: "Đài Truyền thanh huyện Tân Phú"
    level: district
    locality: "huyện Tân Phú"
    audiences: {general: 1}
"""


@pytest.fixture(scope="module")
def default_build(tmp_path_factory):
    """(project, published folder, its manifest) of a default build of the shipped schedule, one station, one day."""
    shipped = (ROOT / "schedule.yaml").read_text(encoding="utf-8")
    assert re.search(r"(?m)^  air_unconfirmed: false\b", shipped)  # the shipped file decides, explicitly
    with_items = sorted({u.fact.item for u in unconfirmed_fact_uses(open_project(ROOT / "schedule.yaml")) if u.fact.item})
    text = re.sub(r"(?m)^  end: \S+", "  end: 2023-07-01", shipped)
    text = re.sub(r"(?m)^  engine: \w+", "  engine: espeak", text)
    text = re.sub(r"(?s)\nlevels:.*", STATIONS % ", ".join(with_items), text)
    folder = tmp_path_factory.mktemp("default-build")
    (folder / "schedule.yaml").write_text(text, encoding="utf-8")
    project = open_project(folder / "schedule.yaml")
    build(project, BuildOptions())
    out = folder / "audio_out"
    return project, out, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_a_default_build_publishes_none_of_the_unconfirmed_facts(default_build):
    project, out, manifest = default_build
    uses = unconfirmed_fact_uses(project)
    assert len(uses) >= 4 and not any(u.airs for u in uses)
    programmes = manifest["programmes"]
    aired_items = {item for prog in programmes for item in prog["items"]}
    scripts = [out / f for f in manifest["files"] if f.endswith(".txt")]
    published = "\n".join(p.read_text(encoding="utf-8") for p in scripts)
    release = json.loads(next((out / "releases").glob("*.json")).read_text(encoding="utf-8"))
    voiced = "\n".join(release["texts"].values())  # what the voice was given, segment by segment
    assert scripts and voiced.strip()
    for use in uses:
        fact = use.fact
        # The session airs every item the fact belongs to, and those items' own text does say it...
        assert set(use.items) <= aired_items or fact.item is None, fact.id
        item_texts = [" ".join([i.hook, *i.how_it_works, *i.warning_signs, *i.what_to_do, i.key_message])
                      for i in project.handbook.items if i.id in use.items]
        channel_texts = [c.spoken for c in project.handbook.channels]
        assert any(fact.says in t for t in item_texts + channel_texts), fact.id
        # ...yet neither the published script nor the voiced text carries it.
        assert fact.says not in published, fact.id
        assert fact.says not in voiced and normalize(fact.says, project.lexicon) not in voiced, fact.id
    assert unicodedata.is_normalized("NFC", published)


def test_check_on_the_shipped_schedule_names_each_unconfirmed_fact_where_its_words_are_written():
    from typer.testing import CliRunner

    from broadcast.cli import app
    from broadcast.content import packaged_handbook_text

    result = CliRunner().invoke(app, ["check", "--config", str(ROOT / "schedule.yaml")])
    assert result.exit_code == 0, result.output
    lines = packaged_handbook_text().splitlines()
    project = open_project(ROOT / "schedule.yaml")
    for use in unconfirmed_fact_uses(project):
        found = re.search(rf"^handbook\.yaml \(packaged\):(\d+): unconfirmed fact '{use.fact.id}'.*left out of the build",
                          result.output, re.MULTILINE)
        assert found, use.fact.id
        assert use.fact.says in lines[int(found[1]) - 1], use.fact.id  # the line really holds the fact's words
