"""Releases and approval: a draft changes nothing operators see until an editor approves it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from broadcast.cli import app
from broadcast.project import open_project
from broadcast.releases import ReleaseError, approve, diff, find, list_releases, live_id, status

from conftest import build_small_campaign

ELDERLY_EDIT = ('{% extends "default/elderly.j2" %}\n'
                '{% block signoff %}Ban biên tập kính chúc ông bà mạnh khỏe.{% endblock %}\n')


def tree_digest(out: Path) -> dict[str, str]:
    """Every file operators can reach (all but releases/ and the build's memo of file hashes), with its sha256."""
    from broadcast.outdir import HASHES

    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and p.relative_to(out).parts[0] not in ("releases", HASHES)}


def make_draft(folder: Path) -> None:
    """Switch a built campaign to approval: required and change the elderly (commune) closing, then build."""
    config = folder / "schedule.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "approval: required\n", encoding="utf-8")
    (folder / "templates").mkdir(exist_ok=True)
    (folder / "templates" / "elderly.j2").write_text(ELDERLY_EDIT, encoding="utf-8")
    report = build_small_campaign(config, by="biên tập viên")
    assert report.draft and report.release


@pytest.fixture(scope="module")
def drafted(tmp_path_factory, built_campaign):
    """A built campaign plus a draft release after an edit of the elderly template: (folder, live files before)."""
    src, _ = built_campaign
    folder = tmp_path_factory.mktemp("drafted") / "campaign"
    shutil.copytree(src, folder)
    before = tree_digest(folder / "audio_out")
    make_draft(folder)
    return folder, before


@pytest.fixture
def drafted_copy(drafted, tmp_path):
    folder, before = drafted
    dst = tmp_path / "campaign"
    shutil.copytree(folder, dst)
    return dst, before


def test_a_draft_changes_no_file_operators_see(drafted):
    folder, before = drafted
    out = folder / "audio_out"
    after = tree_digest(out)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing they had changed or vanished
    live = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    releases = list_releases(out)
    assert [status(r, live["release"]) for r in releases] == ["live", "draft"]
    assert releases[-1].by == "biên tập viên"
    assert set(releases[-1].fingerprints) == {"schedule", "content", "lexicon", "templates"}
    assert releases[-1].fingerprints["templates"] != releases[0].fingerprints["templates"]
    assert releases[-1].fingerprints["content"] == releases[0].fingerprints["content"]


def test_diff_names_exactly_the_sessions_the_template_edit_changed(drafted):
    folder, _ = drafted
    out = folder / "audio_out"
    old, new = find(out, None, default="live"), find(out, None)
    changes = diff(old, new)
    # Only the commune station airs the elderly template; the district station's sessions are untouched.
    assert [(c.slot, c.kind) for c in changes] == [
        (("2023-07-01", "17:00", "tan-phu-phu-lam"), "changed"), (("2023-07-02", "17:00", "tan-phu-phu-lam"), "changed")]
    for change in changes:
        [(label, lines)] = change.text_changes
        assert label.startswith("closing tan-phu-phu-lam/elderly")
        assert "+Ban biên tập kính chúc ông bà mạnh khỏe." in lines
        assert any(line.startswith("-") and "cảm ơn ông bà" in line for line in lines)


def test_approve_makes_the_draft_live_and_removes_only_what_nothing_refers_to(drafted_copy):
    folder, before = drafted_copy
    out = folder / "audio_out"
    draft = find(out, None)
    approve(open_project(folder / "schedule.yaml"), None, "Trưởng ban")
    live = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert live["release"] == draft.id and live["approved_by"] == "Trưởng ban"
    for rel in live["files"]:
        assert (out / rel).is_file(), rel
    day_page = (out / "2023-07-01" / "index.html").read_text(encoding="utf-8")
    commune = next(p for p in live["programmes"] if p["station"] == "tan-phu-phu-lam" and p["date"] == "2023-07-01")
    assert Path(commune["file"]).name in day_page
    old_commune = [k for k in before if "tan-phu-phu-lam_2023-07-01" in k]
    assert old_commune and not any((out / k).exists() for k in old_commune)  # the superseded session files went
    assert "Ban biên tập kính chúc ông bà" in (out / commune["script"]).read_text(encoding="utf-8")


