"""The `broadcast` command: a thin typer layer over the library."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from . import __version__
from .errors import BroadcastError

app = typer.Typer(
    help="Vietnamese loudspeaker-radio programmes for the anti-online-fraud campaign.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
templates_app = typer.Typer(help="Work with the script templates.", no_args_is_help=True)
app.add_typer(templates_app, name="templates")
bulletin_app = typer.Typer(help="Write bulletins (normal, priority, emergency) for the stations.", no_args_is_help=True)
app.add_typer(bulletin_app, name="bulletin")
accounts_app = typer.Typer(help="The portal's accounts: station links and editors.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")

ConfigOpt = typer.Option(None, "--config", "-c", help="schedule.yaml to use (default: ./schedule.yaml if present).")
TemplatesOpt = typer.Option(None, "--templates", "-t", help="Folder of template overrides, searched before the defaults.")
AudienceOpt = typer.Option("general", "--audience", "-a", help="general, elderly, farmers, workers or officials.")
StationOpt = typer.Option(None, "--station", "-s", help="A station id from schedule.yaml, or a station's on-air name.")

_state = {"verbose": False}


def run(call):
    """Run one library call; a BroadcastError becomes one message on stderr and its exit code."""
    try:
        return call()
    except BroadcastError as exc:
        if _state["verbose"]:
            raise
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    except Exception as exc:  # a bug, not bad input: say so briefly; --verbose shows the traceback
        if _state["verbose"]:
            raise
        typer.echo(f"internal error: {type(exc).__name__}: {exc} (run with --verbose for details)", err=True)
        raise typer.Exit(1) from None


def _raise(exc: BaseException):
    """For run(): report an error found after output was already printed."""
    raise exc


def _version(value: bool) -> None:
    if value:
        typer.echo(f"broadcast {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="More log output; tracebacks on errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Turn the fraud-prevention handbook into broadcast scripts, audio and daily programmes."""
    _state["verbose"] = verbose
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s: %(message)s")


def _project(config: Optional[Path], templates: Optional[Path] = None):
    from .project import open_project

    return run(lambda: open_project(config, templates))


@app.command("items")
def items_command(
    as_json: bool = typer.Option(False, "--json", help="Print the items as JSON, for scripts."),
    config: Optional[Path] = ConfigOpt,
) -> None:
    """List the handbook's fraud forms: id, group, title."""
    project = _project(config)
    handbook = project.handbook
    if as_json:
        data = [it.to_dict() for it in handbook.items]
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    width = max(len(it.id) for it in handbook.items)
    for group in handbook.groups:
        typer.echo(f"Nhóm {group.id}: {group.title}")
        for it in handbook.items:
            if it.group == group.id:
                typer.echo(f"  {it.number:>2}  {it.id:<{width}}  {it.title}")
    typer.echo(f"{len(handbook.items)} items in {len(handbook.groups)} groups")


@app.command("script")
def script_command(
    item: str = typer.Argument(..., help="Item id (see `broadcast items`)."),
    audience: str = AudienceOpt,
    station: Optional[str] = StationOpt,
    speech: bool = typer.Option(False, "--speech", help="Print the text exactly as the voice will receive it."),
    rate: int = typer.Option(165, "--rate", min=60, max=400, help="Speaking rate for the time estimate, syllables a minute."),
    config: Optional[Path] = ConfigOpt,
    templates: Optional[Path] = TemplatesOpt,
) -> None:
    """Print one item's broadcast script and its estimated reading time."""
    from .script import count_syllables, render_script

    project = _project(config, templates)
    script = run(lambda: render_script(project.env, project.handbook, item, audience, project.station(station), project.campaign))
    if speech:
        from .speech import normalize

        typer.echo(run(lambda: normalize(script.text, project.lexicon)))
    else:
        typer.echo(script.text)
    syllables = run(lambda: count_syllables(script.text))
    seconds = syllables * 60 / rate
    typer.echo(f"\n[{syllables} âm tiết, khoảng {int(seconds // 60)} phút {int(seconds % 60):02d} giây ở {rate} âm tiết/phút]", err=True)


@templates_app.command("export")
def templates_export(
    dest: Path = typer.Argument(..., help="Folder to copy the default templates into."),
    force: bool = typer.Option(False, "--force", help="Overwrite files that already exist there."),
) -> None:
    """Copy the packaged templates into DEST so an editor can change them."""
    from .script import export_templates

    written = run(lambda: export_templates(dest, overwrite=force))
    for path in written:
        typer.echo(str(path))
    typer.echo(f"{len(written)} templates written to {dest}", err=True)


