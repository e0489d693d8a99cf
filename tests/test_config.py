"""schedule.yaml: the shipped campaign loads into typed models; every mistake is reported at once with file:line."""

from __future__ import annotations

import datetime as dt
import pickle
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from broadcast.config import AUDIENCES, ENGINES, REGIONS, Schedule, is_safe_id, load_schedule
from broadcast.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED = PROJECT_ROOT / "schedule.yaml"
DISTRICTS = {
    "Biên Hòa": "thành phố", "Long Khánh": "thành phố", "Tân Phú": "huyện", "Vĩnh Cửu": "huyện", "Định Quán": "huyện",
    "Trảng Bom": "huyện", "Thống Nhất": "huyện", "Cẩm Mỹ": "huyện", "Long Thành": "huyện", "Xuân Lộc": "huyện",
    "Nhơn Trạch": "huyện",
}
LOCATED = re.compile(r"^.*schedule\.yaml:\d+: ")


def minimal() -> dict:
    """The smallest valid schedule, as data."""
    return {
        "campaign": {"name": "Chiến dịch thử", "province": "Đồng Nai", "start": dt.date(2023, 7, 1), "end": dt.date(2023, 7, 3)},
        "levels": {"commune": {"slots": [{"time": "05:30", "max_minutes": 15}], "items_per_session": 1},
                   "district": {"slots": [{"time": "05:30", "max_minutes": 15}], "items_per_session": 1}},
        "stations": [
            {"id": "huyen", "name": "Đài huyện", "level": "district", "locality": "huyện A"},
            {"id": "xa", "name": "Đài xã", "level": "commune", "district": "huyen", "locality": "xã B"},
        ],
    }


def write(folder: Path, data: dict | str) -> Path:
    path = folder / "schedule.yaml"
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, **kwargs) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_schedule(path, **kwargs)
    lines = str(info.value).splitlines()
    assert lines and all(LOCATED.match(line) for line in lines), lines
    assert info.value.exit_code == 2
    return lines


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


@pytest.fixture(scope="module")
def shipped(handbook) -> Schedule:
    return load_schedule(SHIPPED, known_items=handbook.item_ids)


def test_shipped_campaign_runs_in_dong_nai_from_first_to_twentieth_july(shipped):
    c = shipped.campaign
    assert (c.province, c.start, c.end) == ("Đồng Nai", dt.date(2023, 7, 1), dt.date(2023, 7, 20))
    assert len(shipped.days()) == 20 and shipped.days()[-1] == dt.date(2023, 7, 20)


def test_shipped_stations_are_the_eleven_districts_with_two_communes_each(shipped):
    districts = [s for s in shipped.stations if s.level == "district"]
    assert len(districts) == 11 and len(shipped.stations) == 33
    for name, kind in DISTRICTS.items():
        station = next(s for s in districts if s.locality == f"{kind} {name}")
        communes = [s for s in shipped.stations if s.district == station.id]
        assert len(communes) == 2 and all(s.level == "commune" and name in s.locality for s in communes)


def test_shipped_stations_speak_southern_to_a_fitting_audience_mix(shipped):
    for st in shipped.stations:
        mix = dict(st.audiences)
        assert st.region == "south" and {"general", "elderly"} <= set(mix)
        assert unicodedata.is_normalized("NFC", st.name + st.locality)
    workers = {s.id for s in shipped.stations if dict(s.audiences).get("workers", 0) >= 2}
    assert {"bien-hoa-long-binh", "long-thanh-an-phuoc", "nhon-trach-hiep-phuoc"} <= workers
    assert any("officials" in dict(s.audiences) for s in shipped.stations)


def test_shipped_priority_items_are_handbook_items(shipped, handbook):
    assert shipped.rotation.priority_items == ("gia-danh-cong-an-vks-toa-an", "khoa-sim", "deepfake-video-call")
    assert set(shipped.rotation.priority_items) <= set(handbook.item_ids)