def test_approve_is_refused_while_the_release_airs_an_unconfirmed_fact(drafted_copy, monkeypatch):
    folder, before = drafted_copy
    out = folder / "audio_out"
    import broadcast.releases as releases

    monkeypatch.setattr(releases, "aired_facts", lambda project, items: [{"id": "so-tien-bi-lua", "status": "unconfirmed"}])
    config = folder / "schedule.yaml"
    (folder / "templates" / "elderly.j2").write_text(ELDERLY_EDIT.replace("mạnh khỏe", "bình an"), encoding="utf-8")
    build_small_campaign(config)
    live_before = (out / "manifest.json").read_bytes()
    with pytest.raises(ReleaseError, match=r"r0003-.*\.json: facts: .*so-tien-bi-lua"):
        approve(open_project(config), None, "Trưởng ban")
    assert (out / "manifest.json").read_bytes() == live_before
    assert live_id(out) == list_releases(out)[0].id


def test_cli_lists_releases_newest_last_and_approves(drafted_copy):
    folder, _ = drafted_copy
    config = str(folder / "schedule.yaml")
    runner = CliRunner()
    listed = runner.invoke(app, ["releases", "-c", config])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    ids = [r.id for r in list_releases(folder / "audio_out")]
    assert [line.split()[0] for line in lines] == ids and "live" in lines[0] and "draft" in lines[1]
    as_json = json.loads(runner.invoke(app, ["releases", "--json", "-c", config]).output)
    assert [r["id"] for r in as_json] == ids
    shown = runner.invoke(app, ["diff", "-c", config])
    assert shown.exit_code == 0 and "2 sessions change" in shown.output and "tan-phu-phu-lam" in shown.output
    approved = runner.invoke(app, ["approve", "--by", "Trưởng ban", "-c", config])
    assert approved.exit_code == 0 and ids[1] in approved.output
    again = runner.invoke(app, ["approve", "--by", "Trưởng ban", "-c", config])
    assert again.exit_code == 2 and "no draft release" in again.output and "Traceback" not in again.output
    unknown = runner.invoke(app, ["diff", "r9999", "-c", config])
    assert unknown.exit_code == 2 and "'r9999' not found" in unknown.output


@pytest.mark.slow
def test_approval_killed_at_any_moment_leaves_the_old_or_the_new_release_whole(drafted, tmp_path):
    folder, _ = drafted
    old_id, new_id = [r.id for r in list_releases(folder / "audio_out")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1] / "src"), os.environ.get("PYTHONPATH", "")])}
    def approve(trial: Path) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "broadcast.cli", "approve", "--by", "x", "-c",
                                 str(trial / "schedule.yaml")], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    # How long a whole approval takes on this machine now; the kills are spread over that (a fixed list of
    # delays either all land after the switch on a fast machine or all before it on a busy one).
    whole = tmp_path / "whole"
    shutil.copytree(folder, whole)
    start = time.perf_counter()
    assert approve(whole).wait() == 0
    took = time.perf_counter() - start
    outcomes = set()
    for n, share in enumerate([0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 1.0, 1.5]):
        trial = tmp_path / f"t{n}"
        shutil.copytree(folder, trial)
        proc = approve(trial)
        time.sleep(took * share)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        out = trial / "audio_out"
        live = json.loads((out / "manifest.json").read_text(encoding="utf-8"))  # always whole JSON
        assert live["release"] in (old_id, new_id)
        outcomes.add(live["release"])
        released = find(out, live["release"])
        assert [p["key"] for p in live["programmes"]] == [p["key"] for p in released.manifest["programmes"]]
        for rel in live["files"]:
            assert (out / rel).is_file(), (share, rel)  # every file the live release lists is there
    assert outcomes == {old_id, new_id}  # the kills landed both before and after the switch


@pytest.mark.slow
def test_approval_is_refused_while_the_draft_airs_an_unconfirmed_fact_from_the_handbook(campaign_copy):
    folder = campaign_copy
    config = folder / "schedule.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "approval: required\nfacts: {air_unconfirmed: true}\n",
                      encoding="utf-8")
    runner = CliRunner()
    built = runner.invoke(app, ["build", "--engine", "espeak", "-c", str(config)])
    assert built.exit_code == 0, built.output
    draft = list_releases(folder / "audio_out")[-1]
    assert any(f["id"] == "warning-portal-address" for f in draft.facts)  # every script names the portal
    refused = runner.invoke(app, ["approve", "--by", "Trưởng ban", "-c", str(config)])
    assert refused.exit_code == 2 and "warning-portal-address" in refused.output


def emergency_first(day_page: str, station: str, bulletin_file: str) -> bool:
    """Whether the station's section of a day page opens with the "Phát ngay" programme of this file."""
    section = day_page[day_page.index(f'id="{station}"'):]
    section = section[:section.index("</section>")]
    return section.index("Phát ngay") < section.index(Path(bulletin_file).name) < section.index("Kịch bản")


