"""The script linter: reads every script a build would air as an editor would, and says where to fix it.

Findings: forms of address foreign to the audience, region words foreign to the station, sentences over
25 (warning) and over 30 (error) spoken syllables, a sentence said twice in a row, words the voice would
get that are not Vietnamese syllables (no lexicon reading), unconfirmed facts that would air. Each names
the template, content or regions file and line that produced it. Errors stop a build; warnings do not.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from .content import AUDIENCES, Fact, Handbook, Item
from .errors import InputError, Problem
from .regions import Regions, default_regions
from .script import StationInfo, packaged_templates, render_script, unconfirmed_facts

WARN_SYLLABLES = 25
MAX_SYLLABLES = 30
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[^\W\d_]+")

# A Vietnamese syllable: onset, vowels (with at most one tone mark), optional final consonant.
_ONSETS = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx]"
_VOWELS = "aăâeêioôơuưy"
_SYLLABLE = re.compile(rf"^(?:{_ONSETS})?[{_VOWELS}]{{1,3}}(?:ch|ng|nh|[cmnpt])?$")
_TONES = {"\u0300": "huyền", "\u0301": "sắc", "\u0303": "ngã", "\u0309": "hỏi", "\u0323": "nặng"}


def is_vietnamese_syllable(word: str) -> bool:
    """True for a well-formed Vietnamese syllable (checked stops take only the sắc or nặng tone)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [c for c in decomposed if c in _TONES]
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    if len(tones) > 1 or not _SYLLABLE.match(base):
        return False
    if re.search(r"(ch|[cpt])$", base) and tones and _TONES[tones[0]] not in ("sắc", "nặng"):
        return False
    if re.search(r"(ch|[cpt])$", base) and not tones:
        return False
    return True


@dataclass(frozen=True)
class Finding:
    level: str  # "error" | "warning"
    file: str
    line: int | None
    what: str  # the item, audience and region it was found in
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.level}: {self.message} ({self.what})"


@dataclass(frozen=True)
class FactUse:
    """An unconfirmed fact, where it is written, which items say it, and whether a build would air it."""

    fact: Fact
    items: tuple[str, ...]
    airs: bool
    said_at: tuple[str, int | None] = ("", None)  # where the words that carry it are written

    def __str__(self) -> str:
        where = f"{self.said_at[0]}:{self.said_at[1]}" if self.said_at[1] else f"{self.fact.source_file}:{self.fact.source_line}"
        state = "AIRS (schedule.yaml facts.air_unconfirmed: true)" if self.airs else "left out of the build"
        items = ", ".join(self.items) if len(self.items) <= 3 else f"{len(self.items)} items"
        return (f"{where}: unconfirmed fact '{self.fact.id}' (in {items}; status at {self.fact.source_file}:"
                f"{self.fact.source_line}): {state}; check: {self.fact.check}")


class Locator:
    """Finds the file and line a phrase of a rendered script was written at (editors' files first)."""

    def __init__(self, template_dirs: Sequence[Path], handbook: Handbook, regions: Regions):
        self.files: list[tuple[str, list[str]]] = []
        for folder in [*template_dirs, packaged_templates()]:
            for path in sorted(Path(folder).glob("*.j2")) if Path(folder).is_dir() else ():
                self.files.append((str(path), path.read_text(encoding="utf-8").splitlines()))
        self.handbook = handbook
        self.regions = regions
        self._text: dict[str, list[str]] = {}

    def _lines(self, file: str) -> list[str]:
        if file not in self._text:
            if "(packaged)" in file or not Path(file).is_file():
                from .content import packaged_handbook_text
                from .regions import packaged_regions_text

                text = packaged_regions_text() if "regions" in file else packaged_handbook_text()
            else:
                text = Path(file).read_text(encoding="utf-8")
            self._text[file] = text.splitlines()
        return self._text[file]

    def find(self, phrase: str, item: Item) -> tuple[str, int | None]:
        for file, lines in self.files:  # literal text in a template (editors' overrides come first)
            for no, line in enumerate(lines, 1):
                if contains(line, phrase) and "{#" not in line:
                    return file, no
        lines = self._lines(item.source_file)  # the item's own text
        start = (item.source_line or 1) - 1
        for no in range(start, len(lines)):
            if no > start and lines[no].lstrip().startswith("- id:"):
                break
            if contains(lines[no], phrase):
                return item.source_file, no + 1
        lead = phrase.split(":", 1)[0]  # a template's own words before a variable: "Xin nhắc lại: {{ ... }}"
        if ":" in phrase and len(lead.split()) >= 2:
            for file, lines in self.files:
                for no, line in enumerate(lines, 1):
                    if contains(line, lead + ":") or contains(line, lead):
                        return file, no
        for source in reversed(self.regions.sources):  # a form of address or region word
            for no, line in enumerate(self._lines(source), 1):
                if contains(line, phrase) and not line.lstrip().startswith("#"):
                    return source, no
        return item.source_file, item.source_line


@functools.lru_cache(maxsize=20000)
def _spoken(sentence: str, lexicon) -> tuple[str, ...]:
    from .speech import normalize

    try:
        return tuple(w.lower() for w in _WORD.findall(normalize(sentence, lexicon)))
    except InputError:
        return ()


def _head(sentence: str, words: int = 5) -> str:
    """The first words of a sentence, to find the line that wrote it."""
    head = " ".join(sentence.split()[:words])
    return head if ":" in head else head.rstrip(",.;!?")


