"""Broken schedule.yaml files at the command line, and paths that try to leave audio_out/.

`broadcast check` on hypothesis-made and mutated files never shows a traceback: it exits 0, or 2 with
every problem located as file:line. Unsafe station ids are refused before anything is written, and a
manifest crafted to point outside the output folder cannot make a build write or delete there.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import broadcast.check
import broadcast.speech
from broadcast.cli import app
from yaml_mutations import mutate_lines
from conftest import COMMUNE, SMALL_CAMPAIGN, build_small_campaign, write_small_campaign

runner = CliRunner()
BASE = SMALL_CAMPAIGN.format(publish="full", extra_stations=COMMUNE)
BASE_LINES = BASE.splitlines(keepends=True)
LOCATED = re.compile(r"^(?:error: )?(?P<file>.+?):(?P<line>\d+): \S")
UNSAFE_IDS = ["../x", "/abs", "a/../../b", "..", ".", "a/b", "a\\b", "~", "-x", "Tan-Phu", "tân-phú", "con", "x" * 65, ""]

# Values that break types, ranges, YAML itself or the loader's constructors; and lines that break structure.
NASTY = [
    "", "~", "[]", "{}", "[1, 2", "{a: 1", "-1", "0", "1e400", "99999999999999999999", ".nan", "-.inf", "true",
    "2023-02-30", "2023-13-01", "0000-01-01", "2023-07-01 10:00:00", "'25:00'", "17:00", "'05:3'", "1730",
    "&a [*a, *a]", "*nope", "!!int x", "!!binary ~~", "!!python/object:os.system x", "!foo x", "!!set {a}",
    '"\\0"', '"\\x07"', "|\n  block", "'" + "x" * 600 + "'", "é\u0301", "'\ufeff'", "? [a]\n: b", "<<: {a: 1}",
    "[[[[[[[[[[]]]]]]]]]]", "district", "commune", "south", "espeak", "khoa-sim", "general", "'€ 100 $'", "'😀'",
    *(f'"{i}"' for i in UNSAFE_IDS),
]


def mutated(data: st.DataObject) -> bytes:
    """A few line-level edits of the small campaign: values, junk lines, deletions, swaps, cuts, bad bytes."""
    return mutate_lines(data, BASE_LINES, NASTY, max_edits=3, text_size=12, bad_bytes_one_in=16)


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(allow_nan=True), st.text(max_size=15),
    st.dates(dt.date(2020, 1, 1), dt.date(2026, 12, 31)),
    st.sampled_from(["05:30", "17:00", "25:00", "district", "commune", "south", "auto", "general", "elderly", "khoa-sim",
                     *UNSAFE_IDS]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                      max_leaves=8)


@st.composite
def generated(draw) -> bytes:
    """A schedule built from scratch: the right sections with values of any type, plus unknown keys."""
    station = st.fixed_dictionaries(
        {"id": st.sampled_from(["tan-phu", "xa-1", *UNSAFE_IDS]) | st.text(max_size=8), "name": st.text(min_size=1, max_size=20),
         "level": st.sampled_from(["district", "commune", "county"]), "locality": st.text(max_size=12)},
        optional={"district": st.sampled_from(["tan-phu", "../x"]), "audiences": VALUES, "region": VALUES, "jingle": VALUES})
    level = st.fixed_dictionaries({"slots": st.lists(st.fixed_dictionaries(
        {"time": st.sampled_from(["05:30", "17:00", "24:00", "5h"]) | VALUES, "max_minutes": VALUES}), max_size=3),
        "items_per_session": VALUES})
    doc = draw(st.fixed_dictionaries(
        {"campaign": st.fixed_dictionaries({"name": VALUES, "province": VALUES, "start": VALUES, "end": VALUES}),
         "levels": st.dictionaries(st.sampled_from(["district", "commune", "ward"]), level, max_size=2),
         "stations": st.lists(station, max_size=3)},
        optional={"output": VALUES, "voice": VALUES, "audio": VALUES, "rotation": VALUES, "publish": VALUES,
                  "templates": VALUES, "content": VALUES, "lexicon": VALUES, "outptu": VALUES}))
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=draw(st.booleans())).encode("utf-8")


@pytest.fixture(scope="module")
def check_folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("check")


class _Same:
    """An unhashable argument, equal to another whose output-changing parts (`fingerprint`) are the same."""

    def __init__(self, value, fingerprint) -> None:
        self.value, self.fingerprint = value, fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __eq__(self, other) -> bool:
        return self.fingerprint == other.fingerprint


@pytest.fixture(scope="module", autouse=True)
def remembered_scripts():
    """Render and normalize each distinct script once per module: both are pure, and a valid check re-does
    120 of them (about 1.5 s); the check itself still runs in full on every example."""
    render, normalize = broadcast.check.render_script, broadcast.speech.normalize
    render_once = functools.lru_cache(maxsize=None)(
        lambda env, handbook, *rest: render(env.value, handbook.value, *rest))
    normalize_once = functools.lru_cache(maxsize=None)(
        lambda text, lexicon, source: normalize(text, lexicon.value, source))

    def render_remembered(env, handbook, item, audience, station, campaign):
        folders = tuple(str(getattr(loader, "searchpath", "")) for loader in getattr(env.loader, "loaders", ()))
        item_id = item if isinstance(item, str) else item.id
        return render_once(_Same(env, folders), _Same(handbook, tuple(handbook.item_ids)), item_id, audience, station, campaign)

    def normalize_remembered(text, lexicon=None, source="text"):
        if lexicon is None:
            return normalize(text, lexicon, source)
        return normalize_once(text, _Same(lexicon, lexicon.sources), source)

    patch = pytest.MonkeyPatch()
    patch.setattr(broadcast.check, "render_script", render_remembered)
    patch.setattr(broadcast.speech, "normalize", normalize_remembered)
    yield
    patch.undo()


def check_cli(folder: Path, raw: bytes) -> None:
    """`broadcast check` on the bytes: exit 0, or exit 2 with each problem at file:line; and nothing written."""
    path = folder / "schedule.yaml"
    path.write_bytes(raw)
    result = runner.invoke(app, ["check", "-c", str(path)])
    assert "Traceback" not in result.output and "internal error" not in result.stderr, result.output
    assert result.exit_code in (0, 2), (result.exit_code, result.output)
    if result.exit_code == 2:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines and lines[0].startswith("error: "), result.stderr
        for line in lines:
            found = LOCATED.match(line)
            assert found and (found["file"] == str(path) or Path(found["file"]).is_file()), line
    else:
        assert result.stdout.strip().endswith("ok")
    assert [p.name for p in folder.iterdir()] == ["schedule.yaml"], "check wrote something"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.data())
def test_check_on_mutated_schedules_exits_0_or_2_with_file_and_line(check_folder, data):
    check_cli(check_folder, mutated(data))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(generated())
def test_check_on_generated_schedules_exits_0_or_2_with_file_and_line(check_folder, raw):
    check_cli(check_folder, raw)


def test_the_fuzzed_check_does_find_problems(check_folder):
    """Guard against a fuzz test that cannot fail: the base file passes, a typical mutation is located."""
    check_cli(check_folder, BASE.encode())
    path = check_folder / "schedule.yaml"
    path.write_text(BASE.replace('"05:30"', '"25:30"'), encoding="utf-8")
    result = runner.invoke(app, ["check", "-c", str(path)])
    assert result.exit_code == 2 and re.search(rf"{re.escape(str(path))}:\d+: levels\.district\.slots\[0\]\.time", result.stderr)


def test_a_station_name_the_voice_cannot_read_is_reported_at_its_line(tmp_path):
    config = write_small_campaign(tmp_path)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('name: "Đài Truyền thanh huyện Tân Phú"', 'name: "Đài 📻 Tân Phú"'), encoding="utf-8")
    result = runner.invoke(app, ["check", "-c", str(config)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and re.match(rf"error: {re.escape(str(config))}:\d+: stations\[0\]\.name: ", lines[0]), lines[:3]


def tree(root: Path, skip: Path | None = None) -> dict[str, bytes]:
    """Every file under `root` (except under `skip`) and its content."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and (skip is None or skip not in p.parents)}


