"""One YAML reader: the same mistake is worded the same in every file the project reads.

Content, lexicon, region words, schedule and bulletins each get an unknown key one letter off a real one
and a number where a text belongs; every message names file:line: field and reads alike.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from broadcast.bulletins import load_bulletins
from broadcast.config import load_schedule
from broadcast.content import load_handbook
from broadcast.errors import InputError
from broadcast.regions import load_regions
from broadcast.speech.lexicon import load_lexicon

ROOT = Path(__file__).parent.parent
NEAR_MISS = re.compile(r"^(?P<file>.+):(?P<line>\d+): (?P<field>\S+): unknown key '(?P<key>[^']+)' \(did you mean '(?P<hint>[^']+)'\?\)$")
NOT_A_TEXT = re.compile(r"^(?P<file>.+):(?P<line>\d+): (?P<field>\S+): must be a text, not a number 5 \(put it in quotes\)$")


def _content(tmp_path):
    path = tmp_path / "content.yaml"
    path.write_text('title: 5\npublsher: "Cục An toàn thông tin"\n', encoding="utf-8")
    load_handbook([path])


def _lexicon(tmp_path):
    path = tmp_path / "lexicon.yaml"
    path.write_text("words:\n  zalo: 5\nwrods: {}\n", encoding="utf-8")
    load_lexicon([path])


def _regions(tmp_path):
    path = tmp_path / "regions.yaml"
    path.write_text("words:\n  village: 5\naudiences:\n  eldery: {}\n", encoding="utf-8")
    load_regions([path])


def _shipped_schedule(tmp_path) -> Path:
    path = tmp_path / "schedule.yaml"
    path.write_text((ROOT / "schedule.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def _schedule(tmp_path):
    path = _shipped_schedule(tmp_path)
    text = path.read_text(encoding="utf-8").replace('  province: "Đồng Nai"', '  province: 5\n  organiser: "Sở"', 1)
    path.write_text(text, encoding="utf-8")
    load_schedule(path)


def _bulletins(tmp_path):
    schedule = load_schedule(_shipped_schedule(tmp_path))
    (tmp_path / "bulletins.yaml").write_text(
        "bulletins:\n  - id: mua-lu\n    title: 5\n    text: Tin khẩn.\n    level: normal\n    titel: x\n", encoding="utf-8")
    load_bulletins(schedule)


FILES = {"content": (_content, ("title", "publsher", "publisher")),
         "lexicon": (_lexicon, ("words.zalo", "wrods", "words")),
         "regions": (_regions, ("words.village", "audiences.eldery", "elderly")),
         "schedule": (_schedule, ("campaign.province", "campaign.organiser", "organizer")),
         "bulletins": (_bulletins, ("bulletins[0].title", "bulletins[0].titel", "title"))}


@pytest.mark.parametrize("kind", FILES)
def test_the_same_mistakes_read_the_same_in_every_yaml_file(tmp_path, kind):
    load, (text_field, unknown_field, hint) = FILES[kind]
    with pytest.raises(InputError) as err:
        load(tmp_path)
    lines = str(err.value).splitlines()
    near = [m for m in map(NEAR_MISS.match, lines) if m]
    wrong = [m for m in map(NOT_A_TEXT.match, lines) if m]
    assert [(m["field"], m["key"], m["hint"]) for m in near] == [(unknown_field, unknown_field.rsplit(".", 1)[-1], hint)], lines
    assert [m["field"] for m in wrong] == [text_field], lines
    for m in near + wrong:
        assert Path(m["file"]).name == f"{kind}.yaml"
        source = Path(m["file"]).read_text(encoding="utf-8").splitlines()
        assert m["field"].rsplit(".", 1)[-1].split("[")[0] in source[int(m["line"]) - 1]  # the line holds the field
