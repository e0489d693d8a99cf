#!/usr/bin/env python3
"""Benchmark the portal (issue 11): `broadcast serve` on 127.0.0.1 under simulated operators.

Figures: 200 operators (async HTTP) each open their link and page, download a session and confirm it: p50/p99
latency and errors; download throughput against Debian's nginx serving the same files in the same run; and a
burst of confirmations from 10,000 stations: none lost, seconds. The campaign is fabricated (a real MP3 of a
tone, copied per station, and a manifest naming them): the portal only reads the manifest, so no voicing is needed.

Run alone: .venv/bin/python scripts/bench_portal.py [--operators 200] [--burst 10000]; bench.py calls portal_rows().
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from bench_phone import Phone  # noqa: E402  (scripts/ is on the path: this script's own folder)

DAY, SLOT = "2023-07-01", "17:00"
FILES = 20  # distinct MP3 files (stations share them, as sessions of the same items do)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fabricate(root: Path, stations: int) -> Path:
    """A schedule with `stations` communes under one district, and an output folder whose manifest gives each
    commune one session today, pointing at real MP3 files. Returns schedule.yaml."""
    from broadcast.audio.ffmpeg import ffmpeg_exe

    out = root / "audio_out"
    (out / "mp3").mkdir(parents=True, exist_ok=True)
    for n in range(FILES):
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency={300 + 20 * n}:duration=120",
                        "-ac", "1", "-ar", "44100", "-b:a", "48k", str(out / "mp3" / f"s{n}.mp3")], check=True)
    lines = ["campaign: {name: \"Bench\", province: \"Đồng Nai\", start: 2023-07-01, end: 2023-07-02}",
             "output: audio_out", "voice: {engine: espeak}",
             "levels:", "  district: {slots: [{time: \"05:30\", max_minutes: 20}], items_per_session: 1}",
             "  commune: {slots: [{time: \"17:00\", max_minutes: 15}], items_per_session: 1}",
             "rotation: {min_airings: 0, min_gap_days: 1}", "stations:",
             "  - {id: huyen, name: \"Đài huyện\", level: district, locality: \"huyện\", audiences: {general: 1}}"]
    programmes = []
    for i in range(stations):
        sid = f"xa-{i:05d}"
        lines.append(f"  - {{id: {sid}, name: \"Đài xã {i}\", level: commune, district: huyen, locality: \"xã {i}\", "
                     "audiences: {general: 1}}")
        programmes.append({"key": f"k{i:05d}", "date": DAY, "time": SLOT, "station": sid, "station_name": f"Đài xã {i}",
                           "level": "commune", "audience": "general", "items": ["khoa-sim"], "titles": ["Khóa SIM"],
                           "segments": [], "file": f"mp3/s{i % FILES}.mp3", "playlist": f"p/{sid}.m3u8",
                           "script": f"p/{sid}.txt", "duration_s": 120.0})
    (root / "schedule.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps({"format": 1, "segments": {}, "programmes": programmes,
                                                   "files": [], "retired": []}), encoding="utf-8")
    return root / "schedule.yaml"


def links(schedule: Path) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-m", "broadcast.cli", "accounts", "init", "-c", str(schedule)], check=True,
                         capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    return {r["station"]: r["link"] for r in csv.DictReader(io.StringIO(out.stdout.decode()))}


class Process:
    def __init__(self, args: list[str], url: str, env: dict | None = None):
        self.url = url
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        import httpx

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{args[0]} exited: {self.proc.stderr.read().decode()[-500:]}")
            try:
                httpx.get(url, timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"{args[0]} did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def serve(schedule: Path) -> Process:
    port = free_port()
    return Process([sys.executable, "-m", "broadcast.cli", "serve", "--port", str(port), "--today", DAY,
                    "-c", str(schedule)], f"http://127.0.0.1:{port}", env={**os.environ, "PYTHONPATH": str(ROOT / "src")})


def nginx(root: Path) -> Process | None:
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(exe).exists():
        return None
    port = free_port()
    conf = root / "nginx.conf"
    conf.write_text(f"""worker_processes 1; pid {root}/nginx.pid; error_log {root}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; types {{ audio/mpeg mp3; }}
  client_body_temp_path {root}/nb; proxy_temp_path {root}/np; fastcgi_temp_path {root}/nf; uwsgi_temp_path {root}/nu;
  scgi_temp_path {root}/ns;
  server {{ listen 127.0.0.1:{port}; root {root / 'audio_out'}; }} }}
