"""The editors' approval page: the draft beside the live release, players for what changed, "Duyệt phát", and
an emergency bulletin approved in one step; operators and strangers reach none of it."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from broadcast.audio.ffmpeg import decode_mp3
from broadcast.cli import app
from broadcast.portal.app import create_app
from broadcast.portal.report import schedule_stations
from broadcast.releases import diff, find, list_releases, live_id, status

from conftest import build_small_campaign
from test_bulletins import add
from test_portal import COMMUNE, DISTRICT, PASSWORD, Campaign, csrf_of
from test_releases import ELDERLY_EDIT, make_draft, tree_digest

CHANGED = [("2023-07-01", "17:00", COMMUNE), ("2023-07-02", "17:00", COMMUNE)]


class EditorialCampaign(Campaign):
    """A campaign whose portal knows its schedule.yaml (as `broadcast serve` runs it), so editors can approve."""

    def client(self, today: str = "2023-07-01") -> TestClient:
        app = create_app(self.db, self.schedule.output, schedule_stations(self.schedule), dt.date.fromisoformat(today),
                         self.schedule)
        return TestClient(app, base_url="http://testserver")

    def editor(self) -> TestClient:
        c = self.client()
        r = c.post("/editor/login", data={"csrf": csrf_of(c.get("/editor/login").text), "name": "so-tt",
                                          "password": PASSWORD}, follow_redirects=False)
        assert r.status_code == 303
        return c

    @property
    def out(self) -> Path:
        return self.folder / "audio_out"

    def live_bytes(self) -> bytes:
        return (self.out / "manifest.json").read_bytes()


@pytest.fixture(scope="module")
def drafted(tmp_path_factory, built_campaign):
    """The small campaign built, then switched to approval: required with the elderly closing edited and built
    again: one live release and one draft."""
    folder = tmp_path_factory.mktemp("approval") / "campaign"
    shutil.copytree(built_campaign[0], folder)
    make_draft(folder)
    return folder


@pytest.fixture
def campaign(drafted, tmp_path):
    folder = tmp_path / "campaign"
    shutil.copytree(drafted, folder)
    c = EditorialCampaign(folder)
    yield c
    c.db.close()


def players(page: str) -> list[str]:
    return re.findall(r'<audio controls preload="none" src="(/approval/audio/[^"]+)"', page)


def approve_form(c: TestClient, action: str = "/approval/approve", **data):
    return c.post(action, data=data, follow_redirects=False)


def test_the_draft_is_shown_beside_the_live_release_with_exactly_the_changed_sessions(campaign):
    live, draft = find(campaign.out, None, default="live"), find(campaign.out, None)
    page = campaign.editor().get("/approval")
    assert page.status_code == 200
    html = page.text
    assert html.index(live.id) < html.index(draft.id)  # the live card first, the draft beside it
    from broadcast.portal.app import vn_moment

    assert "biên tập viên" in html and vn_moment(draft.created) in html and vn_moment(live.created) in html
    for name in ("schedule", "content", "lexicon", "templates"):
        assert draft.fingerprints[name][:12] in html and live.fingerprints[name][:12] in html
    assert html.count('class="s change"') == len(CHANGED) == len(diff(live, draft))
    assert "Đài truyền thanh xã Phú Lâm · 17:00 ngày 1/7/2023" in html
    assert "Đài truyền thanh xã Phú Lâm · 17:00 ngày 2/7/2023" in html
    assert "Đài Truyền thanh huyện Tân Phú" not in html  # the district's sessions did not change
    assert "+Ban biên tập kính chúc ông bà mạnh khỏe." in html
    assert html.count("Lời kết · người cao tuổi (tan-phu-phu-lam)") == len(CHANGED)  # the segment, in words
    assert 'id="approve"' in html and f'name="release" value="{draft.id}"' in html
    assert 'href="/approval"' in campaign.editor().get("/dashboard").text  # linked from the dashboard


def test_a_player_for_a_changed_segment_serves_the_drafts_and_the_live_audio(campaign):
    live, draft = find(campaign.out, None, default="live"), find(campaign.out, None)
    c = campaign.editor()
    urls = players(c.get("/approval").text)
    # Per changed session: the draft's new closing and the live closing beside it.
    assert len([u for u in urls if f"/{draft.id}/" in u]) == 2 and len([u for u in urls if f"/{live.id}/" in u]) == 2
    for url in urls:
        r = c.get(url)
        assert r.status_code == 200 and r.headers["content-type"] == "audio/mpeg"
        assert decode_mp3(r.content).duration_seconds > 1
    new_closing = c.get(next(u for u in urls if f"/{draft.id}/" in u)).content
    old_closing = c.get(next(u for u in urls if f"/{live.id}/" in u)).content
    assert new_closing != old_closing
    # Only keys the release's manifest lists, of the live release or the newest draft; no path from the URL.
    for url in (f"/approval/audio/{draft.id}/manifest.json", f"/approval/audio/{draft.id}/..%2f..%2fmanifest.json",
                f"/approval/audio/{draft.id}/%2e%2e%2fschedule.yaml", f"/approval/audio/r9999-00000000/{urls[0].rsplit('/', 1)[1]}",
                f"/approval/audio/..%2fmanifest/{urls[0].rsplit('/', 1)[1]}"):
        assert c.get(url).status_code == 404, url


def test_approving_makes_the_draft_live_and_operators_see_it_on_their_next_request(campaign):
    draft = find(campaign.out, None)
    operator = campaign.signed_in(COMMUNE)
    before = operator.get("/").text  # the portal has read (and cached) the live plan
    old_key = next(p["key"] for p in campaign.sessions(COMMUNE) if p["date"] == "2023-07-01")
    new_key = next(s.key for s in draft.sessions if s.slot == CHANGED[0])
    assert old_key in before and new_key not in before
    editor = campaign.editor()
    r = approve_form(editor, csrf=csrf_of(editor.get("/approval").text), release=draft.id)
    assert r.status_code == 303 and r.headers["location"] == f"/approval?ok={draft.id}"
    shown = editor.get(r.headers["location"]).text
    assert 'id="approved"' in shown and 'id="no-draft"' in shown
    card = shown[shown.index('id="live"'):]
    assert draft.id in card[:card.index("</div>")] and "Đã duyệt bởi so-tt" in shown  # the new live release
    assert live_id(campaign.out) == draft.id and json.loads(campaign.live_bytes())["approved_by"] == "so-tt"
    after = operator.get("/").text
    assert new_key in after and old_key not in after
    audio = operator.get(f"/audio/{new_key}")
    assert audio.status_code == 200 and decode_mp3(audio.content).duration_seconds > 10


def test_approval_without_csrf_as_an_operator_or_signed_out_is_refused_and_changes_nothing(campaign):
    draft = find(campaign.out, None)
    before = campaign.live_bytes()
    editor = campaign.editor()
    page = editor.get("/approval").text
    url = players(page)[0]
    operator = campaign.signed_in(COMMUNE)
    op_csrf = csrf_of(operator.get("/").text)
    stranger = campaign.client()
    for action in ("/approval/approve", "/approval/emergency"):
        assert approve_form(editor, action, release=draft.id).status_code == 403  # no CSRF
        assert approve_form(editor, action, csrf="forged", release=draft.id).status_code == 403
        assert approve_form(operator, action, csrf=op_csrf, release=draft.id).status_code == 403
        assert approve_form(stranger, action, csrf=csrf_of(page), release=draft.id).status_code == 403
    for client, code in ((operator, 403), (stranger, 303)):
        for route in ("/approval", url):
            r = client.get(route, follow_redirects=False)
            assert r.status_code == code, (route, r.status_code)
            assert r.headers.get("content-type", "").startswith("text/html") or code == 303
    assert stranger.get("/approval", follow_redirects=False).headers["location"] == "/editor/login"
    assert 'id="approved"' not in editor.get(f"/approval?ok={draft.id}").text  # says "approved" only of the live one
    assert campaign.live_bytes() == before and status(find(campaign.out, draft.id), live_id(campaign.out)) == "draft"


def test_approval_refused_for_unconfirmed_facts_shows_the_reason_and_changes_nothing(campaign, monkeypatch):
    import broadcast.releases as releases

    monkeypatch.setattr(releases, "aired_facts", lambda project, items: [{"id": "so-tien-bi-lua", "status": "unconfirmed"}])
    (campaign.folder / "templates" / "elderly.j2").write_text(ELDERLY_EDIT.replace("mạnh khỏe", "bình an"), encoding="utf-8")
    build_small_campaign(campaign.folder / "schedule.yaml")
    draft = find(campaign.out, None)
    before, files = campaign.live_bytes(), tree_digest(campaign.out)
    editor = campaign.editor()
    page = editor.get("/approval").text
    assert draft.id in page and "so-tien-bi-lua" in page  # the page already says what holds it back
    r = approve_form(editor, csrf=csrf_of(page), release=draft.id)
    assert r.status_code == 409
    assert "thông tin chưa được xác nhận (so-tien-bi-lua)" in r.text and "Không có gì thay đổi" in r.text
    assert campaign.live_bytes() == before and tree_digest(campaign.out) == files


def test_approval_refused_while_a_build_holds_the_output_folder(campaign, monkeypatch):
    import broadcast.outdir as outdir

    monkeypatch.setattr(outdir, "LOCK_WAIT_S", 0.3)
    draft = find(campaign.out, None)
    before = campaign.live_bytes()
    editor = campaign.editor()
    csrf = csrf_of(editor.get("/approval").text)
    with outdir.build_lock(campaign.out):  # a running build
        r = approve_form(editor, csrf=csrf, release=draft.id)
    assert r.status_code == 409 and "Đang có một lần dựng" in r.text
    assert campaign.live_bytes() == before
    stale = approve_form(editor, csrf=csrf, release=find(campaign.out, None, default="live").id)
    assert stale.status_code == 409 and "không còn chờ duyệt" in stale.text  # the live one is not a draft
    assert campaign.live_bytes() == before
    assert approve_form(editor, csrf=csrf, release=draft.id).status_code == 303  # once the build is gone


def test_an_emergency_bulletin_is_approved_in_one_step_and_the_rotation_draft_keeps_waiting(campaign):
    runner, config = CliRunner(), campaign.folder / "schedule.yaml"
    live_before = find(campaign.out, None, default="live")
    rotation_draft = find(campaign.out, None)
    added = add(campaign.folder, "--level", "emergency", "--title", "Cảnh báo giả danh công an", "--text",
                "Công an không gọi điện bắt chuyển tiền.", "--stations", COMMUNE)
    assert added.exit_code == 0, added.output
    built = runner.invoke(app, ["build", "--bulletins-only", "-c", str(config)])
    assert built.exit_code == 0 and "draft" in built.output, built.output
    operator = campaign.signed_in(COMMUNE)
    assert "Phát ngay" not in operator.get("/").text  # waiting for approval
    editor = campaign.editor()
    page = editor.get("/approval").text
    top = page[:page.index("Bản đang phát")]  # above the releases
    assert "Cảnh báo giả danh công an" in top and "Công an không gọi điện bắt chuyển tiền." in top
    assert "Đài truyền thanh xã Phú Lâm: 17:00 ngày 1/7/2023" in top and "Đài Truyền thanh huyện" not in top
    [emergency_audio] = players(top)
    r = editor.get(emergency_audio)
    assert r.status_code == 200 and decode_mp3(r.content).duration_seconds > 3
    draft_id = find(campaign.out, None).id
    done = approve_form(editor, "/approval/emergency", csrf=csrf_of(page), release=draft_id)
    assert done.status_code == 303, done.text
    urgent = operator.get("/").text
    assert urgent.index("Phát ngay") < urgent.index("Cảnh báo giả danh công an") < urgent.index("<h2>Hôm nay")
    live = json.loads(campaign.live_bytes())
    assert live["programmes"] == live_before.manifest["programmes"]  # nothing else of the draft went on air
    assert [b["station"] for b in live["bulletins"]] == [COMMUNE] and live["approved_by"] == "so-tt"
    for rel in live["files"]:
        assert (campaign.out / rel).is_file(), rel
    # The template edit still waits, as the newest draft, with the same two changed sessions and the bulletin.
    waiting = find(campaign.out, None)
    assert waiting.manifest["programmes"] == rotation_draft.manifest["programmes"]
    assert [c.slot for c in diff(find(campaign.out, live["release"]), waiting)] == CHANGED
    after = editor.get("/approval").text
    assert "Bản tin khẩn chờ duyệt" not in after and after.count('class="s change"') == 2
    assert approve_form(editor, csrf=csrf_of(after), release=waiting.id).status_code == 303
    final = json.loads(campaign.live_bytes())
    assert final["release"] == waiting.id and final["bulletins"] == live["bulletins"]
    assert all((campaign.out / rel).is_file() for rel in final["files"])


@pytest.mark.slow
def test_build_keeps_pages_and_portal_until_the_cli_approves_then_both_show_the_new_release(built_campaign, tmp_path):
    """Issue 12's chain: approval: required, build -> static pages and portal unchanged -> diff lists the changed
    sessions -> approve -> the pages and the running portal show the new release."""
    folder = tmp_path / "campaign"
    shutil.copytree(built_campaign[0], folder)
    out, config = folder / "audio_out", str(folder / "schedule.yaml")
    c = EditorialCampaign(folder)
    try:
        operator, district = c.signed_in(COMMUNE), c.signed_in(DISTRICT)
        pages = {p: (out / p).read_bytes() for p in ("index.html", "2023-07-01/index.html", "2023-07-02/index.html")}
        portal_before = operator.get("/").text, district.get("/").text
        make_draft(folder)
        assert {p: (out / p).read_bytes() for p in pages} == pages
        assert (operator.get("/").text, district.get("/").text) == portal_before
        runner = CliRunner()
        shown = runner.invoke(app, ["diff", "-c", config])
        assert shown.exit_code == 0 and "2 sessions change" in shown.output
        assert [line.split()[1:] for line in shown.output.splitlines() if line.startswith("changed")] == [list(s) for s in CHANGED]
        draft = list_releases(out)[-1]
        assert runner.invoke(app, ["approve", "--by", "Trưởng ban", "-c", config]).exit_code == 0
        new = {s.slot: s for s in draft.sessions}
        files = {(p["date"], p["time"], p["station"]): p["file"] for p in draft.manifest["programmes"]}
        for date in ("2023-07-01", "2023-07-02"):
            day = (out / date / "index.html").read_text(encoding="utf-8")
            assert Path(files[(date, "17:00", COMMUNE)]).name in day and day.encode() != pages[f"{date}/index.html"]
        index = (out / "index.html").read_text(encoding="utf-8")  # the front page links the days that name them
        assert "2023-07-01/index.html" in index and "2023-07-02/index.html" in index
        commune_now, district_now = operator.get("/").text, district.get("/").text
        assert new[CHANGED[0]].key in commune_now and new[CHANGED[0]].key not in portal_before[0]
        assert commune_now != portal_before[0]
        assert district_now == portal_before[1]  # the district's sessions did not change
    finally:
        c.db.close()


def test_an_emergency_draft_over_the_live_rotation_is_approved_in_one_step(campaign_copy):
    folder = campaign_copy
    config = folder / "schedule.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "approval: required\n", encoding="utf-8")
    c = EditorialCampaign(folder)
    try:
        programmes = json.loads(c.live_bytes())["programmes"]
        assert add(folder, "--level", "emergency", "--title", "Cảnh báo mạo danh ngân hàng", "--text",
                   "Ngân hàng không gọi điện xin mã OTP.").exit_code == 0
        assert CliRunner().invoke(app, ["build", "--bulletins-only", "-c", str(config)]).exit_code == 0
        editor = c.editor()
        page = editor.get("/approval").text
        assert "Cảnh báo mạo danh ngân hàng" in page and "Không buổi phát nào thay đổi." in page
        assert "Đài truyền thanh xã Phú Lâm: 17:00" in page and "Đài Truyền thanh huyện Tân Phú: 05:30" in page
        done = approve_form(editor, "/approval/emergency", csrf=csrf_of(page), release=find(c.out, None).id)
        assert done.status_code == 303
        assert json.loads(c.live_bytes())["programmes"] == programmes
        for station in (COMMUNE, DISTRICT):
            assert "Cảnh báo mạo danh ngân hàng" in c.signed_in(station).get("/").text.split("<h2>Hôm nay")[0]
        assert 'id="no-draft"' in editor.get("/approval").text
    finally:
        c.db.close()


@pytest.mark.slow
def test_an_editor_approves_on_the_real_server_and_the_operator_hears_the_new_release(campaign):
    import httpx

    from portal_support import Server

    links = campaign.links
    draft = find(campaign.out, None)
    new_key = next(s.key for s in draft.sessions if s.slot == CHANGED[0])
    server = Server(campaign.folder / "schedule.yaml")  # `broadcast serve`: the portal knows its schedule.yaml
    try:
        with httpx.Client(base_url=server.url) as op, httpx.Client(base_url=server.url) as ed:
            op.get(links[COMMUNE], follow_redirects=True)
            assert new_key not in op.get("/").text
            login = ed.get("/editor/login").text
            assert ed.post("/editor/login", data={"csrf": csrf_of(login), "name": "so-tt", "password": PASSWORD}).status_code == 303
            page = ed.get("/approval").text
            assert ed.get(players(page)[0]).headers["content-type"] == "audio/mpeg"
            assert ed.post("/approval/approve", data={"csrf": csrf_of(page), "release": draft.id}).status_code == 303
            assert new_key in op.get("/").text
            assert op.get(f"/audio/{new_key}").status_code == 200
    finally:
        server.stop()


def test_the_first_draft_with_nothing_live_lists_every_session_as_new_with_its_player(campaign_copy):
    folder = campaign_copy
    c = EditorialCampaign(folder)
    try:
        shutil.rmtree(folder / "audio_out")
        config = folder / "schedule.yaml"
        config.write_text(config.read_text(encoding="utf-8") + "approval: required\n", encoding="utf-8")
        assert build_small_campaign(config).draft  # voiced from the cache: nothing is live yet
        assert c.signed_in(COMMUNE).get("/").text.count("<audio") == 0
        editor = c.editor()
        page = editor.get("/approval").text
        assert "Chưa có bản nào." in page and page.count("<b>Buổi mới</b>") == 4
        urls = players(page)
        assert len(urls) == 4
        assert all(decode_mp3(editor.get(u).content).duration_seconds > 10 for u in urls)
        assert approve_form(editor, csrf=csrf_of(page), release=find(c.out, None).id).status_code == 303
        assert c.signed_in(COMMUNE).get("/").text.count("<audio") >= 1
    finally:
        c.db.close()
