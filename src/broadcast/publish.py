"""The campaign build: plan -> scripts -> shared segments -> one MP3 per station session -> pages.

Incremental (a segment or programme whose inputs did not change is not touched), atomic (files appear
whole, the manifest is written last) and tidy (it removes only files its previous manifest lists)."""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import sweep_partials, write_json_atomic, write_text_atomic
from .errors import ConfigError, PublishError
from .manifest import MANIFEST, MANIFEST_FORMAT, Manifest, inside, FileHashes, known_durations, load_manifest, remove_listed
from .outdir import writing_output
from .pages import PageSession, write_pages
from .programmes import BuildOptions, Gatherer, Programme, Progress, playlist_text
from .releases import latest_manifest, record_release, tidy
from .segments import SEGMENTS_DIR, SegmentSpec, produce_all, segment_path

log = logging.getLogger(__name__)

@dataclass
class BuildReport:
    """What a build did, for the CLI and for tests."""

    sessions: int = 0
    segments_total: int = 0
    segments_made: int = 0
    tts_calls: int = 0
    encodes: int = 0
    programmes_written: int = 0
    programmes_kept: int = 0
    files_removed: int = 0
    total_bytes: int = 0
    total_seconds: float = 0.0
    engines: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    output: Path | None = None
    release: str | None = None
    draft: bool = False

    def summary(self) -> str:
        """One paragraph for the terminal."""
        engines = ", ".join(f"{k}: {v}" for k, v in sorted(self.engines.items())) or "none"
        return (f"{self.sessions} sessions -> {self.output}\n"
                f"segments: {self.segments_total} ({self.segments_made} made, {self.tts_calls} synthesis calls, "
                f"{self.encodes} encodes)\n"
                f"programmes: {self.programmes_written} written, {self.programmes_kept} unchanged, "
                f"{self.files_removed} old files removed\n"
                f"audio: {self.total_seconds / 3600:.1f} hours, {self.total_bytes / 1e6:.0f} MB; engines: {engines}\n"
                f"release: {self.release}" + (" (draft: operators keep the live release until `broadcast approve`)"
                                              if self.draft else " (live)"))