@app.command("normalize")
def normalize_command(
    text: str = typer.Argument(..., help="Text to make speech-ready, or '-' to read lines from standard input."),
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Print TEXT as the voice will read it (numbers, dates, phones, abbreviations as words)."""
    from .errors import SpeechError
    from .speech import normalize, normalize_lines

    project = _project(config)
    lexicon = run(lambda: project.lexicon)
    if text == "-":
        lines = sys.stdin.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()  # the final newline ends the last line; it does not start another
        # Every line is printed (a bad one marked "[?]"), then every bad line is reported with its number.
        out, problems = normalize_lines("\n".join(lines), lexicon, source="<stdin>")
        typer.echo("\n".join(out))
        if problems:
            run(lambda: _raise(SpeechError(problems)))
    else:
        typer.echo(run(lambda: normalize(text, lexicon)))


EngineOpt = typer.Option(None, "--engine", "-e", help="auto (gTTS if reachable, else espeak-ng), gtts or espeak.")
VoiceOpt = typer.Option(None, "--voice", help="Voice region: north, central or south.")
TempoOpt = typer.Option(None, "--tempo", min=0.7, max=1.3, help="Speaking tempo, 0.7 (slower) to 1.3 (faster).")
OutOpt = typer.Option(..., "--output", "-o", help="MP3 file to write.")


def _progress_bar(label: str):
    """A rich progress bar that appears only for work taking more than a moment."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TimeElapsedColumn(), transient=True, disable=not sys.stderr.isatty())
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(f"{label}: {stage}", total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return bar, update


def _speak(project, text_sections, output: Path, engine, voice, tempo, title: str, audience: str = "general"):
    from .voice import speak_to_mp3

    bar, update = _progress_bar("voicing")
    with bar:
        result = run(lambda: speak_to_mp3(project, text_sections, output, engine=engine, region=voice, tempo=tempo,
                                          title=title, audience=audience, progress=update))
    typer.echo(f"{output}: {result.duration_s:.1f} s, {result.integrated_lufs:.1f} LUFS, "
               f"true peak {result.true_peak_dbtp:.1f} dBTP, voiced by {', '.join(result.engines) or 'cache'}"
               f" ({result.tts_calls} synthesis calls)")


@app.command("say")
def say_command(
    text: str = typer.Argument(..., help="Text to speak (normalized first: numbers, dates, phones as words)."),
    output: Path = OutOpt,
    engine: Optional[str] = EngineOpt,
    voice: Optional[str] = VoiceOpt,
    tempo: Optional[float] = TempoOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Speak TEXT into a broadcast-ready MP3."""
    project = _project(config)
    _speak(project, [text], output, engine, voice, tempo, title=text[:60])


@app.command("synth")
def synth_command(
    item: str = typer.Argument(..., help="Item id (see `broadcast items`)."),
    output: Path = OutOpt,
    audience: str = AudienceOpt,
    station: Optional[str] = StationOpt,
    engine: Optional[str] = EngineOpt,
    voice: Optional[str] = VoiceOpt,
    tempo: Optional[float] = TempoOpt,
    config: Optional[Path] = ConfigOpt,
    templates: Optional[Path] = TemplatesOpt,
) -> None:
    """Render one item's script and voice it into a broadcast-ready MP3 (with chimes)."""
    from .script import render_script

    project = _project(config, templates)
    script = run(lambda: render_script(project.env, project.handbook, item, audience, project.station(station), project.campaign))
    title = f"{project.handbook.item(item).title} ({audience})"
    _speak(project, [s.text for s in script.sections], output, engine, voice, tempo, title=title, audience=audience)


@app.command("check")
def check_command(config: Optional[Path] = ConfigOpt, templates: Optional[Path] = TemplatesOpt) -> None:
    """Validate schedule.yaml, content, lexicon and templates without building anything."""
    from .check import check_project

    project = _project(config, templates)
    summary = run(lambda: check_project(project))
    for line in summary:
        typer.echo(line)


@app.command("plan")
def plan_command(
    station: Optional[str] = typer.Option(None, "--station", "-s", help="Only this station id."),
    date: Optional[str] = typer.Option(None, "--date", help="Only this date (YYYY-MM-DD)."),
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Print the rotation plan as a table: date, time, station, audience, items."""
    from .check import plan_rows

    project = _project(config)
    rows = run(lambda: plan_rows(project, station=station, date=date))
    for row in rows:
        typer.echo("  ".join(row))


@app.command("build")
def build_command(
    from_date: Optional[str] = typer.Option(None, "--from", help="First date to build (YYYY-MM-DD)."),
    to_date: Optional[str] = typer.Option(None, "--to", help="Last date to build (YYYY-MM-DD)."),
    station: list[str] = typer.Option([], "--station", "-s", help="Only these station ids (repeatable)."),
    engine: Optional[str] = EngineOpt,
    mode: Optional[str] = typer.Option(None, "--mode", help="full (one MP3 per session) or segments (shared segments and playlists only)."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, max=16, help="Processes for voicing (default: up to 2)."),
    by: Optional[str] = typer.Option(None, "--by", help="Who makes this build (recorded in its release; default: your user name)."),
    bulletins_only: bool = typer.Option(False, "--bulletins-only", help="Publish the emergency bulletins' programmes only, without rebuilding the rest."),
    config: Optional[Path] = ConfigOpt,
    templates: Optional[Path] = TemplatesOpt,
) -> None:
    """Build every station's daily programmes into the output folder (incremental, atomic)."""
    from .publish import BuildOptions, build, parse_date

    project = _project(config, templates)
    options = run(lambda: BuildOptions(start=parse_date(from_date, "--from"), end=parse_date(to_date, "--to"),
                                       stations=tuple(station), engine=engine, mode=mode, workers=workers, by=by))
    if bulletins_only:
        from .bulletins import build_bulletins

        report = run(lambda: build_bulletins(project, options))
    else:
        bar, update = _progress_bar("build")
        with bar:
            report = run(lambda: build(project, options, progress=update))
    typer.echo(report.summary())
    if report.failures:
        for failure in report.failures:
            typer.echo(f"failed: {failure}", err=True)
        raise typer.Exit(1)


@bulletin_app.command("add")
def bulletin_add(
    level: str = typer.Option(..., "--level", help="normal, priority or emergency (Thông tư 39: thông thường, ưu tiên, khẩn cấp)."),
    title: str = typer.Option(..., "--title", help="The bulletin's title."),
    text: str = typer.Option(..., "--text", help="What the voice reads after the title."),
    from_date: Optional[str] = typer.Option(None, "--from", help="First day it airs (YYYY-MM-DD; default: the campaign's first)."),
    to_date: Optional[str] = typer.Option(None, "--to", help="Last day it airs (default: the campaign's last)."),
    stations: list[str] = typer.Option([], "--stations", "-s", help="Station or district ids (repeatable; default: every station)."),
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Add a bulletin to bulletins.yaml (or the first file under `bulletins:`); `build` voices it."""
    from .bulletins import add_bulletin
    from .publish import parse_date
    from .releases import output_of

    project = _project(config)
    run(lambda: output_of(project))
    added = run(lambda: add_bulletin(project.schedule, level, title, text, parse_date(from_date, "--from"),
                                     parse_date(to_date, "--to"), tuple(stations)))
    typer.echo(f"{added.id}: {added.level} bulletin, {added.start} to {added.end} ({added.source})")


def _output(config: Optional[Path]) -> Path:
    from .releases import output_of

    project = _project(config)
    return run(lambda: output_of(project))


@app.command("releases")
def releases_command(
    as_json: bool = typer.Option(False, "--json", help="Print the releases as JSON, for scripts."),
    config: Optional[Path] = ConfigOpt,
) -> None:
    """List the build's releases, one a line, newest last: id, status, created, by, sessions."""
    from .releases import live_id, list_releases, status

    out = _output(config)
    releases, live = list_releases(out), live_id(out)
    rows = [{"id": r.id, "status": status(r, live), "created": r.created, "by": r.by, "sessions": len(r.sessions),
             "fingerprints": r.fingerprints} for r in releases]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['id']}  {row['status']:<10}  {row['created']}  {row['by']}  {row['sessions']} sessions")


@app.command("diff")
def diff_command(
    old: Optional[str] = typer.Argument(None, help="Release to compare from (default: the live one)."),
    new: Optional[str] = typer.Argument(None, help="Release to compare to (default: the newest draft)."),
    config: Optional[Path] = ConfigOpt,
) -> None:
    """What changes for listeners between two releases: sessions added, removed, changed, and the text per segment."""
    from .releases import diff_pair

    out = _output(config)
    before, after, changes = run(lambda: diff_pair(out, old, new))
    typer.echo(f"{before.id if before else '(nothing live)'} -> {after.id}: {len(changes)} sessions change")
    for change in changes:
        typer.echo(f"{change.kind:<8} {'  '.join(change.slot)}")
        for label, lines in change.text_changes:
            typer.echo(f"    {label}")
            for line in lines:
                typer.echo(f"      {line}")


@app.command("approve")
def approve_command(
    release: Optional[str] = typer.Argument(None, help="Release id (default: the newest draft)."),
    by: str = typer.Option(..., "--by", help="Who approves (a member of the editorial board)."),
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Make a draft release live for operators, atomically."""
    from .releases import approve

    project = _project(config)
    approved = run(lambda: approve(project, release, by))
    typer.echo(f"{approved.id} is live (approved by {by})")
BaseUrlOpt = typer.Option(None, "--base-url", help="The portal's public address (https://...), for full links.")


def _station_or_fail(project, station: str):
    from .errors import ConfigError

    try:
        return project.schedule.station(station)
    except KeyError:
        run(lambda: _raise(ConfigError.at(project.schedule.path, None, "stations", f"no station with id '{station}'")))


@accounts_app.command("init")
def accounts_init(
    base_url: Optional[str] = BaseUrlOpt,
    replace: bool = typer.Option(False, "--replace", help="New links for every station (old ones stop working)."),
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Create a secret link for every station that has none; print station,name,link as CSV."""
    from .portal.accounts import init_links, links_csv
    from .portal.database import open_database

    project = _project(config)
    db = run(lambda: open_database(project.schedule))
    links = run(lambda: init_links(db, [(s.id, s.name) for s in project.schedule.stations], base_url, replace))
    typer.echo(links_csv(links), nl=False)
    typer.echo(f"{len(links)} links created (stations that already had one keep it; --replace renews all)", err=True)


@accounts_app.command("rotate")
def accounts_rotate(
    station: str = typer.Argument(..., help="The station id whose link is replaced."),
    base_url: Optional[str] = BaseUrlOpt,
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Replace a station's link: the old one and the phones it signed in stop working."""
    from .portal.accounts import links_csv, rotate_link
    from .portal.database import open_database

    project = _project(config)
    st = _station_or_fail(project, station)
    db = run(lambda: open_database(project.schedule))
    typer.echo(links_csv([run(lambda: rotate_link(db, st.id, st.name, base_url))]), nl=False)


@accounts_app.command("editor")
def accounts_editor(
    name: str = typer.Argument(..., help="The editor's sign-in name."),
    password: Optional[str] = typer.Option(None, "--password", help="The password (default: asked, not echoed)."),
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Set an editor's password (scrypt-hashed) for the department's pages."""
    from .portal.accounts import set_editor_password
    from .portal.database import open_database

    project = _project(config)
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    db = run(lambda: open_database(project.schedule))
    run(lambda: set_editor_password(db, name, password))
    typer.echo(f"editor {name}: password set")


@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8080, "--port", min=1, max=65535, help="Port to listen on."),
    today: Optional[str] = typer.Option(None, "--today", help="The portal's date (YYYY-MM-DD), for rehearsals and tests."),
    behind_proxy: bool = typer.Option(False, "--behind-proxy", help="Trust the proxy's X-Forwarded-* headers (HTTPS)."),
    config: Optional[Path] = ConfigOpt,
) -> None:
    """Run the portal: each station's day on a phone, "Đã phát" confirmations, the department's dashboard."""
    from .portal.app import serve
    from .publish import parse_date

    project = _project(config)
    day = run(lambda: parse_date(today, "--today"))
    run(lambda: serve(project.schedule, host=host, port=port, today=day, behind_proxy=behind_proxy))


@app.command("report")
def report_command(
    fmt: str = typer.Option("csv", "--format", "-f", help="csv (UTF-8 with BOM, for Excel) or xlsx."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="File to write (default: standard output)."),
    config: Optional[Path] = ConfigOpt,
) -> None:
    """The campaign report: one row per station (planned, aired, not aired, minutes), then one per item."""
    from .errors import InputError
    from .portal.report import campaign_report, write_report

    if fmt not in ("csv", "xlsx"):
        run(lambda: _raise(InputError.at("--format", None, "", f"must be csv or xlsx, not {fmt!r}")))
    project = _project(config)
    data = run(lambda: campaign_report(project.schedule, fmt))
    if output is None:
        if fmt == "xlsx" and sys.stdout.isatty():
            run(lambda: _raise(InputError.at("--output", None, "", "XLSX is binary: give -o FILE")))
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        run(lambda: write_report(data, output))
        typer.echo(f"{output}: report written", err=True)


if __name__ == "__main__":  # pragma: no cover
    app()