def contains(text: str, phrase: str) -> bool:
    """Whether `text` says `phrase` as whole words, in any case."""
    return re.search(rf"(?<!\w){re.escape(phrase.lower())}(?!\w)", text.lower()) is not None


def sentences(text: str) -> list[str]:
    """A script's sentences: its paragraphs split where a sentence ends, as the linter reads them."""
    return [s for p in text.split("\n\n") for s in _SENTENCE.split(p) if s.strip()]


def lint_script(text: str, item: Item, audience: str, region: str, regions: Regions, lexicon,
                locate: Locator, aired_facts: Sequence[Fact] = ()) -> Iterator[Finding]:
    """Every finding in one rendered script."""
    what = f"{item.id}, {audience}, {region}"
    address = regions.address(audience, region)
    previous = ""
    for paragraph in text.split("\n\n"):
        for sentence in _SENTENCE.split(paragraph):
            for phrase in address.not_said:
                if contains(sentence, phrase.text):
                    yield Finding("error", *locate.find(phrase.text, item), what,
                                  f"'{phrase.text}' does not address the {audience} audience: \"{sentence}\"")
            for word in regions.foreign[region]:
                if contains(sentence, word.text):
                    yield Finding("error", *locate.find(word.text, item), what,
                                  f"'{word.text}' is not said in the {region} region: \"{sentence}\"")
            spoken = _spoken(sentence, lexicon)
            if len(spoken) > WARN_SYLLABLES:
                level = "error" if len(spoken) > MAX_SYLLABLES else "warning"
                yield Finding(level, *locate.find(_head(sentence), item), what,
                              f"sentence of {len(spoken)} syllables (at most {WARN_SYLLABLES}, never over "
                              f"{MAX_SYLLABLES}): \"{sentence}\"")
            for word in dict.fromkeys(w for w in spoken if not is_vietnamese_syllable(w)):
                yield Finding("error", *locate.find(_head(sentence), item), what,
                              f"the voice would get '{word}', not a Vietnamese syllable; add a lexicon reading: \"{sentence}\"")
            said = sentence.rsplit(":", 1)[-1]  # "Xin nhắc lại: X" right after "Nhớ kỹ: X" is X twice
            key = " ".join(_spoken(said, lexicon) if len(said.split()) >= 4 else spoken)
            if key and key == previous:
                yield Finding("error", *locate.find(_head(sentence), item), what, f"said twice in a row: \"{sentence}\"")
            previous = key
    for fact in aired_facts:
        if fact.says in text:
            yield Finding("warning", fact.source_file, fact.source_line, what,
                          f"unconfirmed fact '{fact.id}' airs (check: {fact.check})")


def used_combinations(project) -> list[tuple[str, StationInfo]]:
    """(audience, station) pairs a build uses: one station for each audience and region of the schedule."""
    from .project import station_info

    if project.schedule is None:
        station = project.station(None)
        return [(a, station) for a in AUDIENCES]
    seen: dict[tuple[str, str], StationInfo] = {}
    for st in project.schedule.stations:
        for audience, _weight in st.audiences:
            seen.setdefault((audience, st.region), station_info(st))
    return [(audience, station) for (audience, _region), station in seen.items()]


def lint_project(project, combinations: Iterable[tuple[str, StationInfo]] | None = None) -> list[Finding]:
    """Every finding over every item x audience x region the schedule uses (editors' overrides included)."""
    regions = project.env.globals.get("regions") or default_regions()
    locate = Locator(project.template_dirs, project.handbook, regions)
    airs = project.env.globals.get("air_unconfirmed", False)
    findings: list[Finding] = []
    for audience, station in (combinations if combinations is not None else used_combinations(project)):
        for item in project.handbook.items:
            script = render_script(project.env, project.handbook, item, audience, station, project.campaign)
            aired = unconfirmed_facts(project.handbook, item.id) if airs else ()
            findings.extend(lint_script(script.text, item, audience, station.region, regions, project.lexicon,
                                        locate, aired))
    return list(dict.fromkeys(findings))


def unconfirmed_fact_uses(project) -> list[FactUse]:
    """Each unconfirmed fact of the content, the items whose scripts would say it, and whether a build airs it.

    Used by `broadcast check`; an approval step can use it to list what awaits confirmation.
    """
    handbook = project.handbook
    airs = bool(project.env.globals.get("air_unconfirmed", False))
    uses = []
    for fact in handbook.facts:
        if not fact.unconfirmed:
            continue
        items = [fact.item] if fact.item is not None else [i.id for i in handbook.items]
        uses.append(FactUse(fact, tuple(items), airs, _said_at(project, fact)))
    return uses


def _said_at(project, fact: Fact) -> tuple[str, int | None]:
    """The content file and line whose text carries the fact (editors' files first), else the fact's own line."""
    from .content import packaged_handbook_text

    schedule = project.schedule
    files = [(str(p), Path(p).read_text(encoding="utf-8")) for p in (schedule.content if schedule else ()) if Path(p).is_file()]
    files.append((fact.source_file if "(packaged)" in fact.source_file else "handbook.yaml (packaged)", packaged_handbook_text()))
    for name, text in files:
        for no, line in enumerate(text.splitlines(), 1):
            if fact.says in line and not line.lstrip().startswith(("says:", "#")):
                return name, no
    return fact.source_file, fact.source_line


def raise_on_errors(findings: Sequence[Finding]) -> None:
    """An InputError (exit 2) naming every error finding's file and line; warnings pass."""
    errors = [f for f in findings if f.level == "error"]
    if errors:
        raise InputError([Problem(f.file, f.line, "", f"{f.message} ({f.what})") for f in errors])