def parse_date(value: str | None, flag: str) -> dt.date | None:
    """A YYYY-MM-DD command-line date, or a ConfigError naming the flag."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{flag}: '{value}' is not a date (YYYY-MM-DD)") from None


class Builder(Gatherer):
    """A build in progress: gathers (see `programmes.Gatherer`), produces the segments, assembles the programmes."""

    def __init__(self, project, options: BuildOptions, progress: Progress | None):
        super().__init__(project, options, progress)
        self.report = BuildReport(output=self.out)
        self.hashes = FileHashes(self.out)

    # -- produce ------------------------------------------------------------------------------
    def produce(self, specs: dict[str, SegmentSpec], previous: dict) -> dict[str, dict]:
        from .audio import mp3_info, read_tags

        known: dict[str, dict] = {}
        todo: list[SegmentSpec] = []
        for key, spec in specs.items():
            record = previous.get(key)
            path = segment_path(self.out, key)
            if record and path.is_file():
                # The path comes from the key, never from the manifest: it is data, and could point anywhere.
                if path.stat().st_size == record.get("bytes") and self.hashes.sha256(path) == record.get("sha256"):
                    known[key] = {**record, "file": f"{SEGMENTS_DIR}/{path.name}", "label": spec.label}
                    continue
                # Cut short or damaged since the manifest recorded it: voiced again, never adopted.
                log.warning("segment %s differs from its manifest record: redoing it", path.name)
            elif path.is_file():  # made by a build that was stopped before its manifest: check, then adopt
                try:
                    info = mp3_info(path)
                    engines = sorted(filter(None, read_tags(path).engine.split(",")))  # export tagged who voiced it
                    known[key] = {"file": f"{SEGMENTS_DIR}/{path.name}", "duration_s": info.duration_s,
                                  "sha256": self.hashes.sha256(path), "bytes": path.stat().st_size, "engines": engines,
                                  "kind": spec.kind, "label": spec.label}
                    continue
                except Exception as exc:  # a damaged file is redone, never trusted
                    log.warning("segment %s unreadable (%s): redoing it", path.name, exc)
            todo.append(spec)
        self.report.segments_total = len(specs)
        if todo:
            workers = self.options.workers or (1 if len(todo) < 4 else min(2, os.cpu_count() or 1))
            results, failures = produce_all(todo, self.out, self.cache_dir, workers,
                                            progress=lambda d, t: self.progress("voicing", d, t))
            self.report.failures.extend(failures)
            for r in results:
                known[r.key] = {"file": r.file, "duration_s": r.duration_s, "sha256": r.sha256, "bytes": r.bytes,
                                "engines": list(r.engines), "kind": specs[r.key].kind, "label": specs[r.key].label}
                self.report.segments_made += 1
                self.report.tts_calls += r.tts_calls
                self.report.encodes += r.encodes
        return known

    def carry_over(self, plan, manifest: dict) -> list[dict]:
        """Previous records outside this build's dates/stations whose session the plan still has, unchanged."""
        start, end = self._days()
        wanted = self._stations()
        planned = {(s.date.isoformat(), s.time.strftime("%H:%M"), s.station_id, s.items) for s in plan.sessions}
        kept = []
        for rec in manifest.get("programmes", []):
            selected = start.isoformat() <= rec["date"] <= end.isoformat() and rec["station"] in wanted
            if selected or (rec["date"], rec["time"], rec["station"], tuple(rec["items"])) not in planned:
                continue
            paths = [p for p in (rec.get("file"), rec.get("playlist"), rec.get("script")) if p is not None]
            if not all(isinstance(p, str) and inside(self.out, p) and (self.out / p).is_file() for p in paths):
                continue  # missing, or pointing outside the output folder: rebuilt by a full build instead
            segments = manifest.get("segments", {})
            if all(k in segments and inside(self.out, str(segments[k].get("file", ""))) for k in rec["segments"]):
                kept.append(rec)
        return kept

    # -- assemble -----------------------------------------------------------------------------
    def keep_previous(self, prog: Programme, previous: dict[tuple[str, str, str], dict], old_segments: dict,
                      segments: dict[str, dict]) -> dict | None:
        """The previous build's record of this session, if whole, so a failed rebuild leaves it on air."""
        rec = previous.get((prog.date.isoformat(), prog.time.strftime("%H:%M"), prog.station_id))
        if rec is None or not all(k in old_segments for k in rec["segments"]):
            return None
        paths = [p for p in (rec.get("file"), rec["playlist"], rec["script"]) if p]
        paths += [old_segments[k]["file"] for k in rec["segments"]]
        if not all(inside(self.out, p) and (self.out / p).is_file() for p in paths):
            return None
        for key in rec["segments"]:
            segments.setdefault(key, old_segments[key])
        return {**rec, "stale": True}

    def assemble(self, programmes: list[Programme], segments: dict[str, dict], manifest: dict) -> list[dict]:
        from .audio import Tags, join_mp3

        previous = manifest.get("programmes", [])
        old = {p["key"]: p for p in previous}
        by_slot = {(p["date"], p["time"], p["station"]): p for p in previous}
        records = []
        campaign = self.schedule.campaign
        for n, prog in enumerate(programmes):
            if any(k not in segments for k in prog.segment_keys):
                kept = self.keep_previous(prog, by_slot, manifest.get("segments", {}), segments)
                if kept is not None:
                    records.append(kept)
                self.report.failures.append(f"{prog.stem}: a segment failed; "
                                            + ("the previous version stays on air" if kept else "not published"))
                continue
            station = self.schedule.station(prog.station_id)
            titles = [self.project.handbook.item(i).title for i in prog.items]
            record = {"key": prog.key, "date": prog.date.isoformat(), "time": prog.time.strftime("%H:%M"),
                      "station": station.id, "station_name": station.name, "level": station.level,
                      "audience": prog.audience, "items": list(prog.items), "titles": titles,
                      **({"bulletins": list(prog.bulletins)} if prog.bulletins else {}),
                      "segments": list(prog.segment_keys), "playlist": prog.path("m3u8"), "script": prog.path("txt"),
                      "duration_s": round(sum(segments[k]["duration_s"] for k in prog.segment_keys), 3),
                      "engines": sorted({e for k in prog.segment_keys for e in segments[k].get("engines", [])})}
            audio_rel = prog.path("mp3") if self.mode == "full" else None
            previous_record = old.get(prog.key)
            reusable = previous_record is not None and previous_record.get("file") == audio_rel and all(
                (self.out / rel).is_file() for rel in (record["playlist"], record["script"], *(filter(None, [audio_rel]))))
            if audio_rel and reusable and (self.out / audio_rel).stat().st_size == previous_record.get("bytes") \
                    and self.hashes.sha256(self.out / audio_rel) == previous_record.get("sha256"):
                record.update(file=audio_rel, sha256=previous_record["sha256"], bytes=previous_record["bytes"])
                self.report.programmes_kept += 1
            elif not audio_rel and reusable:
                record.update(file=None)
                self.report.programmes_kept += 1
            else:
                title = f"{station.name}, {prog.time.strftime('%H:%M')} ngày {prog.date.day}/{prog.date.month}/{prog.date.year}"
                write_text_atomic(self.out / record["playlist"], playlist_text(prog, segments, title))
                write_text_atomic(self.out / record["script"], f"{title}\n{campaign.name}\n\n{prog.script_text}\n")
                record["file"] = audio_rel
                if audio_rel:
                    tags = Tags(title=title, station=station.name, campaign=campaign.name, date=prog.date.isoformat(),
                                items=prog.items, engine=",".join(record["engines"]),
                                comment="Phát thanh phòng, chống lừa đảo trực tuyến")
                    target = self.out / audio_rel
                    join_mp3([self.out / segments[k]["file"] for k in prog.segment_keys], target, tags)
                    record.update(sha256=self.hashes.sha256(target), bytes=target.stat().st_size)
                self.report.programmes_written += 1
            if record.get("bytes"):
                self.report.total_bytes += record["bytes"]
            self.report.total_seconds += record["duration_s"]
            records.append(record)
            if n % 50 == 0:
                self.progress("programmes", n + 1, len(programmes))
        self.progress("programmes", len(programmes), len(programmes))
        return records


