"""Load YAML keeping the line of every node, so errors can say `file:line: field.path: message`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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
        raise InputError.at(file, node.start_mark.line + 1, field_name(path), _scalar_message(node, exc)) from None


def _scalar_message(node: yaml.ScalarNode, exc: Exception) -> str:
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
