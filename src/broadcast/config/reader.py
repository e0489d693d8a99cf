"""Typed reads from a LocatedYAML that collect every problem instead of stopping at the first."""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import unicodedata
from pathlib import Path
from typing import Any, Sequence

from ..errors import Problem
from ..yamlsource import LocatedYAML, PathKey
from .models import is_safe_id

_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_MAX_TEXT = 500


def show(value: Any) -> str:
    """A short, YAML-like rendering of a value for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def printable(text: str) -> str:
    """Escape control and line-break characters, so one problem stays on one line of output."""
    return text if text.isprintable() else "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def described(value: Any) -> str:
    """Its kind and the value itself ("a number 25"), without saying "a list a list"."""
    what, shown = kind(value), show(value)
    return what if shown in (what, "null") else f"{what} {shown}"


def kind(value: Any) -> str:
    """What sort of YAML value this is, in words."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (dt.date, dt.datetime)):
        return "a date"
    return type(value).__name__


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """' (did you mean 'x'?)' when a choice is close, else ' (expected one of: a, b)'."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (expected one of: {', '.join(choices)})" if choices else ""


class FieldReader:
    """Reads typed values out of one schedule file, remembering a located Problem for each bad one."""

    def __init__(self, doc: LocatedYAML, base_dir: Path):
        self.doc = doc
        self.base_dir = base_dir
        self.problems: list[Problem] = []

    def fail(self, path: PathKey, message: str) -> None:
        """Remember a problem at the line of `path`."""
        problem = self.doc.problem(path, message)
        self.problems.append(Problem(problem.file, problem.line, printable(problem.field), printable(problem.message)))

    def mapping(self, value: Any, path: PathKey, allowed: Sequence[str], required: Sequence[str] = ()) -> dict | None:
        """A mapping with only `allowed` keys and every `required` one."""
        if not isinstance(value, dict):
            self.fail(path, f"must be a mapping (key: value), not {kind(value)}")
            return None
        for key in value:
            if key not in allowed:
                self.fail(path + (key,), f"unknown key '{key}'{did_you_mean(key, allowed)}")
        for key in required:
            if key not in value:
                self.fail(path + (key,), "missing (this key is required)")
        return value

    def sequence(self, value: Any, path: PathKey, non_empty: bool = False, most: int = 100_000) -> list | None:
        """A YAML list, optionally non-empty and bounded in length."""
        if not isinstance(value, list):
            self.fail(path, f"must be a list, not {kind(value)}")
            return None
        if non_empty and not value:
            self.fail(path, "must not be empty")
            return None
        if len(value) > most:
            self.fail(path, f"has {len(value)} entries; at most {most} are allowed")
            return None
        return value

    def text(self, value: Any, path: PathKey) -> str | None:
        """A non-empty single-line text, NFC, with runs of spaces collapsed."""
        if not isinstance(value, str):
            self.fail(path, f"must be a text, not {described(value)} (put it in quotes)")
            return None
        text = " ".join(unicodedata.normalize("NFC", value).split())
        if not text:
            self.fail(path, "must not be empty")
            return None
        if len(text) > _MAX_TEXT:
            self.fail(path, f"is {len(text)} characters long; at most {_MAX_TEXT} are allowed")
            return None
        return text

    def integer(self, value: Any, path: PathKey, low: int, high: int) -> int | None:
        """A whole number within [low, high]."""
        if isinstance(value, float) and value.is_integer() and low <= value <= high:
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"must be a whole number from {low} to {high}, not {described(value)}")
            return None
        if not low <= value <= high:
            self.fail(path, f"{show(value)} is out of range (from {low} to {high})")
            return None
        return value

    def number(self, value: Any, path: PathKey, low: float, high: float, low_open: bool = False) -> float | None:
        """A finite number within [low, high] (or (low, high] when `low_open`)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"must be a number from {low:g} to {high:g}, not {described(value)}")
            return None
        number = float(value) if not isinstance(value, int) or abs(value) < 10**300 else math.inf
        if not math.isfinite(number) or not (low < number if low_open else low <= number) or number > high:
            bound = f"more than {low:g}" if low_open else f"from {low:g}"
            self.fail(path, f"{show(value)} is out of range ({bound} to {high:g})")
            return None
        return number

    def boolean(self, value: Any, path: PathKey) -> bool | None:
        """true or false (YAML's yes/no count too)."""
        if not isinstance(value, bool):
            self.fail(path, f"must be true or false, not {described(value)}")
            return None
        return value

    def choice(self, value: Any, path: PathKey, choices: Sequence[str], what: str) -> str | None:
        """One of `choices`, with a did-you-mean hint otherwise."""
        if isinstance(value, str) and value in choices:
            return value
        word = value if isinstance(value, str) else show(value)
        self.fail(path, f"{show(value)} is not {what}{did_you_mean(word, choices)}")
        return None

    def ident(self, value: Any, path: PathKey, what: str) -> str | None:
        """An id that is also a safe folder name on every system."""
        if is_safe_id(value):
            return value
        self.fail(
            path,
            f"{show(value)} is not a valid {what}: use 1 to 64 lowercase letters a-z, digits and '-', "
            "not starting with '-' (it becomes a folder name)",
        )
        return None

    def date(self, value: Any, path: PathKey) -> dt.date | None:
        """A calendar date such as 2023-07-01 (quoted or not)."""
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(path, f"{show(value)} is not a date (write it like 2023-07-01)")
        return None

    def time(self, value: Any, path: PathKey) -> dt.time | None:
        """A time of day "HH:MM" (quoted: YAML reads unquoted 17:00 as the base-60 number 1020)."""
        if isinstance(value, str):
            match = _TIME.fullmatch(value.strip())
            if match and int(match[1]) < 24 and int(match[2]) < 60:
                return dt.time(int(match[1]), int(match[2]))
            self.fail(path, f"{show(value)} is not a time (write it like \"05:30\", from 00:00 to 23:59)")
            return None
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            hint = f'"{value // 60:02d}:{value % 60:02d}"'
            self.fail(path, f"is the number {value}: put the time in quotes, like {hint} (YAML reads unquoted 17:00 as a number)")
            return None
        self.fail(path, f"{show(value)} is not a time (write it like \"05:30\", in quotes)")
        return None

    def file_path(self, value: Any, path: PathKey, must_be: str | None) -> Path | None:
        """A path relative to the schedule's folder; `must_be` "file"/"dir" checks that it exists."""
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"must be a path (a text), not {described(value)}")
            return None
        try:
            resolved = self.base_dir / Path(value.strip()).expanduser()
            if must_be == "file" and not resolved.is_file():
                self.fail(path, f"file not found: {resolved}")
                return None
            if must_be == "dir" and resolved.exists() and not resolved.is_dir():
                self.fail(path, f"is not a folder: {resolved}")
                return None
        except (OSError, ValueError, RuntimeError) as exc:  # e.g. a name too long, or '~user' unknown
            self.fail(path, f"is not a usable path: {exc}")
            return None
        return resolved
