#!/usr/bin/env python3
"""Benchmark the campaign build against its limits (issue 6): one table of figures from one run.

Run: .venv/bin/python scripts/bench.py [--quick] [--keep DIR]. Ratios make a noisy machine matter less;
RSS and seconds of the large runs come from child processes (os.wait4 gives each child's peak RSS).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:  # works from a checkout even without `pip install -e`
    sys.path.insert(0, str(ROOT / "src"))

log = logging.getLogger("bench")


@dataclass(frozen=True)
class Sizes:
    """How big each figure's run is."""

    small_stations: int  # cold build, no-change rebuild, assembly
    small_days: int
    province_stations: int
    province_days: int
    plan_stations: int
    naive_programmes: int  # the naive path is slow: a sample of programmes
    min_seconds: float  # each assembly method runs for at least this long per repeat
    repeats: int  # best of


FULL = Sizes(3, 2, 181, 20, 10_000, 6, 1.0, 3)
QUICK = Sizes(2, 1, 12, 3, 500, 2, 0.3, 2)


@dataclass(frozen=True)
class Row:
    figure: str
    measured: str
    target: str
    ok: bool | None  # None: for information only


# -- generated configs -------------------------------------------------------------------------

FIRST = ("An", "Bình", "Phú", "Tân", "Long", "Xuân", "Hòa", "Thạnh", "Gia", "Phước", "Hiệp", "Sông", "Bảo",
         "Vĩnh", "Thanh", "Trung")
SECOND = ("Lộc", "Thọ", "Hưng", "Điền", "Lợi", "Mỹ", "Tiến", "Quang", "Đông", "Tây", "Nam", "Bắc", "Hải",
          "Sơn", "Lâm", "Định")
DISTRICT_MIXES = ("{general: 2, workers: 2, elderly: 1, officials: 1}", "{general: 2, farmers: 2, elderly: 1}",
                  "{general: 2, farmers: 1, workers: 1, elderly: 1}")
COMMUNE_MIXES = ("{general: 2, elderly: 1, officials: 1}", "{workers: 3, general: 1, elderly: 1}",
                 "{farmers: 2, general: 1, elderly: 1}", "{general: 2, farmers: 1, elderly: 1}",
                 "{workers: 2, general: 1, elderly: 1}")
GROUP = 17  # like Đồng Nai: 11 district stations and 170 communes make 181


def place_name(n: int) -> str:
    """A distinct Vietnamese-looking place name for every n (digits only past 256)."""
    name = f"{FIRST[n % 16]} {SECOND[(n // 16) % 16]}"
    return name if n < 256 else f"{name} {n // 256 + 1}"


def shipped_sections() -> dict[str, str]:
    """The shipped schedule.yaml's top-level blocks by key, as text (comments kept)."""
    blocks: dict[str, str] = {}
    key = None
    for line in (ROOT / "schedule.yaml").read_text(encoding="utf-8").splitlines(keepends=True):
        top = re.match(r"([a-z_]+):", line)
        if top:
            key = top.group(1)
            blocks[key] = line
        elif line.startswith("#"):
            key = None
        elif key:
            blocks[key] += line
    return blocks


