"""The pronunciation lexicon: packaged YAML plus editors' files, validated with file:line on load."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import InputError, Problem, SpeechError
from ..yamlsource import FieldReader, LocatedYAML, load_yaml, load_yaml_text

log = logging.getLogger(__name__)

PACKAGED_NAME = "lexicon.yaml"
MAPPING_SECTIONS = ("letters", "abbreviations", "words", "domains", "units", "symbols")
SECTIONS = MAPPING_SECTIONS + ("hotlines",)
ALPHABET = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + ("Đ",)
SENTENCE_MARKS = ".,?!;:"
_READING = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)*")
_DOMAIN_KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True, eq=False)
class Lexicon:
    """Readings by kind of token; `words` keys are case-folded, all others match as written."""

    letters: Mapping[str, str]
    abbreviations: Mapping[str, str]
    words: Mapping[str, str]
    domains: Mapping[str, str]
    units: Mapping[str, str]
    symbols: Mapping[str, str]
    hotlines: frozenset[str]
    sources: tuple[str, ...] = ()

    @cached_property
    def abbreviation_re(self) -> re.Pattern[str] | None:
        """Case-sensitive whole-token matcher for `abbreviations` (longest key first)."""
        return _token_re(self.abbreviations, 0)

    @cached_property
    def word_re(self) -> re.Pattern[str] | None:
        """Case-insensitive whole-word matcher for `words`."""
        return _token_re(self.words, re.IGNORECASE)

    @cached_property
    def unit_alternation(self) -> str:
        """Regex alternation of unit keys, longest first (used right after a number)."""
        return "|".join(re.escape(k) for k in sorted(self.units, key=len, reverse=True))


def _token_re(table: Mapping[str, str], flags: int) -> re.Pattern[str] | None:
    if not table:
        return None
    keys = "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))
    return re.compile(rf"(?<![\w])(?:{keys})(?![\w])", flags)


def _check_reading(value: str) -> str | None:
    """Why a reading (already a non-empty NFC text) is unusable, or None."""
    if any("0" <= c <= "9" for c in value):
        return f"reading {value!r} has a digit: write numbers in words"
    if not _READING.fullmatch(value.strip()):
        return f"reading {value!r} may hold only letters and single spaces"
    return None


def _check_key(section: str, key: str) -> str | None:
    """Why a key is unusable in its section, or None."""
    if not key.strip() or key != key.strip():
        return "key must be non-empty, without spaces around it"
    if unicodedata.normalize("NFC", key) != key:
        return "key is not NFC (compose the accents: Vietnamese text is NFC)"
    if section == "letters" and key not in ALPHABET:
        return "letters: key must be one capital letter A-Z or Đ"
    if section == "domains" and not _DOMAIN_KEY.fullmatch(key):
        return "domains: key must be one lowercase label of a web address (a-z, 0-9, -), e.g. khonggianmang"
    if section == "symbols" and (len(key) != 1 or key.isalnum() or key.isspace() or key in SENTENCE_MARKS):
        return "symbols: key must be one character that is not a letter, digit, space or . , ? ! ; :"
    if section in ("abbreviations", "words", "units") and not any(c.isalnum() for c in key):
        return f"{section}: key must contain a letter or digit"
    return None


def _read_document(doc: LocatedYAML, tables: dict[str, dict[str, str]], hotlines: set[str], problems: list[Problem]) -> None:
    """Validate one lexicon file and merge it into `tables` / `hotlines` (later files win)."""
    if doc.data is None:
        return
    r = FieldReader(doc)
    for section, body in (r.mapping(doc.data, (), SECTIONS) or {}).items():
        if section not in SECTIONS or body is None:
            continue
        if section == "hotlines":
            for i, number in enumerate(r.sequence(body, (section,)) or []):
                text = str(number) if isinstance(number, int) and not isinstance(number, bool) else number
                if not isinstance(text, str) or not text.isascii() or not text.isdigit():
                    r.fail((section, i), f"{number!r} is not a number of digits (quote it)")
                else:
                    hotlines.add(text)
            continue
        for key, value in (r.mapping(body, (section,)) or {}).items():
            why = _check_key(section, key)
            reading = r.text(value, (section, key), nfc="require") if why is None else None
            why = why or (reading and _check_reading(reading))
            if why:
                r.fail((section, key), why)
            elif reading:
                tables[section][key.casefold() if section == "words" else key] = reading
    problems.extend(r.problems)


def _packaged_text() -> str:
    return resources.files("broadcast").joinpath("data", PACKAGED_NAME).read_text(encoding="utf-8")


def load_lexicon(extra: Sequence[Path | str] = ()) -> Lexicon:
    """The packaged lexicon, then each editor file in order (later entries override); SpeechError lists every problem."""
    tables: dict[str, dict[str, str]] = {name: {} for name in MAPPING_SECTIONS}
    hotlines: set[str] = set()
    problems: list[Problem] = []
    sources = [f"(packaged) {PACKAGED_NAME}"]
    docs: list[tuple[str, Any]] = [(sources[0], lambda: load_yaml_text(_packaged_text(), sources[0]))]
    docs += [(str(p), functools.partial(load_yaml, Path(p))) for p in extra]
    for name, load in docs:
        try:
            doc = load()
        except InputError as exc:  # syntax errors and unreadable files, already located
            problems.extend(exc.problems)
            continue
        _read_document(doc, tables, hotlines, problems)
        if name not in sources:
            sources.append(name)
    missing = [c for c in ALPHABET if c not in tables["letters"]]
    if missing and not problems:
        problems.append(Problem(sources[0], None, "letters", f"no letter name for {', '.join(missing)}"))
    if problems:
        raise SpeechError(problems)
    log.debug("lexicon loaded from %s", ", ".join(sources))
    frozen = {name: MappingProxyType(dict(table)) for name, table in tables.items()}
    return Lexicon(hotlines=frozenset(hotlines), sources=tuple(sources), **frozen)


@functools.lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The packaged lexicon alone, loaded once."""
    return load_lexicon()