""")
    return Process([exe, "-c", str(conf), "-p", str(root), "-g", "daemon off;" + (" user root;" if os.getuid() == 0 else "")],
                   f"http://127.0.0.1:{port}/mp3/s0.mp3")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


async def loop_lag(stop: asyncio.Event, lags: list[float], period: float = 0.005) -> None:
    """How late the bench's own event loop wakes up: a stall here would be counted as the server's latency."""
    while not stop.is_set():
        t = time.perf_counter()
        await asyncio.sleep(period)
        lags.append(time.perf_counter() - t - period)


async def operators(url: str, stations: list[str], link: dict[str, str], concurrency: int) -> dict:
    """Each operator (a phone of its own: its connection and cookie): open the link, load the page, download the
    session, confirm it."""
    pages, confirms, errors, downloaded, lags = [], [], [], 0, []
    sem = asyncio.Semaphore(concurrency)
    stop = asyncio.Event()
    monitor = asyncio.create_task(loop_lag(stop, lags))
    start = time.perf_counter()

    async def one(station: str) -> None:
        nonlocal downloaded
        phone = Phone(url)
        async with sem:
            try:
                status, _, _ = await phone.request("GET", link[station])  # sign in (sets the cookie)
                if status != 303 or not phone.cookie:
                    raise RuntimeError(f"sign-in {status}")
                t = time.perf_counter()
                status, _, page = await phone.request("GET", "/")
                pages.append(time.perf_counter() - t)
                text = page.decode()
                csrf = re.search(r'name="csrf" value="([^"]+)"', text).group(1)
                key = re.search(r'href="/audio/([^"?]+)\?download=1"', text).group(1)
                status, headers, audio = await phone.request("GET", f"/audio/{key}?download=1")
                if status != 200 or headers["content-type"] != "audio/mpeg":
                    raise RuntimeError(f"download {status}")
                downloaded += len(audio)
                t = time.perf_counter()
                status, _, _ = await phone.request("POST", "/confirm", {"csrf": csrf, "station": station, "date": DAY,
                                                                        "slot": SLOT, "status": "aired"})
                confirms.append(time.perf_counter() - t)
                if status != 303:
                    raise RuntimeError(f"confirm {status}")
            except Exception as exc:  # counted, not raised: the bench reports errors
                errors.append(f"{station}: {exc!r}")
            finally:
                phone.close()

    await asyncio.gather(*(one(s) for s in stations))
    seconds = time.perf_counter() - start
    stop.set()
    await monitor
    return {"pages": pages, "confirms": confirms, "errors": errors, "bytes": downloaded, "seconds": seconds,
            "client_lag": lags}


async def downloads(url: str, paths: list[str], concurrency: int, cookie: str | None = None) -> float:
    """Bytes a second downloading `paths` through `concurrency` keep-alive connections."""
    queue, total = list(paths), 0

    async def worker() -> None:
        nonlocal total
        phone = Phone(url)
        phone.cookie = cookie
        while queue:
            status, _, body = await phone.request("GET", queue.pop())
            if status != 200:
                raise RuntimeError(f"download {status}")
            total += len(body)
        phone.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - start)


async def sign_in(url: str, link: str) -> str | None:
    """The session cookie a station's link gives."""
    phone = Phone(url)
    await phone.request("GET", link)
    phone.close()
    return phone.cookie


async def burst(url: str, stations: list[str], link: dict[str, str], concurrency: int) -> tuple[float, int]:
    """Every station signs in, then all confirm at once through `concurrency` connections (each request with its
    station's cookie); returns (seconds for the confirmations, confirmations refused or failed)."""
    signed: dict[str, tuple[str, str]] = {}
    problems: list[str] = []

    async def workers(job, todo: list[str]) -> None:
        queue = list(reversed(todo))

        async def worker() -> None:
            phone = Phone(url)
            while queue:
                await job(phone, queue.pop())
            phone.close()

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    async def sign_in(phone: Phone, station: str) -> None:
        for _ in range(3):  # a sign-in that fails is retried; one that never works is counted lost
            try:
                phone.cookie = None
                await phone.request("GET", link[station])
                _, _, page = await phone.request("GET", "/")
                signed[station] = (phone.cookie, re.search(r'name="csrf" value="([^"]+)"', page.decode()).group(1))
                return
            except (OSError, asyncio.IncompleteReadError, ValueError, AttributeError) as exc:
                problems.append(f"sign-in {station}: {exc!r}")
                phone.close()

    async def confirm(phone: Phone, station: str) -> None:
        if station not in signed:
            return
        phone.cookie, csrf = signed[station]
        try:
            status, _, body = await phone.request("POST", "/confirm", {"csrf": csrf, "station": station, "date": DAY,
                                                                       "slot": SLOT, "status": "aired"})
            if status != 303:
                problems.append(f"confirm {station}: {status} {body[:200]!r}")
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            problems.append(f"confirm {station}: {exc!r}")
            phone.close()

    await workers(sign_in, stations)
    start = time.perf_counter()
    before = len(problems)
    await workers(confirm, [s for s in stations if s in signed])
    seconds = time.perf_counter() - start
    if problems:
        print(f"burst: {len(problems)} problems, first: {'; '.join(problems[:3])}", file=sys.stderr)
    return seconds, len(stations) - len(signed) + len(problems) - before