def stations_yaml(count: int) -> str:
    """`count` stations: a district station per group of 17, its communes after it; all south."""
    districts = max(1, -(-count // GROUP))
    communes = [0] * districts
    for n in range(count - districts):
        communes[n % districts] += 1
    out, n = [], 0
    for d in range(districts):
        district = place_name(n)
        out.append(f"  - id: h{d:03d}\n    name: \"Đài Truyền thanh huyện {district}\"\n    level: district\n"
                   f"    locality: \"huyện {district}\"\n    audiences: {DISTRICT_MIXES[d % 3]}\n    region: south\n")
        n += 1
        for c in range(communes[d]):
            commune = place_name(n)
            out.append(f"  - id: h{d:03d}-x{c:03d}\n    name: \"Đài truyền thanh xã {commune}\"\n    level: commune\n"
                       f"    district: h{d:03d}\n    locality: \"xã {commune}, huyện {district}\"\n"
                       f"    audiences: {COMMUNE_MIXES[n % 5]}\n    region: south\n")
            n += 1
    return "".join(out)


def write_config(folder: Path, stations: int, publish: str = "full") -> Path:
    """A schedule.yaml with the shipped campaign, voice, audio, levels and rotation, and generated stations."""
    blocks = shipped_sections()
    voice = re.sub(r"(?m)^(\s+engine:\s*)\S+", r"\1espeak", blocks["voice"])  # offline and deterministic
    text = (blocks["campaign"] + f"output: audio_out\npublish: {publish}\ntemplates: null\n" + voice
            + blocks["audio"] + blocks["levels"] + blocks["rotation"] + "stations:\n" + stations_yaml(stations))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "schedule.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# -- child processes: a build or a plan, whose peak RSS the parent reads -------------------------

def child_main(kind: str, config: Path, result: Path, to: str | None) -> None:
    """Run one build or one plan and write its figures as JSON to `result`."""
    start = time.perf_counter()
    if kind == "build":
        from broadcast.project import open_project
        from broadcast.publish import BuildOptions, build

        report = build(open_project(config), BuildOptions(end=dt.date.fromisoformat(to) if to else None))
        figures = {k: v for k, v in asdict(report).items() if k != "output"}
    else:
        from broadcast.config import load_schedule
        from broadcast.content import load_handbook
        from broadcast.plan import make_plan

        items = load_handbook().item_ids
        schedule = load_schedule(config, known_items=items)
        loaded = time.perf_counter()
        plan = make_plan(schedule, items, schedule.rotation.priority_items)
        figures = {"sessions": len(plan.sessions), "load_seconds": loaded - start}
    figures["seconds"] = time.perf_counter() - start
    result.write_text(json.dumps(figures), encoding="utf-8")


def run_child(kind: str, config: Path, to: dt.date | None = None) -> dict:
    """Run `kind` in a fresh interpreter; its figures plus wall seconds and peak RSS (MB) of its process tree."""
    result = config.with_name(f"{kind}-result.json")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--config", str(config),
           "--result", str(result)] + (["--to", to.isoformat()] if to else [])
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (its pool workers included)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"bench: {kind} of {config} failed (exit {proc.returncode})")
    figures = json.loads(result.read_text(encoding="utf-8"))
    return {**figures, "wall": wall, "rss_mb": usage.ru_maxrss / 1024}  # Linux: ru_maxrss is in KiB


# -- in-process figures ------------------------------------------------------------------------

def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def small_build(folder: Path, sizes: Sizes) -> tuple[object, object, float, object]:
    """Cold build of the small campaign in this process, one worker; (project, options, seconds, report)."""
    from broadcast.project import open_project
    from broadcast.publish import BuildOptions, build

    config = write_config(folder, sizes.small_stations)
    project = open_project(config)
    end = project.schedule.campaign.start + dt.timedelta(days=sizes.small_days - 1)
    # One worker: the raw baseline below runs in one process too, so the ratio compares like with like.
    options = BuildOptions(end=end, workers=1)
    seconds, report = timed(lambda: build(project, options))
    return project, options, seconds, report


def raw_voicing(project, options, scratch: Path) -> dict[str, float]:
    """Seconds to voice the build's unique segments directly and encode each once; and the mastering steps."""
    from pydub import AudioSegment

    from broadcast import audio
    from broadcast.audio.chime import generated_chime
    from broadcast.plan import make_plan
    from broadcast.publish import _Builder  # private, but its gather() yields exactly the build's segments
    from broadcast.speech import split_for_voice
    from broadcast.tts import open_engine

    schedule = project.schedule
    plan = make_plan(schedule, project.handbook.item_ids, set(schedule.rotation.priority_items))
    _programmes, specs = _Builder(project, options, None).gather(plan)
    took = dict.fromkeys(("synth", "encode", "speech", "master"), 0.0)
    engines: dict = {}
    for n, spec in enumerate(specs.values()):
        tags = audio.Tags(title=spec.label or spec.kind)
        start = time.perf_counter()
        if spec.kind == "chime":
            sound, sections = generated_chime(spec.audio.sample_rate), None
        else:
            engine = engines.setdefault(spec.voice, open_engine(spec.voice))
            sections = [[engine.synthesize(piece).audio for piece in split_for_voice(p)] for p in spec.paragraphs]
            pieces = [piece for section in sections for piece in section]
            sound = AudioSegment(data=b"".join(p.raw_data for p in pieces), sample_width=2,
                                 frame_rate=pieces[0].frame_rate, channels=1)
        took["synth"] += time.perf_counter() - start
        seconds, _ = timed(lambda: audio.export_mp3(sound, scratch / f"{n}.mp3", tags, spec.audio))
        took["encode"] += seconds
        # Not part of the raw figure: what the build adds per segment, for the breakdown.
        seconds, speech = timed(lambda: audio.build_speech(sections, spec.audio) if sections else sound)
        took["speech"] += seconds
        seconds, _ = timed(lambda: audio.master(speech, spec.audio))
        took["master"] += seconds
    took["segments"] = len(specs)
    return took


