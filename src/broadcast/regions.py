"""Forms of address and region words: who is addressed, how greeted and thanked, per audience and region.

The packaged `data/regions.yaml` is read first; editors' files (schedule.yaml `regions:`) override any
entry. Handbook text is written without a form of address and may name region words as `{village}`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from .content import AUDIENCES
from .errors import ContentError, InputError, Problem
from .yamlsource import FieldReader, LocatedYAML, PathKey, load_yaml, load_yaml_text

REGIONS = ("north", "central", "south")
PACKAGED_NAME = "regions.yaml"
_TOP_KEYS = ("version", "words", "foreign", "audiences")
_AUDIENCE_KEYS = ("addressee", "greeting", "thanks", "not_said", "explain")
_WORD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Located:
    """A text and where it was written (for the linter's findings)."""

    text: str
    file: str
    line: int | None


@dataclass(frozen=True)
class Address:
    """How one audience is spoken to in one region."""

    addressee: str
    greeting: str  # with {locality}
    thanks: str
    not_said: tuple[Located, ...]
    explain: Mapping[str, str]

    def greet(self, locality: str) -> str:
        text = self.greeting.replace("{locality}", locality.strip())
        return " ".join(text.replace(" !", "!").split()).replace(" !", "!")


@dataclass(frozen=True)
class Regions:
    """Everything of regions.yaml after the editors' overrides."""

    words: Mapping[str, Mapping[str, str]]  # word -> region -> text
    foreign: Mapping[str, tuple[Located, ...]]  # region -> words not said there
    audiences: Mapping[tuple[str, str], Address]  # (audience, region) -> address
    sources: tuple[str, ...]

    def address(self, audience: str, region: str) -> Address:
        return self.audiences[(audience, region)]

    def words_for(self, region: str) -> dict[str, str]:
        return {word: by_region[region] for word, by_region in self.words.items()}

    def localize(self, text: str, region: str, where: tuple[str, int | None] = ("", None)) -> str:
        """`text` with every {word} replaced by the region's word; an unknown word is a ContentError."""
        def sub(match: re.Match[str]) -> str:
            word = match.group(1)
            if word not in self.words:
                raise ContentError([Problem(where[0], where[1], "", f"unknown region word '{{{word}}}'; known: "
                                            + ", ".join(sorted(self.words)))])
            return self.words[word][region]
        return _WORD.sub(sub, text)


def _by_region(r: FieldReader, value: Any, path: PathKey) -> dict[str, str] | None:
    """A text for every region, or a mapping region -> text (all three regions)."""
    if not isinstance(value, dict):
        text = r.text(value, path)
        return None if text is None else {reg: text for reg in REGIONS}
    data = r.mapping(value, path, REGIONS, required=REGIONS)
    if data is None:
        return None
    out = {reg: r.text(data[reg], path + (reg,)) for reg in REGIONS if reg in data}
    return None if None in out.values() or len(out) < len(REGIONS) else out  # type: ignore[return-value]


def _located_list(r: FieldReader, value: Any, path: PathKey) -> tuple[Located, ...] | None:
    items = r.sequence(value, path)
    if items is None:
        return None
    out = []
    for i, v in enumerate(items):
        text = r.text(v, path + (i,))
        if text is not None:
            out.append(Located(text, r.doc.file, r.doc.line(path + (i,))))
    return tuple(out)


def _read(doc: LocatedYAML, state: dict[str, Any], problems: list[Problem], packaged: bool) -> None:
    r = FieldReader(doc)
    top = r.mapping(doc.data if doc.data is not None else {}, (), _TOP_KEYS,
                    required=("words", "foreign", "audiences") if packaged else ())
    if top is not None:
        words = r.mapping(top.get("words", {}), ("words",))
        for word, value in (words or {}).items():
            got = _by_region(r, value, ("words", word))
            if got is not None:
                state["words"][word] = got
        foreign = r.mapping(top.get("foreign", {}), ("foreign",), REGIONS)
        for region, value in (foreign or {}).items():
            got = _located_list(r, value, ("foreign", region))
            if got is not None:
                state["foreign"][region] = got
        audiences = r.mapping(top.get("audiences", {}), ("audiences",), AUDIENCES,
                              required=AUDIENCES if packaged else ())
        for audience, raw in (audiences or {}).items():
            path: PathKey = ("audiences", audience)
            data = r.mapping(raw, path, _AUDIENCE_KEYS,
                             required=("addressee", "greeting", "thanks") if packaged else ())
            if data is None:
                continue
            entry = state["audiences"].setdefault(audience, {})
            for key in ("addressee", "greeting", "thanks"):
                if key in data:
                    got = _by_region(r, data[key], path + (key,))
                    if got is not None:
                        entry[key] = got
            if "not_said" in data:
                got = _located_list(r, data["not_said"], path + ("not_said",))
                if got is not None:
                    entry["not_said"] = got
            if "explain" in data:
                explain = r.mapping(data["explain"], path + ("explain",))
                if explain is not None:
                    entry["explain"] = {k: r.text(v, path + ("explain", k)) or k for k, v in explain.items()}
    problems.extend(r.problems)


def packaged_regions_text() -> str:
    return resources.files("broadcast").joinpath("data", PACKAGED_NAME).read_text(encoding="utf-8")


def load_regions(extra: Sequence[Path | str] = ()) -> Regions:
    """The packaged regions file, then each editor file (later entries override); ContentError lists every problem."""
    state: dict[str, Any] = {"words": {}, "foreign": {}, "audiences": {}}
    problems: list[Problem] = []
    sources = [f"(packaged) {PACKAGED_NAME}"]
    _read(load_yaml_text(packaged_regions_text(), sources[0]), state, problems, packaged=True)
    for path in extra:
        try:
            doc = load_yaml(Path(path))
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        sources.append(str(path))
        _read(doc, state, problems, packaged=False)
    if problems:
        raise ContentError(problems)
    audiences = {}
    for audience, entry in state["audiences"].items():
        for region in REGIONS:
            audiences[(audience, region)] = Address(
                addressee=entry["addressee"][region], greeting=entry["greeting"][region],
                thanks=entry["thanks"][region], not_said=tuple(entry.get("not_said", ())),
                explain=MappingProxyType(dict(entry.get("explain", {}))),
            )
    return Regions(
        words=MappingProxyType({w: MappingProxyType(v) for w, v in state["words"].items()}),
        foreign=MappingProxyType({reg: tuple(state["foreign"].get(reg, ())) for reg in REGIONS}),
        audiences=MappingProxyType(audiences), sources=tuple(sources),
    )


@functools.lru_cache(maxsize=1)
def default_regions() -> Regions:
    return load_regions()