def portal_rows(root: Path, n_operators: int = 200, n_burst: int = 10_000, say=print) -> list[tuple]:
    """The bench's portal figures as (figure, measured, target, ok) rows."""
    from broadcast.portal.database import Database

    root.mkdir(parents=True, exist_ok=True)
    stations_n = max(n_operators, n_burst)
    say(f"portal: fabricating a campaign of {stations_n} stations")
    schedule = fabricate(root, stations_n)
    link = links(schedule)
    ids = sorted(s for s in link if s.startswith("xa-"))
    rows: list[tuple] = []
    server = serve(schedule)
    web = nginx(root)
    try:
        say(f"portal: {n_operators} operators")
        op = asyncio.run(operators(server.url, ids[:n_operators], link, concurrency=20))
        if op["errors"]:
            say(f"portal: {len(op['errors'])} operators failed, first: {'; '.join(op['errors'][:3])}")
        p50p, p99p, p50c, p99c = pct(op["pages"], .5), pct(op["pages"], .99), pct(op["confirms"], .5), pct(op["confirms"], .99)
        rows.append((f"portal: {n_operators} operators (link, page, download, confirm; 20 at a time)",
                     f"{len(op['errors'])} errors; page p50 {p50p:.0f} ms p99 {p99p:.0f} ms; confirm p50 {p50c:.0f} ms "
                     f"p99 {p99c:.0f} ms; {op['seconds']:.1f} s (the bench's own loop lag p99 {pct(op['client_lag'], .99):.0f} ms)", "0 errors, p99 <= 200 ms",
                     not op["errors"] and p99p <= 200 and p99c <= 200))
        cookie = asyncio.run(sign_in(server.url, link[ids[0]]))
        # every download goes through the station's own session: the same station's file, many times
        portal_paths = ["/audio/k00000?download=1"] * 200
        nginx_paths = ["/mp3/s0.mp3"] * 200
        say("portal: download throughput vs nginx")
        # Each round moves 140 MB in a fraction of a second: best of 5 interleaved rounds, so a moment of load
        # on the shared machine does not decide the ratio (as the assembly figure in bench.py does).
        ours, theirs = 0.0, 0.0
        for _ in range(5):
            ours = max(ours, asyncio.run(downloads(server.url, portal_paths, 20, cookie)))
            if web is not None:
                theirs = max(theirs, asyncio.run(downloads(web.url.rsplit("/mp3", 1)[0], nginx_paths, 20)))
        if web is not None:
            rows.append(("portal: download throughput vs nginx (200 x 0.7 MB, 20 at a time, best of 5 interleaved)",
                         f"{ours / theirs:.2f}x ({ours / 1e6:.0f} vs {theirs / 1e6:.0f} MB/s)", ">= 0.5x",
                         ours / theirs >= 0.5))
        else:
            rows.append(("portal: download throughput", f"{ours / 1e6:.0f} MB/s (nginx not installed)", ">= 0.5x nginx", None))
        for row in rows:
            say("  " + " | ".join(map(str, row)))
        say(f"portal: burst of {n_burst} confirmations")
        seconds, failures = asyncio.run(burst(server.url, ids[:n_burst], link, concurrency=100))
        if server.proc.poll() is not None:
            say(f"portal: the server died: {server.proc.stderr.read().decode()[-800:]}")
    finally:
        server.stop()
        if web is not None:
            web.stop()
    db = Database(root / "portal.sqlite3")
    recorded = db.execute("SELECT COUNT(DISTINCT station) FROM asrun WHERE date=? AND slot=? AND status='aired'", (DAY, SLOT))[0][0]
    db.close()
    lost = n_burst - recorded
    rows.append((f"portal: burst of {n_burst} stations' confirmations (100 at a time)",
                 f"{lost} lost ({failures} refused); {seconds:.1f} s ({n_burst / seconds:.0f}/s)", "0 lost", lost == 0))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operators", type=int, default=200)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="broadcast-bench-portal-"))
    try:
        rows = portal_rows(root, args.operators, args.burst, say=lambda m: print(m, file=sys.stderr))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    for figure, measured, target, ok in rows:
        print(f"| {figure} | {measured} | {target} | {'' if ok is None else ('pass' if ok else 'MISS')} |")
    return 0 if all(r[3] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
