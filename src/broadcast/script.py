"""Broadcast scripts from Jinja2 templates: editors' folder first, packaged defaults second."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import math
import re
import shutil
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, Sequence

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .content import AUDIENCE_LABELS, Fact, Handbook, Item, check_audience
from .errors import Problem, TemplateError
from .regions import Regions, default_regions

log = logging.getLogger(__name__)

SECTIONS = ("opening", "body", "closing")
_MARKER = re.compile(r"^§(\w+)§\s*$", re.MULTILINE)
DEFAULT_PREFIX = "default"
DEFAULT_SPM = 165  # a calm announcer: 150-180 syllables (Vietnamese words) a minute


@dataclass(frozen=True)
class StationInfo:
    """What a template knows of the station: its on-air name, level and locality."""

    name: str
    level: str = "commune"  # "district" | "commune"
    locality: str = ""
    region: str = "south"  # "north" | "central" | "south": forms of address and region words


@dataclass(frozen=True)
class CampaignInfo:
    name: str
    start: dt.date
    end: dt.date
    province: str = ""
    organizer: str = ""


@dataclass(frozen=True)
class Section:
    name: str
    text: str  # paragraphs separated by one blank line


@dataclass(frozen=True)
class Script:
    """A rendered script for one item and audience."""

    item_id: str
    audience: str
    template: str
    sections: tuple[Section, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections if s.text)

    def section(self, name: str) -> str:
        return next((s.text for s in self.sections if s.name == name), "")


def packaged_templates() -> Path:
    """The folder of the packaged default templates."""
    return Path(str(resources.files("broadcast").joinpath("templates")))


def _vndate(value: dt.date, same_year_as: dt.date | None = None) -> str:
    """20/7/2023; just 1/7 when the year is said by the date it is paired with."""
    if same_year_as is not None and same_year_as.year == value.year:
        return f"{value.day}/{value.month}"
    return f"{value.day}/{value.month}/{value.year}"


def _sentences(values: Sequence[str]) -> str:
    return " ".join(values)


def _capfirst(value: str) -> str:
    return value[:1].upper() + value[1:]


# Templates are editors' input: they render in Jinja2's sandbox, within limits a script never comes near
# (a script is a few KB; the longest loop in the defaults runs over a handful of warning signs).
MAX_RENDER_CHARS = 200_000
MAX_LOOP_RANGE = 10_000
MAX_VALUE_LEN = 100_000  # a string or list made by `*`
MAX_POWER_BITS = 4_096


class RenderLimitError(jinja2.exceptions.SecurityError):
    """A template asked for more than a script can need: a loop, a value or an output too large."""


def _safe_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_LOOP_RANGE:
        raise RenderLimitError(f"range of {len(r)} steps is larger than the limit of {MAX_LOOP_RANGE}")
    return r


class ScriptSandbox(ImmutableSandboxedEnvironment):
    """The sandbox that renders scripts: no attribute starting with `_`, no mutation, bounded `*`, `**`, range."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_VALUE_LEN:
                    raise RenderLimitError(f"'*' would make a value of {len(seq) * times} items (limit {MAX_VALUE_LEN})")
        if operator == "**" and isinstance(left, (int, float)) and isinstance(right, (int, float)):
            if abs(left) > 1 and abs(right) * max(1.0, math.log2(abs(left))) > MAX_POWER_BITS:
                raise RenderLimitError(f"{left} ** {right} is too large a number")
        return super().call_binop(context, operator, left, right)


def make_environment(user_dirs: Sequence[Path] = ()) -> jinja2.Environment:
    """A sandboxed Jinja2 environment searching each user folder, then the packaged defaults (also as `default/`)."""
    packaged = jinja2.FileSystemLoader(str(packaged_templates()))
    users = [jinja2.FileSystemLoader(str(d)) for d in user_dirs if Path(d).is_dir()]
    loader = jinja2.ChoiceLoader([*users, jinja2.PrefixLoader({DEFAULT_PREFIX: packaged}), packaged])
    env = ScriptSandbox(
        loader=loader, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, autoescape=False,
    )
    env.filters.update(vndate=_vndate, sentences=_sentences, capfirst=_capfirst)
    env.globals["range"] = _safe_range
    env.globals["search_path"] = [str(d) for d in user_dirs] + [str(packaged_templates())]
    return env


def _render_bounded(template: jinja2.Template, context: dict) -> str:
    """Render, stopping (inside the template, so the error names its line) once the output passes the limit."""
    chunks, size = [], 0
    stream = template.generate(context)
    for chunk in stream:
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_RENDER_CHARS:
            stream.throw(RenderLimitError(f"the script is longer than {MAX_RENDER_CHARS} characters"))
    return "".join(chunks)