def _page_sessions(records: list[dict]) -> list[PageSession]:
    out = []
    for r in records:
        date, time = dt.date.fromisoformat(r["date"]), dt.time.fromisoformat(r["time"])
        out.append(PageSession(date, time, r["station"], r["station_name"], r["level"], r["audience"], tuple(r["titles"]),
                               r["duration_s"], r.get("file"), r["playlist"], r["script"],
                               f"{r['station']}_{r['date']}_{time.strftime('%Hh%M')}.mp3"))
    return out


def build(project, options: BuildOptions = BuildOptions(), progress: Progress | None = None) -> BuildReport:
    """Build every programme of the campaign (or the selected dates/stations) into the output folder."""
    project.check_speakable()
    from .lint import lint_project, raise_on_errors

    raise_on_errors(lint_project(project))  # the script linter's errors stop a build; warnings do not
    b = Builder(project, options, progress)
    out = b.out
    try:
        with writing_output(out, b.schedule):
            _build_locked(b, project, options)
    except OSError as exc:
        raise PublishError(f"{exc.filename or out}: {exc.strerror or exc}; files already published are kept") from None
    return b.report


def _build_locked(b: Builder, project, options: BuildOptions) -> None:
    """The build proper, run while this process holds the output folder's lock."""
    out = b.out
    swept = sweep_partials(out) + sweep_partials(b.cache_dir)
    if swept:
        log.info("removed %d partial files left by an interrupted build", swept)
    live = load_manifest(out)
    manifest = latest_manifest(out, live)  # a build continues from the newest draft, else the live release
    plan = campaign_plan(project, manifest, b.bulletins)  # one reading of the bulletin files: plan and voices agree
    programmes, specs = b.gather(plan)
    b.report.sessions = len(programmes)
    segments = b.produce(specs, manifest.get("segments", {}))
    records = b.assemble(programmes, segments, manifest)
    # A build of some dates or stations keeps the rest of the previous build that the plan still has.
    carried = b.carry_over(plan, manifest)
    for rec in carried:
        for key in rec["segments"]:
            segments.setdefault(key, manifest["segments"][key])
    records = sorted(records + carried, key=lambda r: (r["date"], r["time"], r["station"]))
    for rec in records:
        for e in rec["engines"]:
            b.report.engines[e] = b.report.engines.get(e, 0) + 1
    bulletins = manifest.get("bulletins", [])  # emergency programmes stay until `build --bulletins-only` redoes them
    for rec in bulletins:
        for key in rec["segments"]:
            segments.setdefault(key, manifest["segments"][key])
    files = sorted({*(s["file"] for s in segments.values()), *(r["file"] for r in bulletins),
                    *(p for r in records for p in (r.get("file"), r["playlist"], r["script"]) if p)})
    new_manifest = {"format": MANIFEST_FORMAT, "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "campaign": b.schedule.campaign.name, "segments": {k: v for k, v in segments.items()},
                    "programmes": records, "bulletins": bulletins, "files": files, "retired": []}
    texts = {k: "\n\n".join(spec.paragraphs) for k, spec in specs.items()}
    release = record_release(out, project, new_manifest, texts, options.by or default_author())
    b.report.release = release.id
    b.hashes.save()
    if b.schedule.approval == "required":
        b.report.draft = True  # operators keep the live release until `broadcast approve`
        return
    b.report.files_removed = publish_live(out, b.schedule, {**new_manifest, "release": release.id}, live) + tidy(out)