def test_a_build_after_bulletins_only_that_changes_nothing_writes_no_new_release(campaign_copy):
    from test_bulletins import add

    folder = campaign_copy
    config, out = folder / "schedule.yaml", folder / "audio_out"
    assert add(folder, "--level", "emergency", "--title", "Cảnh báo", "--text", "Không chuyển tiền cho người lạ.").exit_code == 0
    assert CliRunner().invoke(app, ["build", "--bulletins-only", "-c", str(config)]).exit_code == 0
    ids = [r.id for r in list_releases(out)]
    report = build_small_campaign(config)
    assert report.release == ids[-1] and [r.id for r in list_releases(out)] == ids
    assert live_id(out) == ids[-1]
    # The static pages show the emergency programme first, under each target station, on its day.
    live = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {b["station"] for b in live["bulletins"]} == {"tan-phu", "tan-phu-phu-lam"}
    for rec in live["bulletins"]:
        page = (out / rec["date"] / "index.html").read_text(encoding="utf-8")
        assert emergency_first(page, rec["station"], rec["file"]) and f'src="../{rec["file"]}"' in page
        assert (out / rec["file"]).is_file()


def _release_files(out: Path, count: int) -> list:
    """`count` small releases written as a build writes them (each with one session and one file of its own)."""
    from broadcast import releases

    made = []
    for n in range(1, count + 1):
        manifest = {"programmes": [{"key": f"p{n}", "items": ["khoa-sim"]}], "bulletins": [], "segments": {},
                    "files": [f"s{n}.mp3"]}
        release = releases.Release(f"r{n:04d}-{n:08x}", "2023-07-01T00:00:00+00:00", "x", {}, (), manifest, {})
        (out / releases.RELEASES_DIR).mkdir(parents=True, exist_ok=True)
        (out / releases.RELEASES_DIR / f"{release.id}.json").write_text(release.to_json(), encoding="utf-8")
        made.append(release)
    return made


def test_a_build_opens_only_the_release_it_continues_from_not_the_campaign_s_whole_history(tmp_path, monkeypatch):
    # Every release holds a whole manifest (about 20 MB for a 181-station province): a build that read them all
    # would grow in memory and time with every rebuild of the campaign.
    from broadcast import releases

    out = tmp_path / "audio_out"
    made = _release_files(out, 30)
    live = {**made[19].manifest, "release": made[19].id}  # r0020 is live; r0021-r0030 are drafts
    opened: list[str] = []
    real = releases._read
    monkeypatch.setattr(releases, "_read", lambda path: opened.append(path.name) or real(path))
    assert releases.latest_manifest(out, live) == made[-1].manifest  # the newest draft
    assert releases.latest_release(out, live).id == made[-1].id
    assert opened == [f"{made[-1].id}.json"] * 2
    opened.clear()
    assert releases.latest_manifest(out, {**live, "release": made[-1].id}) is not None  # no draft: manifest.json
    assert opened == []
    same = releases.record_release(out, None, made[-1].manifest, {}, "x", like=made[-1])
    assert same.id == made[-1].id and opened == [f"{made[-1].id}.json"]  # nothing changed: no new release
    opened.clear()
    new = releases.record_release(out, None, {**made[-1].manifest, "programmes": [{"key": "p31", "items": []}]}, {}, "x",
                                  like=made[-1])
    assert new.number == 31 and opened == [f"{made[-1].id}.json"]


def test_a_release_file_that_cannot_be_read_is_skipped_and_its_number_never_reused(tmp_path):
    from broadcast import releases

    out = tmp_path / "audio_out"
    made = _release_files(out, 3)
    (out / releases.RELEASES_DIR / f"{made[-1].id}.json").write_text("{not json", encoding="utf-8")
    live = {**made[0].manifest, "release": made[0].id}
    # The unreadable newest draft is passed over for the newest readable one, by a build as by `find`.
    assert releases.latest_release(out, live).id == made[1].id
    assert releases.latest_manifest(out, live) == made[1].manifest
    assert find(out, None).id == made[1].id
    with pytest.raises(ReleaseError, match="cannot be read"):
        find(out, made[-1].id)
    new = releases.record_release(out, None, {**made[1].manifest, "programmes": [{"key": "p9", "items": []}]}, {}, "x", like=made[1])
    assert new.number == 4  # after the unreadable r0003, not in its place