def test_shipped_settings_become_typed_values(shipped):
    assert shipped.voice.engine in ENGINES and shipped.voice.region in REGIONS
    assert shipped.voice.tempo_for("elderly") == 0.9 and shipped.voice.tempo_for("workers") == 1.0
    assert shipped.audio.bitrate_kbps == 48 and shipped.audio.loudness_lufs == -16.0 and shipped.audio.chime is None
    assert shipped.voice.requests_per_second == 2.0
    slot = shipped.levels["commune"].slots[1]
    assert slot.time == dt.time(17, 0) and slot.max_minutes == 15


def test_every_shipped_key_is_documented_by_a_comment():
    text = SHIPPED.read_text(encoding="utf-8")
    for key in ("output", "publish", "templates", "content", "lexicon", "engine", "region", "tempo", "bitrate_kbps",
                "loudness_lufs", "true_peak_dbtp", "sentence_pause_ms", "section_pause_ms", "chime", "items_per_session",
                "min_airings", "min_gap_days", "priority_items", "priority_weight", "stagger"):
        line = next(line for line in text.splitlines() if line.strip().startswith(f"{key}:"))
        assert "#" in line, key


def test_relative_paths_resolve_against_the_config_folder(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "extra.yaml").write_text("items: []\n", encoding="utf-8")
    data = minimal() | {"output": "out", "content": ["extra.yaml"], "templates": "my-templates"}
    path = write(tmp_path / "sub", data)
    monkeypatch.chdir(tmp_path)
    schedule = load_schedule(Path("sub/schedule.yaml"))
    assert schedule.output == tmp_path / "sub" / "out"
    assert schedule.content == (tmp_path / "sub" / "extra.yaml",)
    assert schedule.templates == tmp_path / "sub" / "my-templates"  # missing is fine: an optional override
    assert schedule.path == Path("sub/schedule.yaml") and path.exists()


def test_every_problem_is_reported_at_once_with_its_line(tmp_path):
    path = write(tmp_path, SHIPPED.read_text(encoding="utf-8")
                 .replace('{time: "05:30", max_minutes: 15}', '{time: "25:00", max_minutes: 15}', 1)
                 .replace("stagger: true", "stagr: true")
                 .replace("end: 2023-07-20", "end: 2023-06-20")
                 .replace("id: cam-my-song-ray", "id: cam-my-long-giao"))
    lines = problems_of(path)
    assert f"schedule.yaml:{line_of(path, '25:00')}: levels.commune.slots[0].time: \"25:00\" is not a time" in "\n".join(lines)
    assert any(f":{line_of(path, 'stagr')}: rotation.stagr: unknown key 'stagr' (did you mean 'stagger'?)" in p for p in lines)
    assert any(f":{line_of(path, 'end: 2023-06-20')}: campaign.end: the campaign ends" in p for p in lines)
    dup = [i for i, line in enumerate(path.read_text().splitlines(), 1) if "id: cam-my-long-giao" in line][1]
    assert any(f":{dup}: stations[" in p and "duplicate station id 'cam-my-long-giao'" in p for p in lines)
    assert len(lines) == 4


@pytest.mark.parametrize("bad_id", ["../x", "/abs", "a b", "CON", "con", "-x", "x" * 65, "", "ý", "a/b", "a.b", 12])
def test_ids_that_are_not_safe_folder_names_are_rejected(tmp_path, bad_id):
    data = minimal()
    data["stations"][0]["id"] = bad_id
    data["stations"][1]["district"] = "huyen"
    lines = problems_of(write(tmp_path, data))
    assert any("stations[0].id:" in p and "folder name" in p for p in lines)
    assert not is_safe_id(bad_id)