def best_rate(fn, nbytes: int, sizes: Sizes) -> float:
    """Bytes per second of `fn` (which handles `nbytes`): each repeat loops for min_seconds; best repeat."""
    best = 0.0
    for _ in range(sizes.repeats):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= sizes.min_seconds:
                break
        best = max(best, calls * nbytes / elapsed)
    return best


def assembly(out: Path, scratch: Path, sizes: Sizes, settings) -> dict[str, float]:
    """Throughput (segment bytes in per second) of join_mp3, a raw byte copy and the naive decode + encode."""
    from broadcast.audio import Tags, decode_mp3, export_mp3, join_mp3

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    programmes = [[out / manifest["segments"][k]["file"] for k in rec["segments"]] for rec in manifest["programmes"]]
    nbytes = sum(p.stat().st_size for parts in programmes for p in parts)
    for parts in programmes:  # warm the page cache: every method then reads from memory alike
        for p in parts:
            p.read_bytes()
    scratch.mkdir(parents=True, exist_ok=True)
    tags = Tags(title="Đài truyền thanh xã An Lộc, 05:30 ngày 1/7/2023", station="Đài truyền thanh xã An Lộc",
                campaign="bench", date="2023-07-01", items=("khoa-sim",), engine="espeak")

    def join() -> None:
        for n, parts in enumerate(programmes):
            join_mp3(parts, scratch / f"join-{n}.mp3", tags)

    def copy() -> None:
        for n, parts in enumerate(programmes):
            with open(scratch / f"copy-{n}.mp3", "wb") as target:
                for p in parts:
                    with open(p, "rb") as source:
                        shutil.copyfileobj(source, target, 1 << 20)

    sample = programmes[: sizes.naive_programmes]
    sample_bytes = sum(p.stat().st_size for parts in sample for p in parts)

    def naive() -> None:
        for n, parts in enumerate(sample):
            sound = sum((decode_mp3(p) for p in parts[1:]), decode_mp3(parts[0]))
            export_mp3(sound, scratch / f"naive-{n}.mp3", tags, settings)

    rates = {"join": best_rate(join, nbytes, sizes), "copy": best_rate(copy, nbytes, sizes)}
    start = time.perf_counter()
    naive()
    rates["naive"] = sample_bytes / (time.perf_counter() - start)
    rates["programmes"], rates["mb"] = len(programmes), nbytes / 1e6
    shutil.rmtree(scratch)
    return rates


# -- the run -----------------------------------------------------------------------------------