def _template_error(env: jinja2.Environment, name: str, exc: BaseException) -> TemplateError:
    if isinstance(exc, jinja2.TemplateNotFound):
        searched = ", ".join(env.globals["search_path"])  # type: ignore[arg-type]
        return TemplateError(f"template '{exc.name}' not found (searched: {searched})")
    # Find the template frame in the traceback to name the file and line.
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateError([Problem(exc.filename or exc.name or name, exc.lineno, "", f"template syntax error: {exc.message}")])
    tb, where = exc.__traceback__, (name, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2") or "<template>" in filename:
            where = (filename, tb.tb_lineno)
        tb = tb.tb_next
    if isinstance(exc, RecursionError):
        message = ("templates extend, include or call each other without end (to extend the packaged base.j2, "
                   "write {% extends \"default/base.j2\" %})")
    elif isinstance(exc, jinja2.exceptions.SecurityError):
        message = f"not allowed in a template: {exc}"
    else:
        message = f"template error: {exc}"
    return TemplateError([Problem(where[0], where[1], "", message)])


def _tidy(text: str) -> str:
    """Join each paragraph's lines into one, one blank line between paragraphs, NFC."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return unicodedata.normalize("NFC", "\n\n".join(p for p in paragraphs if p))


def split_sections(rendered: str) -> tuple[Section, ...]:
    """Cut rendered text at its `§name§` markers; text without markers is all body."""
    parts = _MARKER.split(rendered)
    if len(parts) == 1:
        return (Section("body", _tidy(rendered)),)
    sections = [Section(parts[i], _tidy(parts[i + 1])) for i in range(1, len(parts) - 1, 2)]
    head = _tidy(parts[0])
    if head:
        sections.insert(0, Section("opening", head))
    return tuple(sections)


def render_script(
    env: jinja2.Environment, handbook: Handbook, item: Item | str, audience: str,
    station: StationInfo, campaign: CampaignInfo,
) -> Script:
    """Render one item for one audience at one station; template problems raise TemplateError."""
    audience = check_audience(audience)
    item = handbook.item(item) if isinstance(item, str) else item
    name = f"{audience}.j2"
    regions = env.globals.get("regions") or default_regions()
    address = regions.address(audience, station.region)
    item = localize_item(item, regions, station.region)
    context = {
        "item": item, "group": handbook.group(item.group), "audience": audience,
        "addressee": address.addressee, "greeting": address.greet(station.locality), "thanks": address.thanks,
        "words": regions.words_for(station.region), "region": station.region,
        "audience_label": AUDIENCE_LABELS[audience], "station": station, "campaign": campaign,
        "channels": handbook.channels, "after_scam_title": handbook.after_scam_title,
        "after_scam_steps": handbook.after_scam_steps, "handbook": handbook,
    }
    try:
        template = env.get_template(name)
        rendered = _render_bounded(template, context)
    except (jinja2.TemplateError, ArithmeticError, RecursionError, TypeError, ValueError, AttributeError, IndexError,
            KeyError, LookupError) as exc:
        raise _template_error(env, name, exc) from None
    rendered = explain_first(rendered, address.explain)
    if not env.globals.get("air_unconfirmed", False):
        rendered = drop_sentences(rendered, [f.says for f in unconfirmed_facts(handbook, item.id)])
    return Script(item.id, audience, template.filename or name, split_sections(rendered))


def localize_item(item: Item, regions: Regions, region: str) -> Item:
    """The item with its {word} region words said as the region says them."""
    where = (item.source_file, item.source_line)
    fix = functools.partial(regions.localize, region=region, where=where)
    return dataclasses.replace(
        item, hook=fix(item.hook), how_it_works=tuple(map(fix, item.how_it_works)),
        warning_signs=tuple(map(fix, item.warning_signs)), what_to_do=tuple(map(fix, item.what_to_do)),
        key_message=fix(item.key_message), examples=MappingProxyType({a: fix(t) for a, t in item.examples.items()}),
    )


def unconfirmed_facts(handbook: Handbook, item_id: str) -> list[Fact]:
    """The facts of the handbook still marked unconfirmed that a script of this item may say."""
    return [f for f in handbook.facts if f.unconfirmed and f.item in (None, item_id)]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def drop_sentences(text: str, phrases: Sequence[str]) -> str:
    """`text` without the sentences that say any of `phrases` (unconfirmed facts stay off air)."""
    if not phrases:
        return text
    out = []
    for line in text.split("\n"):
        kept = [s for s in _SENTENCE_END.split(line) if not any(p in s for p in phrases)]
        out.append(" ".join(kept))
    return "\n".join(out)


def explain_first(text: str, explain: Mapping[str, str]) -> str:
    """Each hard word explained by a sentence right after the first sentence that says it (regions.yaml `explain`)."""
    for word, sentence in explain.items():
        found = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE)
        if found:
            end = re.compile(r"[.!?](?=\s|$)").search(text, found.end())
            at = end.end() if end else len(text)
            text = text[:at] + " " + sentence + text[at:]
    return text


def export_templates(dest: Path, overwrite: bool = False) -> list[Path]:
    """Copy the packaged templates and regions.yaml into `dest` for editing; existing files are kept unless `overwrite`."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    regions = Path(str(resources.files("broadcast").joinpath("data", "regions.yaml")))
    # The forms of address and region words come along: list the copy under `regions:` to use it.
    for src in [*sorted(packaged_templates().glob("*.j2")), regions]:
        target = dest / src.name
        if target.exists() and not overwrite:
            log.info("kept existing %s", target)
            continue
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(src, tmp)
        tmp.replace(target)
        written.append(target)
    return written


def count_syllables(text: str) -> int:
    """Spoken syllables: words of the speech-ready text (numbers and codes read out as words)."""
    from .speech import normalize  # late import: the speech stage is heavier and optional here

    return len(re.findall(r"[^\W_]+", normalize(text)))


def reading_seconds(text: str, syllables_per_minute: int = DEFAULT_SPM) -> float:
    """Estimated reading time of `text` at a speaking rate in syllables a minute."""
    return count_syllables(text) * 60.0 / syllables_per_minute
