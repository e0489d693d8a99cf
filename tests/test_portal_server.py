"""End to end against a real `broadcast serve` (uvicorn) process on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys

import httpx
import pytest

from portal_support import SRC, Server

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
