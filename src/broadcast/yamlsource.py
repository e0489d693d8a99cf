"""The one YAML reader: files parsed with the line of every node, and typed reads that collect problems.

Every YAML file the project reads (schedule, content, lexicon, regions, bulletins) goes through
`load_yaml` and a `FieldReader`, so a mistake is worded the same in each: `file:line: field.path: message`,
with "(did you mean 'x'?)" for a near miss.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import unicodedata
from pathlib import Path
from typing import Any, Sequence

import yaml

from .errors import InputError, Problem

PathKey = tuple[str | int, ...]

_CONSTRUCTOR = yaml.SafeLoader("")
# The C composer, when PyYAML was built with libyaml, is several times faster on large files.
_COMPOSE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LocatedYAML:
    """Plain Python data from a YAML file plus the 1-based line of each value, by path."""

    def __init__(self, file: str, data: Any, lines: dict[PathKey, int]):
        self.file = file
        self.data = data
        self.lines = lines

    def line(self, path: PathKey) -> int | None:
        """The line of the value at `path`, or of its nearest located parent."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def problem(self, path: PathKey, message: str) -> Problem:
        return Problem(self.file, self.line(path), field_name(path), message)


def field_name(path: PathKey) -> str:
    """('stations', 3, 'slots', 0) -> 'stations[3].slots[0]'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


MAX_DEPTH = 500  # our files need about 6 levels; this only keeps a hostile file from exhausting the recursion
MAX_NODES = 2_000_000  # after alias expansion: a "billion laughs" file stops here


def _convert(node: yaml.Node, path: PathKey, lines: dict[PathKey, int], file: str) -> Any:
    if len(path) > MAX_DEPTH:
        raise InputError.at(file, node.start_mark.line + 1, field_name(path), "the YAML is nested too deeply")
    if len(lines) > MAX_NODES:
        raise InputError.at(file, node.start_mark.line + 1, "", f"more than {MAX_NODES} values (aliases expanding?)")
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else yaml.serialize(key_node).strip()
            if key == "<<":
                raise InputError.at(file, key_node.start_mark.line + 1, field_name(path), "YAML merge keys are not supported")
            key = str(key)
            if key in out:
                raise InputError.at(file, key_node.start_mark.line + 1, field_name(path + (key,)), "duplicate key")
            out[key] = _convert(value_node, path + (key,), lines, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(child, path + (i,), lines, file) for i, child in enumerate(node.value)]
    # A scalar: composing already resolved its tag (int, bool, date, str ...); construct the value.
    if node.tag == "tag:yaml.org,2002:str":
        return node.value
    try:
        return _CONSTRUCTOR.construct_object(node, deep=True)
    except Exception as exc:  # PyYAML lets some bad scalars out as ValueError etc. (e.g. 2023-02-30)
        raise InputError.at(file, node.start_mark.line + 1, field_name(path), scalar_message(node, exc)) from None


def scalar_message(node: yaml.ScalarNode, exc: Exception) -> str:
    detail = str(exc).split("\n", 1)[0]
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", node.value.strip()):
        return f'"{node.value}" is not a date that exists ({detail})'
    return f'"{node.value[:40]}" cannot be read as {node.tag.rsplit(":", 1)[-1]} ({detail})'


def load_yaml_text(text: str, file: str) -> LocatedYAML:
    """Parse YAML text; a syntax error becomes an InputError with file:line."""
    try:
        node = yaml.compose(text, Loader=_COMPOSE_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InputError([Problem(file, line, "", f"YAML syntax error: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(file, None, "", f"YAML error: {exc}")]) from None
    lines: dict[PathKey, int] = {}
    data = None if node is None else _convert(node, (), lines, file)
    return LocatedYAML(file, data, lines)


def load_yaml(path: str | Path, display: str | None = None) -> LocatedYAML:
    """Read and parse a YAML file (UTF-8)."""
    path = Path(path)
    name = display or str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError.at(name, None, "", "file not found") from None
    except UnicodeDecodeError as exc:
        raise InputError.at(name, None, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputError.at(name, None, "", f"cannot read: {exc.strerror}") from None
    return load_yaml_text(text, name)


# ---- typed reads ---------------------------------------------------------------------------------

_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_MAX_TEXT = 500
_SAFE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
# Windows refuses these as file or folder names whatever the case; ids become folder names.
_RESERVED_NAMES = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))})


def is_safe_id(value: object) -> bool:
    """True if `value` can be used as a folder name anywhere: [a-z0-9-], 1..64 chars, no leading '-'."""
    return isinstance(value, str) and _SAFE_ID.fullmatch(value) is not None and value not in _RESERVED_NAMES


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
    """Reads typed values out of one YAML file, remembering a located Problem for each bad one."""

    def __init__(self, doc: LocatedYAML, base_dir: Path = Path(".")):
        self.doc = doc
        self.base_dir = base_dir
        self.problems: list[Problem] = []

    def fail(self, path: PathKey, message: str) -> None:
        """Remember a problem at the line of `path`."""
        problem = self.doc.problem(path, message)
        self.problems.append(Problem(problem.file, problem.line, printable(problem.field), printable(problem.message)))

    def line(self, path: PathKey) -> int | None:
        return self.doc.line(path)

    def mapping(self, value: Any, path: PathKey, allowed: Sequence[str] | None = None,
                required: Sequence[str] = ()) -> dict | None:
        """A mapping with only `allowed` keys (None: any key) and every `required` one."""
        if not isinstance(value, dict):
            self.fail(path, f"must be a mapping (key: value), not {kind(value)}")
            return None
        for key in value if allowed is not None else ():
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

    def text(self, value: Any, path: PathKey, most: int = _MAX_TEXT, nfc: str = "normalize") -> str | None:
        """A non-empty single-line text with runs of spaces collapsed; NFC (`nfc="require"` refuses other forms)."""
        if not isinstance(value, str):
            self.fail(path, f"must be a text, not {described(value)} (put it in quotes)")
            return None
        if nfc == "require" and not unicodedata.is_normalized("NFC", value):
            self.fail(path, "is not in Unicode NFC form (compose the accents: re-save the file as NFC)")
            return None
        text = " ".join(unicodedata.normalize("NFC", value).split())
        if not text:
            self.fail(path, "must not be empty")
            return None
        if len(text) > most:
            self.fail(path, f"is {len(text)} characters long; at most {most} are allowed")
            return None
        return text

    def texts(self, value: Any, path: PathKey, most: int = _MAX_TEXT, nfc: str = "normalize") -> tuple[str, ...] | None:
        """A non-empty list of texts (sentences)."""
        values = self.sequence(value, path, non_empty=True)
        if values is None:
            return None
        out = [self.text(v, path + (i,), most, nfc) for i, v in enumerate(values)]
        return None if None in out else tuple(out)  # type: ignore[arg-type]

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

    def choice(self, value: Any, path: PathKey, choices: Sequence[Any], what: str) -> Any:
        """One of `choices` (texts or numbers), with a did-you-mean hint otherwise."""
        if value in choices and (not isinstance(value, bool) or any(isinstance(c, bool) for c in choices)):
            return value
        word = value if isinstance(value, str) else show(value)
        self.fail(path, f"{show(value)} is not {what}{did_you_mean(word, [str(c) for c in choices])}")
        return None

    def ident(self, value: Any, path: PathKey, what: str, pattern: re.Pattern[str] | None = None,
              rule: str = "use 1 to 64 lowercase letters a-z, digits and '-', not starting with '-' (it becomes a folder name)"
              ) -> str | None:
        """An id that is a safe folder name on every system (and matches `pattern`, described by `rule`)."""
        if is_safe_id(value) and (pattern is None or pattern.fullmatch(value)):
            return value
        self.fail(path, f"{show(value)} is not a valid {what}: {rule}")
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
        """A path relative to the file's folder; `must_be` "file"/"dir" checks that it exists."""
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
