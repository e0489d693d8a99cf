"""Scripts from templates: every item for every audience, editor overrides, clear template errors."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from broadcast.content import AUDIENCES
from broadcast.errors import ContentError, TemplateError
from broadcast.script import count_syllables, export_templates, make_environment, render_script

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def _all_scripts(env, handbook, station, campaign):
    for audience in AUDIENCES:
        for item in handbook.items:
            yield item, audience, render_script(env, handbook, item, audience, station, campaign)


def test_every_item_for_every_audience_is_a_complete_script_of_one_and_a_half_to_four_minutes(
    handbook, default_env, commune_station, campaign
):
    count = 0
    for item, audience, script in _all_scripts(default_env, handbook, commune_station, campaign):
        text = script.text
        assert commune_station.name in script.section("opening"), (item.id, audience)
        assert item.title in text
        assert any(sign in text for sign in item.warning_signs), (item.id, audience)
        assert any(ch.spoken in text for ch in handbook.channels), (item.id, audience)
        assert item.key_message in text
        syllables = count_syllables(text)
        # 1.5 to 4 minutes both at 150 and at 180 syllables a minute.
        assert 1.5 <= syllables / 180 and syllables / 150 <= 4.0, (item.id, audience, syllables)
        count += 1
    assert count == 24 * 5


def test_audience_variants_differ_in_substance_not_only_the_greeting(handbook, default_env, commune_station, campaign):
    item = handbook.item("khoa-sim")
    bodies = {a: render_script(default_env, handbook, item, a, commune_station, campaign).section("body") for a in AUDIENCES}
    assert len(set(bodies.values())) == len(AUDIENCES)
    for audience in AUDIENCES:
        assert item.examples[audience] in bodies[audience]
    # Older listeners hear the key message twice, and short sentences on average.
    assert bodies["elderly"].count(item.key_message) == 2

    def mean_sentence_words(text):
        sentences = [s for s in re.split(r"[.!?]", text) if s.strip()]
        return sum(len(s.split()) for s in sentences) / len(sentences)

    assert mean_sentence_words(bodies["elderly"]) < mean_sentence_words(bodies["general"]) + 1


def test_script_has_opening_body_and_closing_sections(handbook, default_env, commune_station, campaign):
    script = render_script(default_env, handbook, "khoa-sim", "general", commune_station, campaign)
    assert [s.name for s in script.sections] == ["opening", "body", "closing"]
    assert "113" in script.section("closing")


def test_override_of_the_closing_block_changes_every_closing_and_nothing_else(
    tmp_path, handbook, default_env, commune_station, campaign
):
    (tmp_path / "base.j2").write_text(
        '{% extends "default/base.j2" %}\n{% block signoff %}Ban biên tập xin cảm ơn {{ self.addressee() }}.{% endblock %}\n',
        encoding="utf-8",
    )
    custom = make_environment([tmp_path])
    for audience in AUDIENCES:
        for item in handbook.items[:6]:
            before = render_script(default_env, handbook, item, audience, commune_station, campaign)
            after = render_script(custom, handbook, item, audience, commune_station, campaign)
            assert after.section("opening") == before.section("opening")
            assert after.section("body") == before.section("body")
            assert after.section("closing") != before.section("closing")
            assert after.section("closing").rsplit("\n\n", 1)[-1].startswith("Ban biên tập xin cảm ơn")
            assert after.section("closing").rsplit("\n\n", 1)[0] == before.section("closing").rsplit("\n\n", 1)[0]


@pytest.mark.parametrize("item_id,audience", [("khoa-sim", "general"), ("gia-danh-cong-an-vks-toa-an", "elderly"),
                                              ("chuyen-nham-tien", "farmers"), ("tuyen-ctv-online", "workers"),
                                              ("deepfake-video-call", "officials"), ("bien-lai-gia", "elderly"),
                                              ("cai-cam-ung-dung", "elderly")])
def test_rendered_script_matches_its_reviewed_golden_file(item_id, audience, handbook, default_env, commune_station, campaign):
    text = render_script(default_env, handbook, item_id, audience, commune_station, campaign).text + "\n"
    golden = GOLDEN / f"{item_id}.{audience}.txt"
    if UPDATE or not golden.exists():
        golden.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden file {golden.name} was missing and has been written: review and commit it")
    assert text == golden.read_text(encoding="utf-8")


def test_template_error_names_the_template_file_and_line(tmp_path, handbook, commune_station, campaign):
    (tmp_path / "general.j2").write_text('{% extends "base.j2" %}\n{% block hook %}\n{{ item.hoook }}\n{% endblock %}\n'
                                         '{% block intro %}\n\n{{ item.titel }}\n{% endblock %}\n', encoding="utf-8")
    with pytest.raises(TemplateError) as err:
        render_script(make_environment([tmp_path]), handbook, "khoa-sim", "general", commune_station, campaign)
    assert f"{tmp_path / 'general.j2'}:7:" in str(err.value)
    assert "titel" in str(err.value)


def test_template_syntax_error_names_the_file_and_line(tmp_path, handbook, commune_station, campaign):
    (tmp_path / "farmers.j2").write_text('{% extends "base.j2" %}\n{% block intro %}\n{% if %}\n{% endblock %}\n', encoding="utf-8")
    with pytest.raises(TemplateError) as err:
        render_script(make_environment([tmp_path]), handbook, "khoa-sim", "farmers", commune_station, campaign)
    assert "farmers.j2:3:" in str(err.value) and "syntax" in str(err.value)


def test_missing_template_lists_the_folders_searched(tmp_path, handbook, commune_station, campaign):
    (tmp_path / "workers.j2").write_text('{% extends "nothere.j2" %}\n', encoding="utf-8")
    with pytest.raises(TemplateError) as err:
        render_script(make_environment([tmp_path]), handbook, "khoa-sim", "workers", commune_station, campaign)
    assert "nothere.j2" in str(err.value) and str(tmp_path) in str(err.value) and "templates" in str(err.value)


def test_unknown_audience_lists_the_valid_ones(handbook, default_env, commune_station, campaign):
    with pytest.raises(ContentError, match="general, elderly, farmers, workers, officials"):
        render_script(default_env, handbook, "khoa-sim", "kids", commune_station, campaign)


def test_exported_templates_render_the_same_scripts(tmp_path, handbook, default_env, commune_station, campaign):
    written = export_templates(tmp_path)
    assert {p.name for p in written} >= {"base.j2", *(f"{a}.j2" for a in AUDIENCES)}
    exported = make_environment([tmp_path])
    a = render_script(default_env, handbook, "khoa-sim", "elderly", commune_station, campaign)
    b = render_script(exported, handbook, "khoa-sim", "elderly", commune_station, campaign)
    assert a.text == b.text and str(tmp_path) in b.template


def test_exported_regions_file_is_a_working_override(tmp_path, handbook, commune_station, campaign):
    from broadcast.regions import load_regions

    export_templates(tmp_path)
    exported = tmp_path / "regions.yaml"
    exported.write_text(exported.read_text(encoding="utf-8").replace(
        '"Kính thưa quý ông bà cao tuổi {locality}!"', '"Thưa quý ông bà {locality}!"'), encoding="utf-8")
    env = make_environment()
    env.globals["regions"] = load_regions([exported])
    script = render_script(env, handbook, "khoa-sim", "elderly", commune_station, campaign)
    assert script.text.startswith(f"Thưa quý ông bà {commune_station.locality}!")