def test_wrong_types_and_out_of_range_numbers_name_the_expected_value(tmp_path):
    data = minimal()
    data["levels"]["commune"]["items_per_session"] = "two"
    data["levels"]["commune"]["slots"][0]["max_minutes"] = 10**40
    data["rotation"] = {"min_gap_days": True, "priority_weight": 2.5}
    data["audio"] = {"bitrate_kbps": 65, "loudness_lufs": ".nan", "true_peak_dbtp": "NAN"}
    data["voice"] = {"engine": "gtt", "region": "sout", "tempo_by_audience": {"eldery": 0.9, "workers": 3},
                     "requests_per_second": 0}
    text = yaml.safe_dump(data, allow_unicode=True).replace("true_peak_dbtp: NAN", "true_peak_dbtp: .nan")
    text = "\n".join(problems_of(write(tmp_path, text)))
    assert 'levels.commune.items_per_session: must be a whole number from 1 to 20, not a text "two"' in text
    assert re.search(r"levels\.commune\.slots\[0\]\.max_minutes: 10000+\.\.\. is out of range \(more than 0 to 240\)", text)
    assert "rotation.min_gap_days: must be a whole number from 0 to 366, not true/false" in text
    assert "rotation.priority_weight: must be a whole number from 1 to 10" in text
    assert "audio.bitrate_kbps: 65 is not an MP3 bitrate" in text
    assert 'audio.loudness_lufs: must be a number from -36 to -6, not a text ".nan"' in text
    assert "audio.true_peak_dbtp: nan is out of range (from -9 to 0)" in text
    assert "voice.engine: \"gtt\" is not a voice engine (did you mean 'gtts'?)" in text
    assert "voice.region: \"sout\" is not a voice region (did you mean 'south'?)" in text
    assert "voice.tempo_by_audience.eldery: unknown key 'eldery' (did you mean 'elderly'?)" in text
    assert "voice.tempo_by_audience.workers: 3 is out of range (from 0.7 to 1.3)" in text
    assert "voice.requests_per_second: 0 is out of range (from 0.1 to 20)" in text


def test_missing_keys_unknown_levels_and_audiences_are_reported(tmp_path):
    data = minimal()
    del data["campaign"]["start"]
    data["stations"][0]["level"] = "distric"
    data["stations"][1]["audiences"] = {"farmer": 1}
    del data["stations"][1]["district"]
    text = "\n".join(problems_of(write(tmp_path, data)))
    assert "campaign.start: missing (this key is required)" in text
    assert "stations[0].level: \"distric\" is not a station level (did you mean 'district'?)" in text
    assert "stations[1].audiences.farmer: unknown key 'farmer' (did you mean 'farmers'?)" in text
    assert "stations[1].district: missing: a commune station names its district station" in text


def test_a_commune_must_belong_to_an_existing_district_station(tmp_path):
    data = minimal()
    data["stations"][1]["district"] = "huyn"
    data["stations"].append({"id": "xa2", "name": "Đài xã 2", "level": "commune", "district": "xa", "locality": "xã C"})
    text = "\n".join(problems_of(write(tmp_path, data)))
    assert "stations[1].district: no station has the id 'huyn' (did you mean 'huyen'?)" in text
    assert "stations[2].district: station 'xa' is a commune station, not a district one" in text


def test_unknown_priority_items_are_errors_when_the_items_are_known(tmp_path, handbook):
    data = minimal() | {"rotation": {"priority_items": ["khoa-sim", "khoa-simm"]}}
    path = write(tmp_path, data)
    text = "\n".join(problems_of(path, known_items=handbook.item_ids))
    assert "rotation.priority_items[1]: unknown item id 'khoa-simm' (did you mean 'khoa-sim'?)" in text
    assert load_schedule(path).rotation.priority_items == ("khoa-sim", "khoa-simm")  # not checkable without items


