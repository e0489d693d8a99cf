"""The handbook as data: 24 forms, validated on load, extendable by editors."""

from __future__ import annotations

import unicodedata

import pytest

from broadcast.content import AUDIENCES, load_handbook
from broadcast.errors import ContentError

HANDBOOK_IDS = [
    "combo-du-lich", "deepfake-video-call", "khoa-sim", "bien-lai-gia", "gia-danh-giao-vien-y-te",
    "tuyen-nguoi-mau-nhi", "gia-danh-cong-ty-tai-chinh", "cai-cam-ung-dung", "gia-mao-trang-web-co-quan",
    "sms-brandname-gia", "dau-tu-tien-ao-da-cap", "tuyen-ctv-online", "chiem-tai-khoan-mxh",
    "gia-danh-cong-an-vks-toa-an", "hang-gia-san-tmdt", "danh-cap-cccd-vay-no", "chuyen-nham-tien",
    "dich-vu-lay-lai-tien", "danh-cap-telegram-otp", "tin-gia-flashai", "dich-vu-lay-lai-facebook",
    "rai-link-phishing-seeding", "cho-so-de", "bay-tinh-cam-buu-kien-trung-thuong",
]


def test_handbook_has_the_24_forms_in_handbook_order(handbook):
    assert [it.id for it in handbook.items] == HANDBOOK_IDS
    assert [it.number for it in handbook.items] == list(range(1, 25))


def test_every_group_has_items_and_a_title(handbook):
    assert [g.id for g in handbook.groups] == [1, 2, 3]
    for group in handbook.groups:
        assert group.title and group.intro
        assert any(it.group == group.id for it in handbook.items)


def test_every_text_is_nfc_and_not_empty(handbook):
    texts = [handbook.title, handbook.publisher, *handbook.after_scam_steps]
    for it in handbook.items:
        texts += [it.title, it.hook, it.key_message, *it.how_it_works, *it.warning_signs, *it.what_to_do]
        texts += list(it.examples.values())
        assert set(it.examples) == set(AUDIENCES), it.id
    for ch in handbook.channels:
        texts += [ch.name, ch.number, ch.spoken]
    for text in texts:
        assert text.strip() and unicodedata.is_normalized("NFC", text)


def test_reporting_channels_cover_police_156_5656_and_the_portal(handbook):
    numbers = {ch.number for ch in handbook.channels}
    assert {"113", "156", "5656"} <= numbers
    assert any("khonggianmang.vn" in ch.number for ch in handbook.channels)


def test_editor_file_replaces_an_item_and_adds_a_new_one(tmp_path, handbook):
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        """
items:
  - id: khoa-sim
    number: 3
    group: 1
    title: "Lừa đảo khóa SIM, bản sửa"
    hook: "Câu mở đầu mới."
    how_it_works: ["Kẻ gian gọi điện."]
    warning_signs: ["Số lạ."]
    what_to_do: ["Cúp máy."]
    key_message: "Không đọc mã OTP."
    points: {elderly: {how_it_works: [1], warning_signs: [1], what_to_do: [1]}}
    examples: {general: "Một ví dụ."}
  - id: vay-tien-qua-app
    number: 25
    group: 3
    title: "Vay tiền qua ứng dụng lạ"
    hook: "Mới."
    how_it_works: ["A."]
    warning_signs: ["B."]
    what_to_do: ["C."]
    key_message: "D."
    points: {elderly: {how_it_works: [1], warning_signs: [1], what_to_do: [1]}}
    examples: {general: "E.", elderly: "F."}
""",
        encoding="utf-8",
    )
    merged = load_handbook([extra])
    assert len(merged.items) == 25
    assert merged.item("khoa-sim").title == "Lừa đảo khóa SIM, bản sửa"
    assert merged.item("vay-tien-qua-app").example("farmers") == "E."  # falls back to general
    assert merged.item("combo-du-lich") == handbook.item("combo-du-lich")


def test_an_item_that_does_not_say_which_points_the_elderly_hear_is_refused(tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "items:\n"
        "  - id: vay-tien-qua-app\n"
        "    number: 25\n"
        "    group: 3\n"
        "    title: T\n"
        "    hook: H\n"
        "    how_it_works: [A, B, C]\n"
        "    warning_signs: [S]\n"
        "    what_to_do: [W]\n"
        "    key_message: K\n"
        "    points: {elderly: {how_it_works: [1, 4], warning_signs: [1]}}\n"  # line 11
        "    examples: {general: E}\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as err:
        load_handbook([extra])
    lines = str(err.value).splitlines()
    assert f"{extra}:11: items[0].points.elderly.how_it_works[1]: 4 is out of range (from 1 to 3)" in lines
    assert f"{extra}:11: items[0].points.elderly.what_to_do: missing (this key is required)" in lines
    extra.write_text(extra.read_text(encoding="utf-8").replace(
        "    points: {elderly: {how_it_works: [1, 4], warning_signs: [1]}}\n", ""), encoding="utf-8")
    with pytest.raises(ContentError, match=r"extra.yaml:2: items\[0\]\.points\.elderly: missing \(this key is required\)"):
        load_handbook([extra])


def test_every_packaged_item_says_which_of_its_points_the_elderly_hear(handbook):
    for item in handbook.items:
        chosen = item.points_for["elderly"]
        assert set(chosen) == {"how_it_works", "warning_signs", "what_to_do"}, item.id
        for field_name, indexes in chosen.items():
            assert item.points("elderly", field_name) == tuple(getattr(item, field_name)[i] for i in indexes)


def test_broken_editor_yaml_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("items:\n  - id: x\n    title: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_handbook([bad])
    assert f"{bad}:" in str(err.value) and "YAML syntax error" in str(err.value)


def test_every_problem_of_an_editor_item_is_reported_with_its_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "items:\n"
        "  - id: Bad Id\n"          # line 2
        "    number: 30\n"
        "    group: 7\n"            # line 4
        "    title: ''\n"           # line 5
        "    hook: ok\n"
        "    how_it_works: []\n"    # line 7
        "    warning_signs: [a]\n"
        "    what_to_do: [b]\n"
        "    key_message: c\n"
        "    examples: {general: d, kids: e}\n"  # line 11
        "    tittle: x\n",          # line 12
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as err:
        load_handbook([bad])
    message = str(err.value)
    for expected in (":2: items[0].id:", ":4: items[0].group:", ":5: items[0].title:", ":7: items[0].how_it_works:",
                     ":11: items[0].examples.kids: unknown key 'kids'",
                     ":12: items[0].tittle: unknown key 'tittle' (did you mean 'title'?)"):
        assert expected in message


def test_text_that_is_not_nfc_is_refused(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Lừa đảo")
    bad = tmp_path / "nfd.yaml"
    bad.write_text(f"title: \"{decomposed}\"\n", encoding="utf-8")
    with pytest.raises(ContentError, match="NFC"):
        load_handbook([bad])


def test_unknown_item_suggests_the_closest_id(handbook):
    with pytest.raises(ContentError, match="did you mean 'khoa-sim'"):
        handbook.item("khoa-sin")
