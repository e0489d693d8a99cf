"""The portal through the ASGI test client, on a small real campaign (real MP3s from an espeak build)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from broadcast.portal.accounts import init_links, rotate_link, set_editor_password
from broadcast.portal.app import create_app
from broadcast.portal.database import Database
from broadcast.portal.report import schedule_stations
from broadcast.project import open_project

PROJECT_SRC = Path(__file__).parent.parent / "src"
DISTRICT, COMMUNE = "tan-phu", "tan-phu-phu-lam"
PASSWORD = "mật-khẩu-đủ-dài"


class Campaign:
    def __init__(self, folder: Path):
        self.folder = folder
        self.schedule = open_project(folder / "schedule.yaml").schedule
        self.db = Database(folder / "portal.sqlite3")
        self.links = {l.station: l.link for l in init_links(self.db, [(s.id, s.name) for s in self.schedule.stations])}
        set_editor_password(self.db, "so-tt", PASSWORD)
        self.manifest = json.loads((folder / "audio_out" / "manifest.json").read_text(encoding="utf-8"))

    def client(self, today: str = "2023-07-01") -> TestClient:
        app = create_app(self.db, self.schedule.output, schedule_stations(self.schedule), dt.date.fromisoformat(today))
        return TestClient(app, base_url="http://testserver")

    def signed_in(self, station: str, today: str = "2023-07-01") -> TestClient:
        c = self.client(today)
        r = c.get(self.links[station], follow_redirects=True)
        assert r.status_code == 200
        return c

    def sessions(self, station: str) -> list[dict]:
        return [p for p in self.manifest["programmes"] if p["station"] == station]

    def aired_entries(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM asrun")[0][0]


@pytest.fixture
def campaign(campaign_copy):
    c = Campaign(campaign_copy)
    yield c
    c.db.close()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def confirm(client: TestClient, csrf: str | None, station: str, date: str, slot: str, status="aired", **extra):
    data = {"station": station, "date": date, "slot": slot, "status": status, **extra}
    if csrf is not None:
        data["csrf"] = csrf
    return client.post("/confirm", data=data, follow_redirects=False)


def test_a_station_link_signs_in_and_shows_only_that_stations_sessions_for_the_portal_date(campaign):
    c = campaign.signed_in(COMMUNE)
    assert "bc_session" in c.cookies
    page = c.get("/").text
    mine, theirs = campaign.sessions(COMMUNE), campaign.sessions(DISTRICT)
    today = [p for p in mine if p["date"] == "2023-07-01"][0]
    assert today["key"] in page and today["titles"][0] in page and "17:00" in page
    assert all(p["key"] not in page for p in theirs)
    assert "Đã phát" in page and "Không phát được" in page and "Mất điện" in page


def test_the_session_cookie_is_httponly_and_samesite(campaign):
    r = campaign.client().get(campaign.links[COMMUNE], follow_redirects=False)
    header = r.headers["set-cookie"].lower()
    assert r.status_code == 303 and "httponly" in header and "samesite=lax" in header and "secure" not in header


def test_behind_https_the_cookie_is_secure(campaign):
    c = TestClient(create_app(campaign.db, campaign.schedule.output, schedule_stations(campaign.schedule)),
                   base_url="https://portal.example")
    assert "secure" in c.get(campaign.links[COMMUNE], follow_redirects=False).headers["set-cookie"].lower()


def test_a_stations_mp3_is_served_as_audio_that_decodes_with_a_clean_file_name(campaign, tmp_path):
    from mutagen.mp3 import MP3

    c = campaign.signed_in(DISTRICT)
    s = campaign.sessions(DISTRICT)[0]
    r = c.get(f"/audio/{s['key']}?download=1")
    assert r.status_code == 200 and r.headers["content-type"] == "audio/mpeg"
    assert f'filename="tan-phu_{s["date"]}_05h30.mp3"' in r.headers["content-disposition"]
    path = tmp_path / "x.mp3"
    path.write_bytes(r.content)
    assert MP3(path).info.length == pytest.approx(s["duration_s"], abs=1.0)
    script = c.get(f"/script/{s['key']}")
    assert script.status_code == 200 and s["titles"][0] in script.text


def test_a_double_tap_records_once_and_a_correction_supersedes(campaign):
    c = campaign.signed_in(COMMUNE)
    csrf = csrf_of(c.get("/").text)
    assert confirm(c, csrf, COMMUNE, "2023-07-01", "17:00").status_code == 303
    assert confirm(c, csrf, COMMUNE, "2023-07-01", "17:00").headers["location"].startswith("/?m=same")
    assert campaign.aired_entries() == 1
    confirm(c, csrf, COMMUNE, "2023-07-01", "17:00", status="not_aired", reason="mat-dien", note="cúp điện cả xã")
    history = campaign.db.history(COMMUNE, "2023-07-01", "17:00")
    assert [e.status for e in history] == ["aired", "not_aired"] and history[1].supersedes == history[0].id
    assert "Mất điện" in c.get("/").text


def test_another_stations_session_cannot_be_downloaded_or_confirmed(campaign):
    c = campaign.signed_in(COMMUNE)
    csrf = csrf_of(c.get("/").text)
    theirs = campaign.sessions(DISTRICT)[0]
    assert c.get(f"/audio/{theirs['key']}").status_code == 403
    assert c.get(f"/audio/{theirs['key']}?download=1").status_code == 403
    assert c.get(f"/script/{theirs['key']}").status_code == 403
    assert confirm(c, csrf, DISTRICT, theirs["date"], theirs["time"]).status_code == 403
    assert campaign.aired_entries() == 0


def test_a_post_without_the_csrf_token_is_refused(campaign):
    c = campaign.signed_in(COMMUNE)
    assert confirm(c, None, COMMUNE, "2023-07-01", "17:00").status_code == 403
    assert confirm(c, "wrong", COMMUNE, "2023-07-01", "17:00").status_code == 403
    assert campaign.aired_entries() == 0


def test_a_session_not_in_the_live_plan_or_not_yet_due_is_refused(campaign):
    c = campaign.signed_in(COMMUNE)
    csrf = csrf_of(c.get("/").text)
    r = confirm(c, csrf, COMMUNE, "2023-07-01", "05:30")
    assert r.status_code == 404 and "không có trong kế hoạch" in r.text
    assert confirm(c, csrf, COMMUNE, "2023-07-02", "17:00").status_code == 400  # tomorrow
    assert campaign.aired_entries() == 0


def test_unknown_files_and_path_tricks_are_not_served(campaign):
    c = campaign.signed_in(COMMUNE)
    for url in ("/audio/..%2fmanifest.json", "/audio/manifest.json", "/audio/%2e%2e%2f%2e%2e%2fetc%2fpasswd"):
        assert c.get(url).status_code == 404


def test_a_late_confirmation_is_accepted_and_marked_late_and_unconfirmed_days_are_listed(campaign):
    c = campaign.signed_in(COMMUNE, today="2023-07-02")
    page = c.get("/").text
    assert "Những buổi chưa xác nhận" in page
    r = confirm(c, csrf_of(page), COMMUNE, "2023-07-01", "17:00")
    assert campaign.db.latest(COMMUNE, "2023-07-01", "17:00").late
    after = c.get(r.headers["location"]).text
    assert "báo muộn" in after and "Những buổi chưa xác nhận" not in after


def test_rotating_a_link_stops_the_old_link_and_its_phones(campaign):
    c = campaign.signed_in(COMMUNE)
    new = rotate_link(campaign.db, COMMUNE, "x").link
    assert c.get("/").status_code == 401
    assert campaign.client().get(campaign.links[COMMUNE]).status_code == 404
    assert campaign.client().get(new, follow_redirects=True).status_code == 200


def test_failed_sign_ins_are_rate_limited(campaign):
    c = campaign.client()
    codes = [c.get(f"/s/guess{n}").status_code for n in range(12)]
    assert codes[:10] == [404] * 10 and codes[10:] == [429, 429]
    assert c.get(campaign.links[COMMUNE], follow_redirects=False).status_code == 429


def editor_client(campaign, today="2023-07-01", password=PASSWORD):
    c = campaign.client(today)
    page = c.get("/editor/login").text
    r = c.post("/editor/login", data={"csrf": csrf_of(page), "name": "so-tt", "password": password}, follow_redirects=False)
    return c, r


def test_an_editor_signs_in_with_a_password_and_sees_the_dashboard_and_report(campaign):
    _, bad = editor_client(campaign, password="sai-mat-khau")
    assert bad.status_code == 401
    op = campaign.signed_in(COMMUNE)
    confirm(op, csrf_of(op.get("/").text), COMMUNE, "2023-07-01", "17:00")
    c, r = editor_client(campaign)
    assert r.status_code == 303
    page = c.get("/dashboard").text
    rows = re.findall(r"<tr class=\"(miss|done)\"><td>([^<]+)</td>", page)
    assert rows == [("miss", "Đài Truyền thanh huyện Tân Phú"), ("done", "Đài truyền thanh xã Phú Lâm")]
    assert "1/0/1" in page
    assert campaign.sessions(COMMUNE)[0]["titles"][0] in c.get("/dashboard/items").text
    report = c.get("/report.csv")
    assert report.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["Mã đài", "Tên đài", "Cấp"]
    assert c.get("/report.xlsx").content[:2] == b"PK"
    # an operator's session does not open the department's pages
    assert op.get("/dashboard", follow_redirects=False).status_code == 303


def test_login_without_csrf_is_refused(campaign):
    r = campaign.client().post("/editor/login", data={"name": "so-tt", "password": PASSWORD})
    assert r.status_code == 403


def test_names_and_titles_are_escaped(campaign):
    from broadcast.portal.report import StationInfo

    stations = [StationInfo(COMMUNE, "<script>alert(1)</script>", "commune", DISTRICT)]
    c = TestClient(create_app(campaign.db, campaign.schedule.output, stations, dt.date(2023, 7, 1)))
    c.get(campaign.links[COMMUNE])
    page = c.get("/").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "broadcast.cli", *args, "-c", str(folder / "schedule.yaml")],
                          capture_output=True, env={"PYTHONPATH": str(PROJECT_SRC), "PATH": "/usr/bin:/bin"})


def test_the_report_command_counts_one_aired_session_for_the_station_and_none_for_another(campaign, tmp_path):
    from openpyxl import load_workbook

    op = campaign.signed_in(COMMUNE)
    confirm(op, csrf_of(op.get("/").text), COMMUNE, "2023-07-01", "17:00")
    out = cli(campaign.folder, "report", "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(out.stdout.decode("utf-8-sig"))))
    header = rows[0]
    by_station = {r[0]: dict(zip(header, r)) for r in rows[1:3]}
    assert by_station[COMMUNE]["Số buổi đã phát"] == "1" and by_station[DISTRICT]["Số buổi đã phát"] == "0"
    assert by_station[COMMUNE]["Số buổi kế hoạch"] == "2" and by_station[COMMUNE]["Cấp"] == "Xã"
    assert float(by_station[COMMUNE]["Thời lượng đã phát (phút)"]) > 0
    xlsx = tmp_path / "r.xlsx"
    assert cli(campaign.folder, "report", "--format", "xlsx", "-o", str(xlsx)).returncode == 0
    wb = load_workbook(xlsx)
    sheet = list(wb["Theo đài"].iter_rows(values_only=True))
    found = {r[0]: r for r in sheet[1:]}
    assert found[COMMUNE][5] == 1 and found[DISTRICT][5] == 0
    assert wb["Theo nội dung"].max_row >= 2


def test_accounts_cli_prints_links_and_bad_input_exits_2(campaign_copy):
    out = cli(campaign_copy, "accounts", "init", "--base-url", "https://dai.example.vn/")
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(io.StringIO(out.stdout.decode())))
    assert rows[0] == ["station", "name", "link"] and len(rows) == 3
    assert all(re.fullmatch(r"https://dai\.example\.vn/s/[A-Za-z0-9_-]{43}", r[2]) for r in rows[1:])
    stored = Database(campaign_copy / "portal.sqlite3").execute("SELECT token_hash FROM station_link")
    assert all(r[2].rsplit("/", 1)[1] not in {h for (h,) in stored} for r in rows[1:])
    bad = cli(campaign_copy, "accounts", "rotate", "nope")
    assert bad.returncode == 2 and b"schedule.yaml" in bad.stderr and b"Traceback" not in bad.stderr
    bad = cli(campaign_copy, "report", "--format", "pdf")
    assert bad.returncode == 2 and b"Traceback" not in bad.stderr


def test_the_portal_database_is_set_in_schedule_yaml_and_a_wrong_key_is_located(campaign_copy):
    path = campaign_copy / "schedule.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "portal: {database: data/as-run.sqlite3}\n", encoding="utf-8")
    assert open_project(path).schedule.portal_database == campaign_copy / "data" / "as-run.sqlite3"
    assert cli(campaign_copy, "accounts", "init").returncode == 0
    assert (campaign_copy / "data" / "as-run.sqlite3").is_file()
    assert Database(campaign_copy / "data" / "as-run.sqlite3").execute("PRAGMA journal_mode")[0][0] == "wal"
    path.write_text(text + "portal: {databse: x.sqlite3}\n", encoding="utf-8")
    bad = cli(campaign_copy, "report")
    line = len(text.splitlines()) + 1
    assert bad.returncode == 2 and f"schedule.yaml:{line}: portal.databse: unknown key".encode() in bad.stderr


def test_a_not_aired_report_needs_a_known_reason(campaign):
    c = campaign.signed_in(COMMUNE)
    csrf = csrf_of(c.get("/").text)
    assert confirm(c, csrf, COMMUNE, "2023-07-01", "17:00", status="not_aired", reason="sấm sét").status_code == 400
    assert confirm(c, csrf, COMMUNE, "2023-07-01", "17:00", status="maybe").status_code == 400
    assert campaign.aired_entries() == 0
    confirm(c, csrf, COMMUNE, "2023-07-01", "17:00", status="not_aired", reason="khac", note="<b>loa hỏng</b>")
    page = c.get("/").text
    assert "&lt;b&gt;loa hỏng&lt;/b&gt;" in page and "<b>loa hỏng</b>" not in page


def test_migrations_are_numbered_and_reopening_keeps_the_log(tmp_path):
    from broadcast.portal.database import MIGRATIONS

    db = Database(tmp_path / "p.sqlite3")
    db.record("a", "2023-07-01", "17:00", "aired", None, "", False, "t")
    db.close()
    again = Database(tmp_path / "p.sqlite3")
    assert again.execute("PRAGMA user_version")[0][0] == len(MIGRATIONS)
    assert again.latest("a", "2023-07-01", "17:00").status == "aired"


def test_the_portal_follows_a_new_manifest_and_keeps_confirmations_by_slot(campaign):
    c = campaign.signed_in(COMMUNE)
    csrf = csrf_of(c.get("/").text)
    confirm(c, csrf, COMMUNE, "2023-07-01", "17:00")
    path = campaign.folder / "audio_out" / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    today = [p for p in data["programmes"] if p["station"] == COMMUNE and p["date"] == "2023-07-01"][0]
    today["key"] = "rebuilt-" + today["key"]  # a rebuild gives the session a new key and file name
    data["programmes"] = [p for p in data["programmes"] if not (p["station"] == COMMUNE and p["date"] == "2023-07-02")]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    page = c.get("/").text
    assert "/audio/rebuilt-" in page and "Đã ghi: <b>Đã phát</b>" in page  # still confirmed: keyed by slot
    assert c.get(f"/audio/{today['key']}").status_code == 200
    assert confirm(c, csrf, COMMUNE, "2023-07-02", "17:00").status_code == 404  # no longer in the live plan


def test_dates_read_as_vietnamese_write_them_and_times_in_vietnam_time():
    from broadcast.portal.app import vn_date, vn_moment

    assert vn_date("2023-07-01") == "1/7/2023" and vn_date("2023-12-20") == "20/12/2023"
    assert vn_moment("2026-12-02T02:42:49+00:00") == "09:42 ngày 2/12/2026"
    assert vn_moment("2023-07-19T20:30:00+00:00") == "03:30 ngày 20/7/2023"  # past midnight in Vietnam
    assert vn_date("không phải ngày") == "không phải ngày"
