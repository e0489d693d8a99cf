"""Airable scripts: each audience addressed as itself, each station in its region's words, facts with a status.

The figures run over every item x audience at a southern and a northern commune station, as the linter
that `broadcast check` and every build run; editors' overrides are read like the packaged files.
"""

from __future__ import annotations

import difflib
import itertools
import re
import statistics
from pathlib import Path

import pytest
from typer.testing import CliRunner

from broadcast.cli import app
from broadcast.content import AUDIENCES
from broadcast.lint import (
    MAX_SYLLABLES, WARN_SYLLABLES, _spoken, contains, is_vietnamese_syllable, lint_project, sentences,
    unconfirmed_fact_uses,
)
from broadcast.project import open_project
from broadcast.script import StationInfo, render_script

ROOT = Path(__file__).parent.parent
SOUTH = StationInfo("Đài truyền thanh xã Bảo Quang", "commune", "xã Bảo Quang, thành phố Long Khánh", "south")
NORTH = StationInfo("Đài truyền thanh xã Tân Lập", "commune", "xã Tân Lập, huyện Đan Phượng", "north")
runner = CliRunner()


@pytest.fixture(scope="module")
def project():
    return open_project(ROOT / "schedule.yaml")


@pytest.fixture(scope="module")
def scripts(project):
    """(station, item, audience) -> script text for all 24 items x 5 audiences at both stations."""
    return {(st.region, item.id, a): render_script(project.env, project.handbook, item, a, st, project.campaign).text
            for st in (SOUTH, NORTH) for item in project.handbook.items for a in AUDIENCES}


def test_the_voice_gets_only_vietnamese_syllables_in_all_240_scripts(project, scripts):
    foreign = {w for text in scripts.values() for s in sentences(text) for w in _spoken(s, project.lexicon)
               if not is_vietnamese_syllable(w)}
    assert foreign == set()
    assert len(scripts) == 24 * 5 * 2


def test_elderly_workers_and_officials_are_never_addressed_as_ba_con(scripts):
    found = [(k, s) for k, text in scripts.items() if k[2] in ("elderly", "workers", "officials")
             for s in sentences(text) if contains(s, "bà con")]
    assert found == []


def test_no_sentence_is_over_30_syllables_and_95_percent_are_at_most_25(project, scripts):
    lengths = [len(_spoken(s, project.lexicon)) for text in scripts.values() for s in sentences(text)]
    assert max(lengths) <= MAX_SYLLABLES
    assert sum(n <= WARN_SYLLABLES for n in lengths) / len(lengths) >= 0.95


def test_southern_scripts_never_say_thon_and_northern_never_ap(scripts):
    assert not [k for k, t in scripts.items() if k[0] == "south" and contains(t, "thôn")]
    assert not [k for k, t in scripts.items() if k[0] == "north" and contains(t, "ấp")]
    # ...and each says its own hamlet word where one is needed.
    assert contains(scripts[("south", "tin-gia-flashai", "farmers")], "ấp")
    assert contains(scripts[("north", "tin-gia-flashai", "farmers")], "thôn")


def test_the_greeting_names_the_locality_for_elderly_and_farmers_in_the_regions_words(scripts):
    assert scripts[("south", "khoa-sim", "elderly")].startswith("Kính thưa quý ông bà cao tuổi xã Bảo Quang")
    assert scripts[("north", "khoa-sim", "elderly")].startswith("Kính thưa các cụ cao tuổi xã Tân Lập")
    assert scripts[("south", "khoa-sim", "farmers")].startswith("Kính thưa bà con nông dân xã Bảo Quang")
    assert "các cụ" not in scripts[("south", "khoa-sim", "elderly")]


def test_the_five_audiences_of_one_item_differ_in_substance(scripts):
    """Mean pairwise similarity of whole scripts (difflib ratio over words) at most 0.70."""
    sims = [difflib.SequenceMatcher(None, scripts[("south", i, a)].split(), scripts[("south", i, b)].split(),
                                    autojunk=False).ratio()
            for i in {k[1] for k in scripts} for a, b in itertools.combinations(AUDIENCES, 2)]
    assert statistics.mean(sims) <= 0.70


def test_the_key_message_is_never_said_twice_in_a_row_and_comes_back_at_the_end(project, scripts):
    for (region, item_id, audience), text in scripts.items():
        key = project.handbook.item(item_id).key_message
        spoken = [" ".join(_spoken(s, project.lexicon)) for s in sentences(text)]
        assert all(a != b for a, b in zip(spoken, spoken[1:])), (item_id, audience)
        body_end = text.split("\n\n")
        assert any(key in p for p in body_end[-6:]), (item_id, audience)


