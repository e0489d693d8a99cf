"""`broadcast check` and `broadcast plan`: validate everything, show the rotation, build nothing."""

from __future__ import annotations

import datetime as dt
from typing import Callable, Sequence

from dataclasses import replace

from .yamlsource import did_you_mean
from .errors import AudioError, ConfigError, InputError, Problem
from .content import AUDIENCES
from .script import SECTIONS, Script, render_script


def _plan(project):
    from .publish import campaign_plan

    return campaign_plan(project)


def empty_sections(script: Script, speech: Callable[[str], Sequence[str]]) -> list[Problem]:
    """Sections with nothing to say once speech-ready (`speech` gives a text's spoken paragraphs): unvoiceable."""
    return [Problem(script.template, None, f"section {name}",
                    f"has no words to say ({script.item_id}, {script.audience}); the build would fail here")
            for name in SECTIONS if not speech(script.section(name))]


def spoken_paragraphs(text: str, lexicon) -> list[str]:
    """The speech-ready paragraphs of a text that have words in them."""
    from .speech import normalize

    return [q for q in (normalize(p, lexicon) for p in text.split("\n\n")) if q.strip()]


def jingle_problems(project) -> list[Problem]:
    """Every jingle and the campaign chime must be short, readable audio: checked now, not mid-build."""
    from .audio import chime

    schedule = project.schedule
    if schedule is None:
        return []
    files = [(("audio", "chime"), schedule.audio.chime)]
    files += [(("stations", i, "jingle"), st.jingle) for i, st in enumerate(schedule.stations)]
    problems, base = [], project.audio_settings()
    for path, jingle in files:
        if jingle is not None:
            try:
                chime(replace(base, chime=jingle))
            except AudioError as exc:
                problems.append(schedule.problem(path, str(exc)))
    return problems


def check_project(project) -> list[str]:
    """Validate config, content, lexicon and every template x item x audience (also normalized); return a summary."""
    from .speech import normalize

    lexicon = project.lexicon
    project.check_speakable()
    stations = project.schedule.stations if project.schedule is not None else ()
    station = project.station(None)
    count, problems = 0, []
    for audience in AUDIENCES:
        for item in project.handbook.items:
            script = render_script(project.env, project.handbook, item, audience, station, project.campaign)
            count += 1
            try:
                normalize(script.text, lexicon)
                problems += empty_sections(script, lambda text: spoken_paragraphs(text, lexicon))
            except InputError as exc:
                problems.extend(exc.problems)
    problems += jingle_problems(project)
    if project.schedule is not None:
        from .outdir import claim_output

        try:  # the folder the build would refuse to write into, found now (check writes nothing)
            claim_output(project.schedule.output, project.schedule, project.schedule.campaign.name, claim=False)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(list(dict.fromkeys(problems)))  # the same bad text in many scripts: said once
    lines = [f"content: {len(project.handbook.items)} items in {len(project.handbook.groups)} groups",
             f"templates: {count} scripts rendered and normalized"]
    lines += script_review(project)
    if project.schedule is not None:
        plan = _plan(project)
        lines.insert(0, f"{project.schedule.path}: {len(stations)} stations, {len(project.schedule.days())} days")
        lines.append(f"plan: {len(plan.sessions)} sessions")
    lines.append("ok")
    return lines


def script_review(project) -> list[str]:
    """The linter's findings and the unconfirmed facts, as lines; errors raise (they would stop a build)."""
    from .lint import lint_project, raise_on_errors, unconfirmed_fact_uses

    findings = lint_project(project)
    raise_on_errors(findings)
    uses = unconfirmed_fact_uses(project)
    lines = [f"scripts: {len(findings)} warnings" if findings else "scripts: no findings"]
    lines += [f"warning: {f}" for f in findings]
    lines.append(f"facts: {len(uses)} unconfirmed, " + ("aired (facts.air_unconfirmed: true)" if any(u.airs for u in uses)
                                                        else "none aired"))
    lines += [str(u) for u in uses]
    return lines


def plan_rows(project, station: str | None = None, date: str | None = None) -> list[tuple[str, ...]]:
    """The plan as table rows (with a header), optionally for one station and/or one date."""
    plan = _plan(project)
    day = None
    if date is not None:
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            raise ConfigError(f"--date: '{date}' is not a date (YYYY-MM-DD)") from None
    known = [s.id for s in project.schedule.stations]
    if station is not None and station not in known:
        raise ConfigError(f"--station: unknown station '{station}'{did_you_mean(station, known)}")
    rows = [("date", "time", "station", "audience", "items")]
    for s in plan.sessions:
        if (station is None or s.station_id == station) and (day is None or s.date == day):
            rows.append((s.date.isoformat(), s.time.strftime("%H:%M"), s.station_id, s.audience, ", ".join(s.items)))
    width = [max(len(r[i]) for r in rows) for i in range(4)]
    return [tuple(r[i].ljust(width[i]) if i < 4 else r[i] for i in range(5)) for r in rows]
