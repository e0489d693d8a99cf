#!/usr/bin/env python3
"""Benchmark the campaign build against its limits (issue 6): one table of figures from one run.

Run: .venv/bin/python scripts/bench.py [--quick] [--keep DIR]. Ratios, and CPU seconds beside wall seconds,
make a noisy machine matter less; the large runs go in child processes (CPU from wait4, peak RSS from
/proc/self/status). Exit code 1 if a figure misses its target.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import re
import resource
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


@dataclass(frozen=True)
class Sizes:
    """How big each figure's run is."""

    small_stations: int  # cold build, no-change rebuild and assembly
    small_days: int
    small_only: int  # build only the last N stations of the small campaign (0: all)
    province_stations: int
    province_days: int
    warm_runs: int  # warm rebuilds of the province; the fastest is reported
    plan_stations: int
    naive_programmes: int  # the naive path is slow: a sample of programmes
    min_seconds: float  # each assembly method runs for at least this long per repeat
    repeats: int  # best of


    online_pieces: int  # pieces fetched from the local gTTS fake


FULL = Sizes(3, 2, 0, 181, 20, 2, 10_000, 6, 1.0, 3, 120)
QUICK = Sizes(2, 1, 1, 2, 1, 1, 500, 2, 0.3, 2, 24)
ONLINE_DELAY_S = 0.3  # the fake answers after this long, like a server far away
ONLINE_429_EVERY = 15  # one request in this many gets a 429


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
    # This process's own peak: ru_maxrss after fork + exec would also hold the parent's peak.
    status = Path("/proc/self/status").read_text(encoding="ascii")
    figures["rss_mb"] = int(re.search(r"VmHWM:\s*(\d+)", status).group(1)) / 1024
    result.write_text(json.dumps(figures), encoding="utf-8")


def run_child(kind: str, config: Path, to: dt.date | None = None) -> dict:
    """Run `kind` in a fresh interpreter: its figures (peak RSS of its main process in MB), wall and CPU seconds."""
    result = config.with_name(f"{kind}-result.json")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--config", str(config),
           "--result", str(result)] + (["--to", to.isoformat()] if to else [])
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)  # this child's rusage (its pool workers included)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"bench: {kind} of {config} failed (exit {proc.returncode})")
    figures = json.loads(result.read_text(encoding="utf-8"))
    # CPU counts the child, its pool workers and their ffmpeg runs.
    return {**figures, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime}


# -- in-process figures ------------------------------------------------------------------------

def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (ffmpeg): steadier than wall time on a busy machine."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


NESTED = ("encoding runs", "MP3 checks", "first measures")  # steps inside the build's other steps