def test_the_opening_introduces_the_ministrys_campaign_and_the_handbook_and_the_provinces_window(scripts):
    opening = scripts[("south", "khoa-sim", "general")].split("\n\n")[0]
    assert "Bộ Thông tin và Truyền thông phát động" in opening
    assert "cẩm nang của Cục An toàn thông tin" in opening
    assert "Tỉnh Đồng Nai triển khai đến hết ngày 20/7/2023." in opening
    assert "từ ngày 1/7" not in opening and "hình thức thứ" not in scripts[("south", "khoa-sim", "general")]


def test_elderly_hear_the_points_their_example_turns_on_with_otp_explained(project, scripts):
    item = project.handbook.item("chuyen-nham-tien")
    text = scripts[("south", item.id, "elderly")]
    assert "đường link hoàn tiền" in item.examples["elderly"]
    assert item.how_it_works[2] in text  # the refund link its example is about
    otp = scripts[("south", "khoa-sim", "elderly")]
    assert "Mã OTP là mã số ngân hàng gửi qua tin nhắn" in otp
    assert otp.count("Mã OTP là") == 1


@pytest.mark.parametrize("item_id,mechanism", [
    ("cai-cam-ung-dung", "giả ứng dụng nhà nước"), ("bien-lai-gia", "nhờ đổi tiền mặt"),
    ("chuyen-nham-tien", "đường link hoàn tiền"), ("bay-tinh-cam-buu-kien-trung-thuong", "báo trúng xe máy"),
    ("gia-danh-cong-an-vks-toa-an", "lệnh bắt giả"),
])
def test_elderly_hear_the_mechanism_their_example_is_about_not_the_first_two_points(project, scripts, item_id, mechanism):
    item = project.handbook.item(item_id)
    said = [p for field in ("how_it_works", "warning_signs", "what_to_do") for p in getattr(item, field) if mechanism in p]
    assert said and all(p in scripts[(region, item_id, "elderly")] for p in said for region in ("south", "north"))


def test_the_fake_vneid_app_is_among_the_elderlys_points_but_airs_only_once_confirmed(project, scripts):
    item = project.handbook.item("gia-danh-cong-an-vks-toa-an")
    vneid = next(p for p in item.how_it_works if "VNeID" in p)
    assert vneid in item.points("elderly", "how_it_works")
    assert "VNeID" not in scripts[("south", item.id, "elderly")]  # an unconfirmed fact: left out by default
    env = project.env.overlay()
    env.globals = {**project.env.globals, "air_unconfirmed": True}
    assert vneid in render_script(env, project.handbook, item, "elderly", SOUTH, project.campaign).text


def test_stock_sentences_appear_only_where_the_item_declares_them(scripts):
    harvest = "Tiền bán nông sản là mồ hôi"
    assert harvest not in scripts[("south", "tin-gia-flashai", "farmers")]
    assert harvest in scripts[("south", "khoa-sim", "farmers")]
    leader = "mạo danh lãnh đạo hoặc cơ quan cấp trên"
    assert leader not in scripts[("south", "tin-gia-flashai", "officials")]
    assert leader in scripts[("south", "chiem-tai-khoan-mxh", "officials")]


def test_vietnamese_syllable_shapes():
    for word in ("chát", "nghiêng", "người", "oép", "cờ", "líp", "khuya"):
        assert is_vietnamese_syllable(word), word
    for word in ("chat", "web", "clip", "flashai", "zalo", "facebook"):
        assert not is_vietnamese_syllable(word), word


def test_shipped_schedule_check_lists_every_unconfirmed_fact_with_file_and_line_and_airs_none(project, scripts):
    result = runner.invoke(app, ["check", "--config", str(ROOT / "schedule.yaml")])
    assert result.exit_code == 0, result.output
    unconfirmed = [f for f in project.handbook.facts if f.unconfirmed]
    assert len(unconfirmed) >= 4
    for fact in unconfirmed:
        line = next(l for l in result.output.splitlines() if f"'{fact.id}'" in l)
        assert re.match(r"^handbook\.yaml \(packaged\):\d+: unconfirmed fact", line), line
        assert "left out of the build" in line
        assert not [k for k, t in scripts.items() if fact.says in t], fact.id
    assert "facts: " in result.output and "none aired" in result.output


def _editor_project(tmp_path, extra=""):
    text = (ROOT / "schedule.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?s)\nstations:.*", "\nstations:\n" + """  - id: xa-a
    name: "Đài truyền thanh xã Bảo Quang"
    level: district
    locality: "xã Bảo Quang, thành phố Long Khánh"
    audiences: {officials: 1, farmers: 1}
    region: south
""", text)
    (tmp_path / "schedule.yaml").write_text(text + extra, encoding="utf-8")
    return tmp_path / "schedule.yaml"