def machine() -> str:
    cpu = "?"
    try:
        found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = found.group(1).strip() if found else cpu
        ram = int(re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 1024 ** 2
    except (OSError, AttributeError):
        ram = 0.0
    return (f"{os.cpu_count()} CPUs ({cpu}), {ram:.0f} GB RAM, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}, {dt.datetime.now():%Y-%m-%d %H:%M}")


def check(ok: bool) -> bool:
    return bool(ok)


def run(root: Path, sizes: Sizes, quick: bool) -> list[Row]:
    rows: list[Row] = []
    say = lambda text: print(f"bench: {text}", file=sys.stderr, flush=True)  # noqa: E731

    # 1. Cold offline build of a small campaign, and the same segments voiced + encoded directly.
    say(f"cold build: {sizes.small_stations} stations x {sizes.small_days} days (espeak, one worker)")
    project, options, cold_s, report = small_build(root / "small", sizes)
    say(f"cold build: {cold_s:.1f} s, {report.segments_made} segments; now the raw baseline")
    (root / "raw").mkdir(parents=True, exist_ok=True)
    raw = raw_voicing(project, options, root / "raw")
    baseline = raw["synth"] + raw["encode"]
    rows.append(Row(f"cold build / raw synthesis+encode ({int(raw['segments'])} segments, {report.sessions} sessions)",
                    f"{cold_s / baseline:.2f}x ({cold_s:.1f} s / {baseline:.1f} s)", "<= 1.3x",
                    check(cold_s / baseline <= 1.3)))
    other = cold_s - baseline - raw["speech"] - raw["master"]
    rows.append(Row("  cold build breakdown (s)", f"synth {raw['synth']:.1f}, pauses/tempo {raw['speech']:.1f}, "
                    f"mastering {raw['master']:.1f}, encode {raw['encode']:.1f}, rest {other:.1f}", "", None))

    # 2. No-change rebuild.
    from broadcast.project import open_project
    from broadcast.publish import build

    again_s, again = timed(lambda: build(open_project(project.schedule.path), options))
    rows.append(Row("no-change rebuild: TTS calls / encodes", f"{again.tts_calls} / {again.encodes} "
                    f"({again.programmes_written} programmes rewritten)", "0 / 0",
                    check(again.tts_calls == 0 and again.encodes == 0 and again.programmes_written == 0)))
    rows.append(Row(f"no-change rebuild: seconds ({again.sessions} sessions)", f"{again_s:.2f} s", "", None))

    # 3. Programme assembly from the real segments of that build.
    say("assembly: join_mp3 vs byte copy vs naive decode + encode")
    rates = assembly(project.schedule.output, root / "assembly", sizes, project.audio_settings())
    mb = 1e6
    rows.append(Row(f"assembly vs byte copy ({int(rates['programmes'])} programmes, {rates['mb']:.0f} MB)",
                    f"{rates['join'] / rates['copy']:.2f}x ({rates['join'] / mb:.0f} vs {rates['copy'] / mb:.0f} MB/s)",
                    ">= 0.5x", check(rates["join"] / rates["copy"] >= 0.5)))
    rows.append(Row(f"assembly vs naive decode+encode ({min(sizes.naive_programmes, int(rates['programmes']))} programmes)",
                    f"{rates['join'] / rates['naive']:.0f}x ({rates['naive'] / mb:.1f} MB/s naive)", ">= 20x",
                    check(rates["join"] / rates["naive"] >= 20)))

    # 4. The provincial campaign: cold build once, then the warm rebuild measured in its own process.
    days = project.schedule.days()
    sessions_estimate = sizes.province_stations * sizes.province_days * 2
    programme_bytes = report.total_bytes / max(1, report.programmes_written)
    free = shutil.disk_usage(root).free
    mode = "full" if sessions_estimate * programme_bytes * 1.3 + 5e9 < free else "segments"
    province = write_config(root / "province", sizes.province_stations, mode)
    to = days[sizes.province_days - 1] if sizes.province_days < len(days) else None
    label = f"{sizes.province_stations} stations x {sizes.province_days} days x 2 sessions, publish: {mode}"
    say(f"province cold build: {label} (about {sessions_estimate * programme_bytes / 1e9:.1f} GB)")
    cold = run_child("build", province, to)
    rows.append(Row(f"province cold build ({label})", f"{cold['wall']:.0f} s, {cold['segments_made']} segments, "
                    f"{cold['total_bytes'] / 1e9:.1f} GB, RSS {cold['rss_mb']:.0f} MB", "", None))
    say(f"province cold build: {cold['wall']:.0f} s; now the warm rebuild")
    warm = run_child("build", province, to)
    rows.append(Row(f"province warm rebuild ({warm['sessions']} sessions)",
                    f"{warm['wall']:.1f} s (build() {warm['seconds']:.1f} s), {warm['tts_calls']} TTS calls, "
                    f"{warm['encodes']} encodes", "<= 60 s, 0 calls",
                    check(warm["wall"] <= 60 and warm["tts_calls"] == 0 and warm["encodes"] == 0)))
    rows.append(Row("province warm rebuild: peak RSS", f"{warm['rss_mb']:.0f} MB", "<= 300 MB",
                    check(warm["rss_mb"] <= 300)))

    # 5. Plan only, for a very large deployment.
    say(f"plan only: {sizes.plan_stations} stations")
    plan = run_child("plan", write_config(root / "plan", sizes.plan_stations, "segments"))
    rows.append(Row(f"plan only, {sizes.plan_stations} stations ({plan['sessions']} sessions)",
                    f"{plan['wall']:.1f} s (load {plan['load_seconds']:.1f} s + plan "
                    f"{plan['seconds'] - plan['load_seconds']:.1f} s)", "<= 30 s", check(plan["wall"] <= 30)))
    rows.append(Row("plan only: peak RSS", f"{plan['rss_mb']:.0f} MB", "", None))
    return rows


def table(rows: list[Row]) -> str:
    head = ("figure", "measured", "target", "result")
    cells = [head] + [(r.figure, r.measured, r.target, "" if r.ok is None else ("pass" if r.ok else "MISS"))
                      for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    line = lambda c: "| " + " | ".join(v.ljust(w) for v, w in zip(c, widths)) + " |"  # noqa: E731
    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells[1:])])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every figure at a small size (under two minutes)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR and keep it (default: a temp dir, removed)")
    parser.add_argument("--child", choices=("build", "plan"), help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--to", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.child:
        child_main(args.child, args.config, args.result, args.to)
        return 0
    sizes = QUICK if args.quick else FULL
    root = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="broadcast-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        rows = run(root, sizes, args.quick)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"broadcast bench{' --quick' if args.quick else ''}: {machine()}; {time.perf_counter() - start:.0f} s in all")
    print(table(rows))
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
