#!/usr/bin/env python3
"""Benchmark: an emergency bulletin for every station of the shipped campaign, from `bulletin add` to a
published programme for each station, offline (issue 12: at most 60 s). Also the time for one station.

Run: .venv/bin/python scripts/bench_bulletin.py [--keep DIR]. `bench_emergency_bulletin()` is the function
scripts/bench.py calls; it returns the figures as a dict. Each run is a fresh folder with a cold voice cache,
so the time includes voicing the bulletin (espeak-ng), the chimes and joining every station's programme.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 60.0
TEXT = ("Hiện nay xuất hiện các cuộc gọi giả danh công an yêu cầu chuyển tiền để xác minh tài khoản. "
        "Công an không bao giờ làm việc qua điện thoại như vậy. Khi nghi ngờ, hãy gọi 113.")


def _cli(folder: Path, *args: str) -> None:
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "broadcast.cli", *args, "-c", str(folder / "schedule.yaml")],
                   check=True, env=env, stdout=subprocess.DEVNULL)


def _campaign(folder: Path) -> Path:
    """The shipped schedule.yaml, voiced offline, writing into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "schedule.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(  engine:) \w+", r"\1 espeak", text)
    (folder / "schedule.yaml").write_text(text, encoding="utf-8")
    return folder / "schedule.yaml"


def _one_run(folder: Path, stations: tuple[str, ...]) -> tuple[float, int]:
    config = _campaign(folder)
    started = time.perf_counter()
    _cli(folder, "bulletin", "add", "--level", "emergency", "--title", "Cảnh báo cuộc gọi giả danh công an",
         "--text", TEXT, *(a for s in stations for a in ("--stations", s)))
    _cli(folder, "build", "--bulletins-only")
    seconds = time.perf_counter() - started
    manifest = json.loads((config.parent / "audio_out" / "manifest.json").read_text(encoding="utf-8"))
    published = [b for b in manifest["bulletins"] if (config.parent / "audio_out" / b["file"]).is_file()]
    return seconds, len(published)


def bench_emergency_bulletin(workdir: Path | None = None) -> dict:
    """Seconds from `bulletin add` to every station's published emergency programme, and for one station."""
    with tempfile.TemporaryDirectory(prefix="bench-bulletin-") as tmp:
        base = Path(workdir) if workdir else Path(tmp)
        sys.path.insert(0, str(ROOT / "src"))
        from broadcast.project import open_project

        stations = [s.id for s in open_project(_campaign(base / "probe")).schedule.stations]
        all_s, all_n = _one_run(base / "all", ())
        one_s, one_n = _one_run(base / "one", (stations[-1],))
    return {"stations": len(stations), "published": all_n, "all_stations_s": round(all_s, 2),
            "one_station_s": round(one_s, 2), "one_published": one_n, "target_s": TARGET_S,
            "ok": all_n == len(stations) and one_n == 1 and all_s <= TARGET_S}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="Keep the run folders here.")
    figures = bench_emergency_bulletin(parser.parse_args().keep)
    print(f"emergency bulletin, all {figures['stations']} stations: {figures['all_stations_s']} s "
          f"({figures['published']} programmes published; target <= {TARGET_S:.0f} s)")
    print(f"emergency bulletin, one station: {figures['one_station_s']} s")
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