def test_an_override_reintroducing_ba_con_in_the_officials_template_is_reported_at_its_file_and_line(tmp_path):
    config = _editor_project(tmp_path)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "officials.j2").write_text(
        '{% extends "default/officials.j2" %}\n{% block remember %}\n'
        'Bà con nhớ kỹ: {{ item.key_message }}\n{% endblock %}\n', encoding="utf-8")
    result = runner.invoke(app, ["check", "--config", str(config)])
    assert result.exit_code == 2
    override = str(tmp_path / "templates" / "officials.j2")
    assert f"{override}:3: 'bà con' does not address the officials audience" in result.output
    assert "Traceback" not in result.output


def test_an_editor_confirms_a_fact_in_their_own_content_file_and_it_airs(tmp_path):
    config = _editor_project(tmp_path)
    (tmp_path / "mine.yaml").write_text(
        "facts:\n  - id: warning-portal-address\n    says: \"canhbao.khonggianmang.vn\"\n    status: confirmed\n"
        "    check: \"đã đối chiếu trang của Cục\"\n", encoding="utf-8")
    text = config.read_text(encoding="utf-8").replace("content: []", "content: [mine.yaml]")
    config.write_text(text, encoding="utf-8")
    project = open_project(config)
    assert "warning-portal-address" not in [u.fact.id for u in unconfirmed_fact_uses(project)]
    script = render_script(project.env, project.handbook, "khoa-sim", "officials", SOUTH, project.campaign)
    assert "canhbao.khonggianmang.vn" in script.text


def test_schedule_air_unconfirmed_true_airs_them_and_the_linter_warns(tmp_path):
    config = _editor_project(tmp_path)
    config.write_text(config.read_text(encoding="utf-8").replace("air_unconfirmed: false", "air_unconfirmed: true"),
                      encoding="utf-8")
    project = open_project(config)
    script = render_script(project.env, project.handbook, "khoa-sim", "officials", SOUTH, project.campaign)
    assert "canhbao.khonggianmang.vn" in script.text
    findings = lint_project(project)
    assert any("unconfirmed fact 'warning-portal-address' airs" in f.message and f.level == "warning" for f in findings)
    assert all(u.airs for u in unconfirmed_fact_uses(project))


def test_a_regions_override_changes_the_greeting_and_a_bad_one_names_file_and_line(tmp_path):
    config = _editor_project(tmp_path)
    (tmp_path / "vung.yaml").write_text(
        'audiences:\n  farmers:\n    greeting: "Thưa bà con nông dân {locality} thân mến!"\n', encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8").replace("regions: []", "regions: [vung.yaml]"), encoding="utf-8")
    project = open_project(config)
    script = render_script(project.env, project.handbook, "khoa-sim", "farmers", SOUTH, project.campaign)
    assert script.text.startswith("Thưa bà con nông dân xã Bảo Quang, thành phố Long Khánh thân mến!")
    (tmp_path / "vung.yaml").write_text('audiences:\n  farmer:\n    greeting: "x"\n', encoding="utf-8")
    result = runner.invoke(app, ["check", "--config", str(config)])
    assert result.exit_code == 2
    assert re.search(r"vung\.yaml:[23]: audiences\.farmer: unknown key 'farmer' \(did you mean 'farmers'\?\)",
                     result.output), result.output


def test_the_linter_reports_long_sentences_and_back_to_back_repetition_at_the_template_line(tmp_path):
    config = _editor_project(tmp_path)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "farmers.j2").write_text(
        '{% extends "default/farmers.j2" %}\n{% block remember %}\n'
        'Bà con nhớ kỹ: {{ item.key_message }}\nXin nhắc lại: {{ item.key_message }}\n'
        'Bà con hãy nhớ rằng kẻ gian rất nhiều mánh khóe, chúng gọi điện, nhắn tin, lập nhóm, dựng trang giả, '
        'giả làm cán bộ, giả làm người thân để lừa lấy tiền của mọi nhà.\n{% endblock %}\n', encoding="utf-8")
    project = open_project(config)
    findings = lint_project(project)
    override = str(tmp_path / "templates" / "farmers.j2")
    long = [f for f in findings if "syllables" in f.message]
    assert long and all(f.file == override and f.line == 5 and f.level == "error" for f in long)
    twice = [f for f in findings if "twice in a row" in f.message]  # "Bà con nhớ kỹ: X" then "Xin nhắc lại: X"
    assert twice and all(f.file == override and f.line == 4 for f in twice)
    result = runner.invoke(app, ["check", "--config", str(config)])
    assert result.exit_code == 2 and f"{override}:5:" in result.output