def publish_live(out: Path, schedule, manifest: dict, previous: dict | None = None) -> int:
    """Make a manifest live: its pages, then manifest.json last (one atomic rename); remove what the previous
    live manifest listed and this one does not. Returns how many files were removed."""
    from .bulletins import emergency_page_sessions

    previous = previous if previous is not None else load_manifest(out)
    written = write_pages(out, schedule.campaign.name, schedule.campaign.province, schedule.days(),
                          _page_sessions(manifest["programmes"]), dt.datetime.now(dt.timezone.utc),
                          urgent=emergency_page_sessions(manifest, schedule))
    files = sorted({*manifest["files"], *(str(p.relative_to(out)) for p in written)})
    old_files = set(previous.get("files", [])) | set(previous.get("retired", []))
    manifest = {**manifest, "files": files, "retired": sorted(old_files - set(files) - {MANIFEST})}
    # Through the typed model: the build never writes a manifest its readers would refuse.
    manifest = Manifest.from_dict(manifest).to_dict()
    write_json_atomic(out / MANIFEST, manifest, ensure_ascii=False, indent=1)
    removed = remove_listed(out, manifest["retired"])
    if manifest["retired"] and removed == len(manifest["retired"]):
        write_json_atomic(out / MANIFEST, {**manifest, "retired": []}, ensure_ascii=False, indent=1)
    return removed


def default_author() -> str:
    """Who runs this build or approval, when --by is not given."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return "unknown"


def campaign_plan(project, manifest: dict | None = None, bulletins: dict | None = None):
    """The rotation plan, with real durations from the output folder's manifest when there is one, and the
    bulletins (by id, as the build read them; read here when not given) placed in it."""
    from .plan import make_plan

    schedule = project.schedule
    if schedule is None:
        raise ConfigError("no schedule.yaml: pass --config FILE or run in the folder that has one")
    from .bulletins import load_bulletins, place_bulletins

    durations, overhead = known_durations(manifest if manifest is not None else load_manifest(schedule.output))
    plan = make_plan(schedule, project.handbook.item_ids, set(schedule.rotation.priority_items),
                     duration=durations, overhead_s=overhead)
    bulletins = list(bulletins.values()) if bulletins is not None else load_bulletins(schedule)
    placed = place_bulletins(schedule, plan, bulletins, durations, overhead)
    for note in placed.notes:
        log.warning("%s", note)
    return placed.plan


def segment_specs(project, options: BuildOptions = BuildOptions(), manifest: dict | None = None) -> list[SegmentSpec]:
    """The unique segments a build with these options needs, made or not (for benchmarks and estimates);
    `manifest` stands in for the output folder's (`{}`: plan as a cold build would)."""
    builder = Builder(project, options, None)  # ConfigError first when there is no schedule
    _programmes, specs = builder.gather(campaign_plan(project, manifest, builder.bulletins))
    return list(specs.values())
