"""Read schedule.yaml into a LocatedYAML so that no file content, however broken, escapes as a traceback."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..errors import ConfigError, InputError, Problem
from ..yamlsource import LocatedYAML, field_name, load_yaml_text, printable, scalar_message

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64  # schedule.yaml needs about 6 levels; deeper is a mistake (or an attack on the recursion)
MAX_NODES = 5_000_000  # after alias expansion; a "billion laughs" file stops here
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE
_COMPOSE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCTOR = yaml.SafeLoader("")


def read_located(path: Path, display: str) -> LocatedYAML:
    """Read and parse the file; any problem becomes a ConfigError with file:line."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _error(display, 1, "", f"the file is {size} bytes; a schedule is at most {MAX_BYTES}")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _error(display, None, "", "file not found") from None
    except IsADirectoryError:
        raise _error(display, None, "", "is a folder, not a file") from None
    except OSError as exc:
        raise _error(display, None, "", f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise _error(display, line, "", f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8") from None
    return parse_located(text, display)


def parse_located(text: str, display: str) -> LocatedYAML:
    """Parse YAML text with lines; a ConfigError (with a line) for anything YAML or the loader rejects."""
    text = text.removeprefix("\ufeff")
    bad = _NON_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise _error(display, line, "", f"control character U+{ord(bad.group()):04X} is not allowed in YAML")
    if "&" in text:  # anchors: the only way to build cycles or exponential aliases
        _check_nodes(text, display)
    try:
        return load_yaml_text(text, display)
    except InputError as exc:
        raise ConfigError([_with_line(p) for p in exc.problems]) from None
    except (RecursionError, MemoryError):
        raise _diagnose(text, display, "the YAML is nested too deeply") from None
    except Exception as exc:  # the loader lets some bad scalars through as plain exceptions (e.g. 2023-02-30)
        raise _diagnose(text, display, f"bad value: {exc}") from None


def _error(file: str, line: int | None, field: str, message: str) -> ConfigError:
    return ConfigError([Problem(file, line, printable(field), printable(message))])


def _with_line(problem: Problem) -> Problem:
    """One line per problem, and every problem names a line (a whole-file YAML problem: line 1)."""
    message = problem.message.split("\n  in ", 1)[0].replace("\n", " ")  # drop PyYAML's '<unicode string>' mark
    return Problem(problem.file, problem.line or 1, printable(problem.field), printable(message))


def _compose(text: str, display: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_COMPOSE_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _error(display, mark.line + 1 if mark else 1, "", f"YAML syntax error: {exc.problem or exc}") from None
    except (yaml.YAMLError, RecursionError, MemoryError) as exc:
        raise _error(display, 1, "", f"YAML error: {exc}") from None


def _children(node: yaml.Node) -> list[tuple[str | int, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        return [(str(getattr(k, "value", "?")), v) for k, v in node.value] + [("(key)", k) for k, _ in node.value]
    if isinstance(node, yaml.SequenceNode):
        return list(enumerate(node.value))
    return []


def _check_nodes(text: str, display: str) -> None:
    """Refuse aliases that refer to themselves or expand to an enormous document."""
    root = _compose(text, display)
    if root is None:
        return
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, tuple, bool]] = [(root, (), False)]
    while stack:  # iterative post-order walk: the structure may be deeper than Python's recursion
        node, path, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for _, child in _children(node))
            if sizes[key] > MAX_NODES:
                raise _error(display, node.start_mark.line + 1, field_name(path), "aliases expand to too much data")
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise _error(display, node.start_mark.line + 1, field_name(path), "an alias refers to itself")
        if len(path) > MAX_DEPTH:
            raise _error(display, node.start_mark.line + 1, field_name(path), "the YAML is nested too deeply")
        on_path.add(key)
        stack.append((node, path, True))
        for name, child in _children(node):
            if id(child) in on_path:
                raise _error(display, child.start_mark.line + 1, field_name(path + (name,)), "an alias refers to itself")
            stack.append((child, path + (name,), False))


def _diagnose(text: str, display: str, fallback: str) -> ConfigError:
    """Find the node the loader choked on (a bad scalar or deep nesting) to report its line."""
    root = _compose(text, display)
    stack: list[tuple[yaml.Node, tuple]] = [] if root is None else [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        line = node.start_mark.line + 1
        if len(path) > MAX_DEPTH:
            return _error(display, line, field_name(path), "the YAML is nested too deeply")
        if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:str":
            try:
                _CONSTRUCTOR.construct_object(node, deep=True)
            except Exception as exc:  # noqa: BLE001 - any failure here is the file's fault
                return _error(display, line, field_name(path), scalar_message(node, exc))
        stack.extend((child, path + (name,)) for name, child in reversed(_children(node)))
    return _error(display, 1, "", fallback)