def test_unquoted_evening_time_gets_a_quoting_hint(tmp_path):
    text = SHIPPED.read_text(encoding="utf-8").replace('{time: "17:00", max_minutes: 20}', "{time: 17:00, max_minutes: 20}")
    lines = problems_of(write(tmp_path, text))
    assert lines == [f"{tmp_path / 'schedule.yaml'}:{line_of(tmp_path / 'schedule.yaml', 'time: 17:00')}: "
                     'levels.district.slots[1].time: is the number 1020: put the time in quotes, like "17:00" '
                     "(YAML reads unquoted 17:00 as a number)"]


def test_slots_must_be_in_time_order(tmp_path):
    data = minimal()
    data["levels"]["district"]["slots"] = [{"time": "17:00", "max_minutes": 10}, {"time": "05:30", "max_minutes": 10}]
    assert "levels.district.slots[1].time: 05:30 must come after the slot before it (17:00)" in "\n".join(problems_of(write(tmp_path, data)))


@pytest.mark.parametrize("content, expected", [
    (b"campaign:\n  name: \"Th\xe1ng\"\n", r"schedule\.yaml:2: not UTF-8 text"),
    (b"- a\n- b\n", r"schedule\.yaml:1: must be a mapping \(key: value\), not a list"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", r"schedule\.yaml:1: not UTF-8 text"),
    (b"a: 1\nb: \x07\n", r"schedule\.yaml:2: control character U\+0007"),
    (b"", r"schedule\.yaml:1: the file is empty"),
    (b"campaign: [\n", r"schedule\.yaml:2: YAML syntax error"),
    (b"x: " + b"[" * 5000 + b"]" * 5000 + b"\n", r"schedule\.yaml:1: YAML syntax error: exceeded maximum nesting depth"),
    (b"x: " + b"[" * 200 + b"]" * 200 + b"\n", r"schedule\.yaml:1: x: unknown key 'x'"),
    (b"x: " + b"[" * 990 + b"]" * 990 + b"\n", r"schedule\.yaml:1: x(\[0\]){64}.*: the YAML is nested too deeply"),
    (b"campaign:\n  start: 2023-02-30\n", r"schedule\.yaml:2: campaign\.start: \"2023-02-30\" is not a date that exists"),
    (b"a: 1\nb: !!int nope\n", r"schedule\.yaml:2: b: \"nope\" cannot be read as int"),
    (b"a: 1\nb: !!bool maybe\n", r"schedule\.yaml:2: b: \"maybe\" cannot be read as bool"),
    (b"a: 1\nb: !!timestamp x\n", r"schedule\.yaml:2: b: \"x\" cannot be read as timestamp"),
    (b"a: &a [*a]\n", r"schedule\.yaml:1: a.*: an alias refers to itself"),
    (b"a: !!python/object:os.system x\n", r"schedule\.yaml:1: a: \"x\" cannot be read"),
])
def test_broken_files_give_a_located_config_error_not_a_traceback(tmp_path, content, expected):
    path = tmp_path / "schedule.yaml"
    path.write_bytes(content)
    lines = problems_of(path)
    assert re.search(expected, lines[0]), lines


def test_exponential_aliases_are_refused_quickly(tmp_path):
    text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9))
    lines = problems_of(write(tmp_path, text))
    assert re.search(r"schedule\.yaml:\d+: a\d[\[\]\d]*: aliases expand to too much data", lines[0])


def test_missing_file_and_folder_are_config_errors(tmp_path):
    for path in (tmp_path / "nope.yaml", tmp_path):
        with pytest.raises(ConfigError):
            load_schedule(path)


def test_audience_ids_match_the_handbook_audiences():
    from broadcast.content import AUDIENCES as HANDBOOK_AUDIENCES

    assert AUDIENCES == HANDBOOK_AUDIENCES


def test_models_are_frozen_and_travel_to_worker_processes(shipped):
    with pytest.raises(AttributeError):
        shipped.stations[0].id = "x"  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(shipped))
    assert copy == shipped and copy.problem(("stations", 3, "id"), "x").line == shipped.problem(("stations", 3, "id"), "x").line