@pytest.mark.parametrize("station_id", ["../x", "/abs", "a/../../b", "..", "."])
def test_station_ids_that_are_paths_are_refused_before_anything_is_written(tmp_path, station_id):
    folder = tmp_path / "campaign"
    config = write_small_campaign(folder)
    config.write_text(config.read_text(encoding="utf-8").replace("id: tan-phu-phu-lam", f"id: {json.dumps(station_id)}"),
                      encoding="utf-8")
    before = tree(tmp_path)
    for command in ("check", "build"):
        result = runner.invoke(app, [command, "-c", str(config)])
        assert result.exit_code == 2, result.output
        assert re.search(rf"^(error: )?{re.escape(str(config))}:\d+: stations\[1\]\.id: .*not a valid station id",
                         result.stderr, re.MULTILINE), result.stderr
    assert tree(tmp_path) == before and not (folder / "audio_out").exists()


@pytest.fixture
def outside(campaign_copy) -> dict[str, Path]:
    """Files beside the campaign folder that a crafted manifest names, and a link inside audio_out to them."""
    out = campaign_copy / "audio_out"
    away = campaign_copy.parent / "elsewhere"
    away.mkdir()
    files = {name: away / name for name in ("victim.txt", "linked.txt", "absolute.txt", "in-dir.txt")}
    for path in files.values():
        path.write_text("không được xoá", encoding="utf-8")
    (out / "link-out.txt").symlink_to(files["linked.txt"])
    (out / "link-dir").symlink_to(away, target_is_directory=True)
    return files


def test_a_manifest_listing_files_outside_cannot_make_the_build_delete_or_write_there(campaign_copy, outside):
    out = campaign_copy / "audio_out"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    crafted = ["../elsewhere/victim.txt", "segments/../../elsewhere/victim.txt", str(outside["absolute.txt"]),
               "link-out.txt", "link-dir/in-dir.txt", "../elsewhere", "..", "."]
    manifest["files"] += crafted[:3]
    manifest["retired"] = crafted
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    before = tree(campaign_copy.parent, skip=out)

    report = build_small_campaign(campaign_copy / "schedule.yaml")
    assert report.failures == [] and report.programmes_kept == 4
    assert tree(campaign_copy.parent, skip=out) == before, "the build wrote or deleted outside audio_out/"
    assert (out / "link-out.txt").is_symlink()  # its target is outside: the link is not followed
    second = build_small_campaign(campaign_copy / "schedule.yaml")  # the retired list carried over is still refused
    assert second.failures == [] and tree(campaign_copy.parent, skip=out) == before


def test_a_crafted_segment_path_does_not_leak_into_the_new_manifest(campaign_copy):
    out = campaign_copy / "audio_out"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    key = next(iter(manifest["segments"]))
    manifest["segments"][key]["file"] = "../../elsewhere/segment.mp3"  # same size as the real file, another path
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    build_small_campaign(campaign_copy / "schedule.yaml")
    listed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for rel in [*listed["files"], *(s["file"] for s in listed["segments"].values())]:
        assert out.resolve() in (out / rel).resolve().parents, f"the manifest points outside: {rel}"
