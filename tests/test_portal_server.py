"""End to end against a real `broadcast serve` (uvicorn) process on 127.0.0.1."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import sys

import httpx
import pytest

from portal_support import SRC, Server, SlowDownload, open_deleted_files

pytestmark = pytest.mark.slow


def accounts(folder):
    out = subprocess.run([sys.executable, "-m", "broadcast.cli", "accounts", "init", "-c", str(folder / "schedule.yaml")],
                         capture_output=True, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}, check=True)
    return {r["station"]: r["link"] for r in csv.DictReader(io.StringIO(out.stdout.decode()))}


def test_a_confirmation_on_the_real_server_survives_kill_9_and_reaches_the_report(campaign_copy):
    links = accounts(campaign_copy)
    server = Server(campaign_copy / "schedule.yaml")
    try:
        with httpx.Client(base_url=server.url) as c:
            assert c.get(links["tan-phu-phu-lam"], follow_redirects=True).status_code == 200
            page = c.get("/").text
            key = re.search(r'src="/audio/([^"]+)"', page).group(1)
            audio = c.get(f"/audio/{key}")
            assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg" and len(audio.content) > 10000
            part = c.get(f"/audio/{key}", headers={"Range": "bytes=0-99"})
            assert part.status_code == 206 and len(part.content) == 100
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            form = {"csrf": csrf, "station": "tan-phu-phu-lam", "date": "2023-07-01", "slot": "17:00", "status": "aired"}
            for _ in range(2):  # a double tap
                assert c.post("/confirm", data=form).status_code == 303
    finally:
        server.kill()  # kill -9: nothing more than what was committed survives
    restarted = Server(campaign_copy / "schedule.yaml")
    try:
        with httpx.Client(base_url=restarted.url) as c:
            c.get(links["tan-phu-phu-lam"], follow_redirects=True)
            assert "Đã ghi: <b>Đã phát</b>" in c.get("/").text
    finally:
        log = restarted.stop()
    assert not any(link.rsplit("/", 1)[1] in log for link in links.values())  # tokens never logged
    out = subprocess.run([sys.executable, "-m", "broadcast.cli", "report", "-c", str(campaign_copy / "schedule.yaml")],
                         capture_output=True, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}, check=True)
    rows = {r["Mã đài"]: r for r in csv.DictReader(io.StringIO(out.stdout.decode("utf-8-sig").split("\r\n\r\n")[0]))}
    assert rows["tan-phu-phu-lam"]["Số buổi đã phát"] == "1" and rows["tan-phu"]["Số buổi đã phát"] == "0"


def test_a_rebuild_while_a_download_streams_never_breaks_it_and_later_downloads_get_the_new_file(campaign_copy):
    from conftest import build_small_campaign
    from faults_support import mp3_problem

    station = "tan-phu-phu-lam"
    out, schedule = campaign_copy / "audio_out", campaign_copy / "schedule.yaml"

    def build_at(kbps: int) -> dict:
        """Rebuild at another bitrate (every session changes); the live manifest's record of the station's today."""
        text = re.sub(r"bitrate_kbps: \d+", f"bitrate_kbps: {kbps}", schedule.read_text(encoding="utf-8"))
        schedule.write_text(text, encoding="utf-8")
        build_small_campaign(schedule)
        m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        return next(p for p in m["programmes"] if p["station"] == station and p["date"] == "2023-07-01")

    # Files larger than the kernel's socket buffers (4 MB on loopback), so the server is still reading the file
    # from its descriptor when the rebuild replaces and removes it.
    old = build_at(320)
    assert old["bytes"] > 5_000_000
    links = accounts(campaign_copy)
    server = Server(campaign_copy / "schedule.yaml")
    try:
        with httpx.Client(base_url=server.url) as c:
            c.get(links[station])
            cookie = f"bc_session={c.cookies['bc_session']}"
            assert f"/audio/{old['key']}" in c.get("/").text
            download = SlowDownload(server.url, f"/audio/{old['key']}?download=1", cookie)
            assert download.status == 200 and int(download.headers["content-length"]) == old["bytes"]
            download.read(32 * 1024)
            new = build_at(256)  # the session changes: a new file, and the build tidies the old one away
            assert new["key"] != old["key"] and not (out / old["file"]).exists()
            assert str((out / old["file"]).resolve()) in open_deleted_files(server.proc.pid)  # still mid-stream
            body = download.finish()
            assert len(body) == old["bytes"] and hashlib.sha256(body).hexdigest() == old["sha256"]
            (campaign_copy / "got.mp3").write_bytes(body)
            assert mp3_problem(campaign_copy / "got.mp3") is None
            # After the rebuild: the page links the new file, and a page loaded before it gets the new file too.
            assert f"/audio/{new['key']}" in c.get("/").text
            for key in (new["key"], old["key"]):
                after = c.get(f"/audio/{key}?download=1", follow_redirects=True)
                assert after.status_code == 200 and hashlib.sha256(after.content).hexdigest() == new["sha256"]
                assert f'filename="{station}_2023-07-01_17h00.mp3"' in after.headers["content-disposition"]
            assert c.get(f"/audio/{old['key']}", headers={"Range": "bytes=0-99"}).status_code == 307
    finally:
        server.stop()