def scipy_import_cpu() -> float:
    """CPU seconds a fresh process spends importing scipy.signal (the meter's filters; once per process)."""
    code = ("import resource, numpy; c = resource.getrusage(resource.RUSAGE_SELF); import scipy.signal; "
            "d = resource.getrusage(resource.RUSAGE_SELF); print(d.ru_utime + d.ru_stime - c.ru_utime - c.ru_stime)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


@contextlib.contextmanager
def stage_clock(spent: dict[str, float]):
    """Add the CPU seconds of the build's audio steps to `spent`, by wrapping them where the build looks them up."""
    import importlib

    from broadcast import audio, tts

    mastering = importlib.import_module("broadcast.audio.mastering")
    process = importlib.import_module("broadcast.audio.process")
    steps = {(audio, "master_mp3"): "mastering+encode", (audio, "build_speech_measured"): "pauses/tempo",
             (audio, "chime_sound"): "chime", (tts, "voice_pieces"): "voicing",
             # Within those (NESTED: not added to the total):
             (mastering, "encode_into"): "encoding runs", (mastering, "mp3_loudness"): "MP3 checks",
             (process, "pcm_loudness"): "first measures"}
    originals = {where: getattr(*where) for where in steps}

    def wrap(fn, name):
        def timed_step(*args, **kwargs):
            start = cpu_seconds()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + cpu_seconds() - start
        return timed_step

    for (module, attr), name in steps.items():
        setattr(module, attr, wrap(originals[(module, attr)], name))
    try:
        yield spent
    finally:
        for (module, attr), fn in originals.items():
            setattr(module, attr, fn)


def small_build(folder: Path, sizes: Sizes):
    """Cold build of the small campaign in this process, one worker: (project, options, wall, cpu, stages, report)."""
    from broadcast.project import open_project
    from broadcast.publish import BuildOptions, build

    config = write_config(folder, sizes.small_stations)
    project = open_project(config)
    end = project.schedule.campaign.start + dt.timedelta(days=sizes.small_days - 1)
    only = tuple(s.id for s in project.schedule.stations[-sizes.small_only:]) if sizes.small_only else ()
    # One worker: the build's steps then run here, where stage_clock sees them, like the raw baseline.
    options = BuildOptions(end=end, stations=only, workers=1)
    with stage_clock({}) as stages:
        cpu, wall = cpu_seconds(), time.perf_counter()
        report = build(project, options)
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    return project, options, wall, cpu, stages, report


def raw_voicing(project, options, scratch: Path) -> dict[str, float]:
    """The build's unique segments voiced directly by the engine, put together as the build puts them (trims,
    pauses, resampling, tempo, edges: `build_speech`) and encoded once each with no mastering: CPU and wall
    seconds, and the seconds of audio encoded (the same as the build's segments hold)."""
    from broadcast import audio
    from broadcast.audio.chime import chime_sound
    from broadcast.publish import segment_specs
    from broadcast.speech import split_for_voice
    from broadcast.tts import open_engine

    specs = segment_specs(project, options, manifest={})  # planned as the cold build planned them
    engines: dict = {}
    encode = seconds = 0.0
    cpu, wall = cpu_seconds(), time.perf_counter()
    for n, spec in enumerate(specs):
        if spec.kind == "chime":
            sound = chime_sound(spec.audio)
        else:
            engine = engines.setdefault(spec.voice, open_engine(spec.voice))
            sections = [[engine.synthesize(piece).audio for piece in split_for_voice(p)] for p in spec.paragraphs]
            sound = audio.build_speech(sections, spec.audio)
        start = cpu_seconds()
        audio.export_mp3(sound, scratch / f"{n}.mp3", audio.Tags(title=spec.label or spec.kind), spec.audio)
        encode += cpu_seconds() - start
        seconds += len(sound) / 1000
    return {"cpu": cpu_seconds() - cpu, "wall": time.perf_counter() - wall, "segments": len(specs), "encode": encode,
            "seconds": seconds}


def _online_worker_init(url: str) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from fake_gtts import gtts_pointed_at

    gtts_pointed_at(url).__enter__()  # for the life of this worker process


def _online_fetch(text: str) -> int:
    from broadcast.tts import GTTSEngine, VoiceSettings

    engine = GTTSEngine(VoiceSettings(engine="gtts", backoff_s=0.1))  # the default budget
    engine.fetch(text)
    return engine.requests


def online(sizes: Sizes, workers: int) -> dict[str, float]:
    """Pieces a second through the real gTTS path against the local fake (300 ms answers, some 429s)."""
    from concurrent.futures import ProcessPoolExecutor

    sys.path.insert(0, str(ROOT / "tests"))
    from fake_gtts import FakeGTTS

    from broadcast.tts import VoiceSettings

    script = (["ok"] * (ONLINE_429_EVERY - 1) + ["429"]) * (sizes.online_pieces // ONLINE_429_EVERY + 2)
    texts = [f"Câu thử số {n}, xin chào bà con." for n in range(sizes.online_pieces)]
    with FakeGTTS(*script, delay_s=ONLINE_DELAY_S) as fake:
        with ProcessPoolExecutor(max_workers=workers, initializer=_online_worker_init, initargs=(fake.url,)) as pool:
            list(pool.map(_online_fetch, texts[:workers]))  # warm the workers up (imports), outside the clock
            first, wall = fake.requests, time.perf_counter()
            attempts = sum(pool.map(_online_fetch, texts[workers:], chunksize=1))
            wall = time.perf_counter() - wall
        refused = fake.answers[first:].count("429")
    pieces = len(texts) - workers
    budget = VoiceSettings().requests_per_second
    return {"pieces": pieces, "wall": wall, "rate": pieces / wall, "budget": budget, "attempts": attempts,
            "refused": refused}


def shipped_pieces() -> int:
    """How many pieces of text a cold build of the shipped campaign sends to the voice."""
    from broadcast.project import open_project
    from broadcast.publish import segment_specs
    from broadcast.speech import split_for_voice

    specs = segment_specs(open_project(ROOT / "schedule.yaml"), manifest={})
    return len({piece for spec in specs for paragraph in spec.paragraphs for piece in split_for_voice(paragraph)})


def worst_segment(out: Path, settings) -> dict:
    """The speech segment furthest from the loudness target, and the highest true peak, measured on the MP3s."""
    from broadcast import audio
    from broadcast.manifest import load_manifest

    found = {"segments": 0, "off_lu": 0.0, "lufs": settings.loudness_lufs, "name": "-", "peak": -99.0,
             "ceiling": settings.true_peak_dbtp}
    for seg in load_manifest(out).get("segments", {}).values():
        if seg.get("kind") == "chime":
            continue
        got = audio.measure(out / seg["file"])
        found["segments"] += 1
        off = got.integrated_lufs - settings.loudness_lufs
        if abs(off) >= abs(found["off_lu"]):
            found.update(off_lu=off, lufs=got.integrated_lufs, name=seg.get("label") or seg["file"])
        found["peak"] = max(found["peak"], got.true_peak_dbtp)
    return found


def best_rates(methods: dict, nbytes: int, scratch: Path, sizes: Sizes) -> dict[str, float]:
    """Bytes per second of each method (`nbytes` per call, into a new folder each call, as a build writes new
    files); repeats interleave the methods and the best repeat counts."""
    best = dict.fromkeys(methods, 0.0)
    for _ in range(sizes.repeats):
        for name, fn in methods.items():
            calls, start = 0, time.perf_counter()
            while True:
                target = scratch / f"{name}-{calls}"
                target.mkdir()
                fn(target)
                calls += 1
                elapsed = time.perf_counter() - start
                if elapsed >= sizes.min_seconds:
                    break
            best[name] = max(best[name], calls * nbytes / elapsed)
            for n in range(calls):
                shutil.rmtree(scratch / f"{name}-{n}")
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

    def join(folder: Path) -> None:
        for n, parts in enumerate(programmes):
            join_mp3(parts, folder / f"{n}.mp3", tags)

    def copy(folder: Path) -> None:
        for n, parts in enumerate(programmes):
            with open(folder / f"{n}.mp3", "wb") as target:
                for p in parts:
                    with open(p, "rb") as source:
                        shutil.copyfileobj(source, target, 1 << 20)

    sample = programmes[: sizes.naive_programmes]
    sample_bytes = sum(p.stat().st_size for parts in sample for p in parts)

    def naive() -> None:
        for n, parts in enumerate(sample):
            sound = sum((decode_mp3(p) for p in parts[1:]), decode_mp3(parts[0]))
            export_mp3(sound, scratch / f"naive-{n}.mp3", tags, settings)

    rates = best_rates({"join": join, "copy": copy}, nbytes, scratch, sizes)
    start = time.perf_counter()
    naive()
    rates["naive"] = sample_bytes / (time.perf_counter() - start)
    rates.update(programmes=len(programmes), naive_programmes=len(sample), mb=nbytes / 1e6)
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


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def run(root: Path, sizes: Sizes) -> list[Row]:
    """Measure every figure; return the table's rows."""
    rows: list[Row] = []

    def say(text: str) -> None:
        print(f"bench: {text}", file=sys.stderr, flush=True)

    # 1. Cold offline build of a small campaign, and the same segments voiced + encoded directly.
    say(f"cold build: {sizes.small_stations} stations x {plural(sizes.small_days, 'day')} (espeak, one worker)")
    project, options, cold_wall, cold_cpu, stages, report = small_build(root / "small", sizes)
    say(f"cold build: {cold_wall:.1f} s, {report.segments_made} segments; now the raw baseline")
    (root / "raw").mkdir(parents=True, exist_ok=True)
    raw = raw_voicing(project, options, root / "raw")
    ratio = cold_cpu / raw["cpu"]
    rows.append(Row(f"cold build / raw synthesis+encode ({raw['segments']} segments, {report.sessions} sessions)",
                    f"{ratio:.2f}x CPU ({cold_cpu:.1f} / {raw['cpu']:.1f} s); wall {cold_wall:.1f} / {raw['wall']:.1f} s",
                    "<= 1.3x", ratio <= 1.3))
    parts = ", ".join(f"{name} {stages.get(name, 0.0):.1f}" for name in
                      ("voicing", "pauses/tempo", "chime", "mastering+encode"))
    mastering = stages.get("mastering+encode", 0.0)
    top = sum(v for name, v in stages.items() if name not in NESTED)
    rows.append(Row("  where the cold build's CPU goes (s)", f"{parts}, rest {cold_cpu - top:.1f}; "
                    f"mastering+encode is {mastering / raw['encode']:.2f}x the raw encode ({raw['encode']:.1f} s)",
                    "", None))
    rows.append(Row("  within those (s)", f"encoding runs (gain, limiter, lowpass, encoder) {stages.get('encoding runs', 0):.1f}, "
                    f"checks of the published MP3s (decode + meter) {stages.get('MP3 checks', 0):.1f}, first measures "
                    f"{stages.get('first measures', 0):.1f} (with importing scipy.signal once: {scipy_import_cpu():.1f} s "
                    "in a fresh process)", "", None))
    corrections = report.encodes - report.segments_made
    rows.append(Row("  mastering passes (one encode each)", f"{report.encodes} for {report.segments_made} segments: "
                    f"{corrections} correction{'' if corrections == 1 else 's'}", "", None))

    worst = worst_segment(project.schedule.output, project.audio_settings())
    rows.append(Row(f"worst segment of the cold build ({worst['segments']} speech segments)",
                    f"{worst['off_lu']:+.1f} LU off ({worst['lufs']:.1f} LUFS, {worst['name']}); "
                    f"highest true peak {worst['peak']:.1f} dBTP",
                    f"within 0.5 LU, <= {worst['ceiling']:g} dBTP",
                    abs(worst["off_lu"]) <= 0.5 and worst["peak"] <= worst["ceiling"]))

    # 2. No-change rebuild.
    from broadcast.project import open_project
    from broadcast.publish import build

    again_s, again = timed(lambda: build(open_project(project.schedule.path), options))
    rows.append(Row("no-change rebuild: TTS calls / encodes", f"{again.tts_calls} / {again.encodes} "
                    f"({again.programmes_written} programmes rewritten)", "0 / 0",
                    again.tts_calls == 0 and again.encodes == 0 and again.programmes_written == 0))
    rows.append(Row(f"no-change rebuild: seconds ({again.sessions} sessions)", f"{again_s:.2f} s", "", None))

    # 3. Programme assembly from the real segments of that build.
    say("assembly: join_mp3 vs byte copy vs naive decode + encode")
    rates = assembly(project.schedule.output, root / "assembly", sizes, project.audio_settings())
    mb = 1e6
    rows.append(Row(f"assembly vs byte copy ({rates['programmes']} programmes, {rates['mb']:.0f} MB)",
                    f"{rates['join'] / rates['copy']:.2f}x ({rates['join'] / mb:.0f} vs {rates['copy'] / mb:.0f} MB/s)",
                    ">= 0.5x", rates["join"] / rates["copy"] >= 0.5))
    rows.append(Row(f"assembly vs naive decode+encode ({rates['naive_programmes']} programmes)",
                    f"{rates['join'] / rates['naive']:.0f}x ({rates['naive'] / mb:.2f} MB/s naive)", ">= 20x",
                    rates["join"] / rates["naive"] >= 20))

    # 4. The provincial campaign: cold build once, then warm rebuilds, each in its own process.
    days = project.schedule.days()
    sessions = sizes.province_stations * sizes.province_days * 2
    need = sessions * report.total_bytes / max(1, report.programmes_written)
    mode = "full" if need * 1.3 + 5e9 < shutil.disk_usage(root).free else "segments"
    province = write_config(root / "province", sizes.province_stations, mode)
    to = days[sizes.province_days - 1] if sizes.province_days < len(days) else None
    label = f"{sizes.province_stations} stations x {plural(sizes.province_days, 'day')} x 2 sessions, publish: {mode}"
    say(f"province cold build: {label} (about {need / 1e9:.1f} GB)")
    cold = run_child("build", province, to)
    rows.append(Row(f"province cold build ({label})", f"{cold['wall']:.0f} s (CPU {cold['cpu']:.0f} s), "
                    f"{cold['segments_made']} segments, {cold['total_bytes'] / 1e9:.2f} GB, RSS {cold['rss_mb']:.0f} MB",
                    "", None))
    say(f"province cold build: {cold['wall']:.0f} s; now {sizes.warm_runs} warm rebuild(s)")
    warms = [run_child("build", province, to) for _ in range(sizes.warm_runs)]
    warm = min(warms, key=lambda w: w["wall"])
    calls, encodes = max(w["tts_calls"] for w in warms), max(w["encodes"] for w in warms)
    rows.append(Row(f"province warm rebuild ({warm['sessions']} sessions)",
                    f"{warm['wall']:.1f} s (CPU {warm['cpu']:.1f} s; build() {warm['seconds']:.1f} s), "
                    f"{calls} TTS calls, {encodes} encodes", "<= 60 s, 0 / 0",
                    warm["wall"] <= 60 and calls == 0 and encodes == 0))
    rss = max(w["rss_mb"] for w in warms)
    rows.append(Row("province warm rebuild: peak RSS", f"{rss:.0f} MB", "<= 300 MB", rss <= 300))

    # 5. The online voice at its budget, across worker processes, with 429s injected.
    from broadcast.segments import default_workers

    workers = max(2, default_workers())
    say(f"online: {sizes.online_pieces} pieces through gTTS in {workers} processes against the local fake")
    got = online(sizes, workers)
    ratio = got["rate"] / got["budget"]
    rows.append(Row(f"online pieces/s vs budget ({got['pieces']} pieces, {workers} processes, "
                    f"{ONLINE_DELAY_S * 1000:.0f} ms answers, {got['refused']} x 429)",
                    f"{ratio:.2f}x ({got['rate']:.2f} of {got['budget']:g}/s; {got['attempts']} requests)",
                    ">= 0.8x", ratio >= 0.8))
    total = shipped_pieces()
    rows.append(Row(f"cold online build of the shipped campaign ({total} unique pieces)",
                    f"about {total / got['rate'] / 60:.0f} min of voicing at {got['rate']:.2f} pieces/s", "", None))

    # 6. Plan only, for a very large deployment.
    say(f"plan only: {sizes.plan_stations} stations")
    plan = run_child("plan", write_config(root / "plan", sizes.plan_stations, "segments"))
    rows.append(Row(f"plan only, {sizes.plan_stations} stations ({plan['sessions']} sessions)",
                    f"{plan['wall']:.1f} s (CPU {plan['cpu']:.1f} s; load {plan['load_seconds']:.1f} s + plan "
                    f"{plan['seconds'] - plan['load_seconds']:.1f} s)", "<= 30 s", plan["wall"] <= 30))
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
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep}: give a new or empty folder (the cold builds need fresh output and cache)")
    root = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="broadcast-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    start, load = time.perf_counter(), os.getloadavg()[0]
    try:
        rows = run(root, sizes)
        from bench_portal import portal_rows  # the portal's figures (issue 11): scripts/bench_portal.py

        rows += [Row(*r) for r in portal_rows(root / "portal", *((50, 500) if args.quick else (200, 10_000)), say=lambda m: print(m, file=sys.stderr, flush=True))]
        from bench_bulletin import bench_emergency_bulletin  # issue 12: scripts/bench_bulletin.py

        b = bench_emergency_bulletin(root / "bulletin")
        rows.append(Row(f"emergency bulletin, `bulletin add` to every station's programme ({b['stations']} stations, offline)",
                        f"{b['all_stations_s']:.1f} s ({b['published']} published); one station {b['one_station_s']:.1f} s",
                        f"<= {b['target_s']:.0f} s", b["ok"]))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"broadcast bench{' --quick' if args.quick else ''}: {machine()}; {time.perf_counter() - start:.0f} s in all; "
          f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    print(table(rows))
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
