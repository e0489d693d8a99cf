"""The handbook as data: 24 fraud forms in 3 groups, what to do when scammed, where to report.

The packaged `data/handbook.yaml` is loaded first; an editor's YAML files (same shape, any subset of
`groups`, `items`, `after_scam`, `channels`) then add items or replace them by id.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from .errors import ContentError, InputError, Problem
from .yamlsource import LocatedYAML, PathKey, load_yaml, load_yaml_text

AUDIENCES: tuple[str, ...] = ("general", "elderly", "farmers", "workers", "officials")
AUDIENCE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "general": "bà con nhân dân",
        "elderly": "người cao tuổi",
        "farmers": "bà con nông dân",
        "workers": "công nhân, người lao động",
        "officials": "cán bộ, công chức và gia đình",
    }
)
GROUP_IDS = (1, 2, 3)
ITEM_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ITEM_TEXT_FIELDS = ("title", "hook", "key_message")
_ITEM_LIST_FIELDS = ("how_it_works", "warning_signs", "what_to_do")
_ITEM_REQUIRED = ("id", "number", "group", *_ITEM_TEXT_FIELDS, *_ITEM_LIST_FIELDS, "examples")
_ITEM_KEYS = (*_ITEM_REQUIRED, "stock", "points")
_TOP_KEYS = ("version", "title", "publisher", "groups", "items", "after_scam", "channels", "facts")
# Stock sentences a template adds only where the item declares them relevant (`stock:` of an item).
STOCK = ("stranger_call", "harvest_money", "wage_card", "fake_leader")
FACT_STATUSES = ("unconfirmed", "confirmed")


@dataclass(frozen=True)
class Group:
    id: int
    title: str
    intro: str


@dataclass(frozen=True)
class Item:
    """One handbook form, written for listening."""

    id: str
    number: int
    group: int
    title: str
    hook: str
    how_it_works: tuple[str, ...]
    warning_signs: tuple[str, ...]
    what_to_do: tuple[str, ...]
    key_message: str
    examples: Mapping[str, str]
    source_file: str  # where the item was defined, for error messages
    source_line: int | None
    stock: tuple[str, ...] = ()  # which stock sentences fit this item (STOCK)
    # audience -> field -> indexes of the points that matter for that audience (default: all; elderly: the first two)
    points_for: Mapping[str, Mapping[str, tuple[int, ...]]] = field(default_factory=lambda: MappingProxyType({}))

    def points(self, audience: str, field: str) -> tuple[str, ...]:
        """The points of `field` (how_it_works, warning_signs, what_to_do) this audience's example turns on."""
        values = getattr(self, field)
        chosen = self.points_for.get(audience, {}).get(field)
        if chosen:
            return tuple(values[i] for i in chosen)
        return values[:2] if audience == "elderly" else values

    def to_dict(self) -> dict:
        """Plain data for JSON: every field, examples as a dict."""
        return {
            "id": self.id, "number": self.number, "group": self.group, "title": self.title, "hook": self.hook,
            "how_it_works": list(self.how_it_works), "warning_signs": list(self.warning_signs),
            "what_to_do": list(self.what_to_do), "key_message": self.key_message, "examples": dict(self.examples),
        }

    def example(self, audience: str) -> str:
        """The example for this audience, or the general one."""
        return self.examples.get(audience) or self.examples["general"]


@dataclass(frozen=True)
class Fact:
    """A fact the scripts say, with its status: unconfirmed facts stay off air unless the schedule allows them."""

    id: str
    says: str  # the words that carry it in the item, channel or template text
    status: str  # "unconfirmed" | "confirmed"
    check: str  # the source to check it against
    item: str | None  # the item it belongs to, or None for every script
    source_file: str
    source_line: int | None

    @property
    def unconfirmed(self) -> bool:
        return self.status == "unconfirmed"


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    number: str
    spoken: str


@dataclass(frozen=True)
class Handbook:
    title: str
    publisher: str
    groups: tuple[Group, ...]
    items: tuple[Item, ...]
    after_scam_title: str
    after_scam_steps: tuple[str, ...]
    channels: tuple[Channel, ...]
    facts: tuple[Fact, ...] = ()

    def item(self, item_id: str) -> Item:
        """The item with this id; an unknown id is a ContentError listing the valid ones."""
        for item in self.items:
            if item.id == item_id:
                return item
        close = difflib.get_close_matches(item_id, self.item_ids, n=1)
        hint = f" did you mean '{close[0]}'?" if close else ""
        raise ContentError(f"unknown item '{item_id}'.{hint} Valid items: {', '.join(self.item_ids)}")

    def group(self, group_id: int) -> Group:
        return next(g for g in self.groups if g.id == group_id)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)


def check_audience(audience: str) -> str:
    """Return the audience id, or raise a ContentError that lists the valid ones."""
    if audience not in AUDIENCES:
        raise ContentError(f"unknown audience '{audience}'. Valid audiences: {', '.join(AUDIENCES)}")
    return audience


class _Reader:
    """Collects every problem of one YAML file while reading typed values from it."""

    def __init__(self, doc: LocatedYAML):
        self.doc = doc
        self.problems: list[Problem] = []

    def fail(self, path: PathKey, message: str) -> None:
        self.problems.append(self.doc.problem(path, message))

    def text(self, value: Any, path: PathKey) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a non-empty text")
            return None
        if not unicodedata.is_normalized("NFC", value):
            self.fail(path, "text is not in Unicode NFC form (re-save the file as NFC)")
            return None
        return " ".join(value.split())

    def texts(self, value: Any, path: PathKey) -> tuple[str, ...] | None:
        if not isinstance(value, list) or not value:
            self.fail(path, "must be a non-empty list of sentences")
            return None
        out = [self.text(v, path + (i,)) for i, v in enumerate(value)]
        return None if None in out else tuple(out)  # type: ignore[arg-type]

    def keys(self, mapping: dict, allowed: Sequence[str], path: PathKey, required: Sequence[str] = ()) -> None:
        for key in mapping:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; allowed: {', '.join(allowed)}"
                self.fail(path + (key,), f"unknown key{hint}")
        for key in required:
            if key not in mapping:
                self.fail(path, f"missing key '{key}'")

    def mapping(self, value: Any, path: PathKey) -> dict | None:
        if not isinstance(value, dict):
            self.fail(path, "must be a mapping (key: value)")
            return None
        return value

    def item(self, raw: Any, path: PathKey) -> Item | None:
        data = self.mapping(raw, path)
        if data is None:
            return None
        before = len(self.problems)
        self.keys(data, _ITEM_KEYS, path, required=_ITEM_REQUIRED)
        item_id = data.get("id")
        if not isinstance(item_id, str) or not ITEM_ID.match(item_id):
            self.fail(path + ("id",), "must be lowercase ASCII words joined by '-', e.g. 'khoa-sim'")
        number = data.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            self.fail(path + ("number",), "must be a whole number >= 1")
        group = data.get("group")
        if group not in GROUP_IDS or isinstance(group, bool):
            self.fail(path + ("group",), f"must be one of {', '.join(map(str, GROUP_IDS))}")
        fields = {k: self.text(data.get(k), path + (k,)) for k in _ITEM_TEXT_FIELDS}
        lists = {k: self.texts(data.get(k), path + (k,)) for k in _ITEM_LIST_FIELDS}
        examples: dict[str, str] = {}
        ex = self.mapping(data.get("examples"), path + ("examples",))
        if ex is not None:
            self.keys(ex, AUDIENCES, path + ("examples",), required=("general",))
            for aud, text in ex.items():
                if aud in AUDIENCES:
                    checked = self.text(text, path + ("examples", aud))
                    if checked:
                        examples[aud] = checked
        stock = data.get("stock", [])
        if not isinstance(stock, list) or any(v not in STOCK for v in stock):
            self.fail(path + ("stock",), f"must be a list of: {', '.join(STOCK)}")
        points: dict[str, dict[str, tuple[int, ...]]] = {}
        for aud, chosen in (self.mapping(data.get("points", {}), path + ("points",)) or {}).items():
            self.keys({aud: 0}, AUDIENCES, path + ("points",))
            for name, idx in (self.mapping(chosen, path + ("points", aud)) or {}).items():
                where = path + ("points", aud, name)
                values = lists.get(name) if name in _ITEM_LIST_FIELDS else None
                if values is None or not isinstance(idx, list) or not idx or any(
                        not isinstance(i, int) or isinstance(i, bool) or not 1 <= i <= len(values) for i in idx):
                    self.fail(where, f"must be a list of point numbers (1 to the number of {name})")
                    continue
                points.setdefault(aud, {})[name] = tuple(i - 1 for i in idx)
        if len(self.problems) > before:
            return None
        return Item(
            id=item_id, number=number, group=group, examples=MappingProxyType(examples),
            stock=tuple(stock), points_for=MappingProxyType({a: MappingProxyType(f) for a, f in points.items()}),
            source_file=self.doc.file, source_line=self.doc.line(path), **fields, **lists,  # type: ignore[arg-type]
        )

    def group(self, raw: Any, path: PathKey) -> Group | None:
        data = self.mapping(raw, path)
        if data is None:
            return None
        before = len(self.problems)
        self.keys(data, ("id", "title", "intro"), path, required=("id", "title", "intro"))
        if data.get("id") not in GROUP_IDS:
            self.fail(path + ("id",), f"must be one of {', '.join(map(str, GROUP_IDS))}")
        title, intro = self.text(data.get("title"), path + ("title",)), self.text(data.get("intro"), path + ("intro",))
        return None if len(self.problems) > before else Group(data["id"], title, intro)  # type: ignore[arg-type]

    def fact(self, raw: Any, path: PathKey) -> Fact | None:
        data = self.mapping(raw, path)
        if data is None:
            return None
        before = len(self.problems)
        self.keys(data, ("id", "item", "says", "status", "check"), path, required=("id", "says", "status", "check"))
        if not isinstance(data.get("id"), str) or not ITEM_ID.match(data.get("id", "")):
            self.fail(path + ("id",), "must be lowercase ASCII words joined by '-'")
        if data.get("status") not in FACT_STATUSES:
            self.fail(path + ("status",), f"must be one of {', '.join(FACT_STATUSES)}")
        item = data.get("item")
        if item is not None and (not isinstance(item, str) or not ITEM_ID.match(item)):
            self.fail(path + ("item",), "must be an item id")
        says, check = self.text(data.get("says"), path + ("says",)), self.text(data.get("check"), path + ("check",))
        if len(self.problems) > before:
            return None
        return Fact(data["id"], says, data["status"], check, item, self.doc.file, self.doc.line(path))  # type: ignore[arg-type]

    def channel(self, raw: Any, path: PathKey) -> Channel | None:
        data = self.mapping(raw, path)
        if data is None:
            return None
        before = len(self.problems)
        keys = ("id", "name", "number", "spoken")
        self.keys(data, keys, path, required=keys)
        if not isinstance(data.get("id"), str) or not ITEM_ID.match(data.get("id", "")):
            self.fail(path + ("id",), "must be lowercase ASCII words joined by '-'")
        number = data.get("number")
        number = str(number) if isinstance(number, int) and not isinstance(number, bool) else number
        values = [self.text(data.get(k) if k != "number" else number, path + (k,)) for k in keys[1:]]
        return None if len(self.problems) > before else Channel(data["id"], *values)  # type: ignore[arg-type]


def _merge(state: dict[str, Any], doc: LocatedYAML, packaged: bool) -> list[Problem]:
    """Read one handbook file into `state` (replacing items, groups and channels by id)."""
    r = _Reader(doc)
    top = r.mapping(doc.data, ())
    if top is None:
        return r.problems
    required = _TOP_KEYS if packaged else ()
    r.keys(top, _TOP_KEYS, (), required=required)
    for key in ("title", "publisher"):
        if key in top:
            state[key] = r.text(top[key], (key,))
    for key, read, table in (("groups", r.group, "groups"), ("items", r.item, "items"), ("channels", r.channel, "channels"),
                             ("facts", r.fact, "facts")):
        if key not in top:
            continue
        raw = top[key]
        if not isinstance(raw, list) or not raw:
            r.fail((key,), "must be a non-empty list")
            continue
        seen: set[Any] = set()
        for i, entry in enumerate(raw):
            parsed = read(entry, (key, i))
            if parsed is None:
                continue
            if parsed.id in seen:
                r.fail((key, i, "id"), f"duplicate id '{parsed.id}' in this file")
            seen.add(parsed.id)
            state[table][parsed.id] = parsed
    if "after_scam" in top:
        data = r.mapping(top["after_scam"], ("after_scam",))
        if data is not None:
            r.keys(data, ("title", "steps"), ("after_scam",), required=("title", "steps"))
            state["after_scam_title"] = r.text(data.get("title"), ("after_scam", "title"))
            state["after_scam_steps"] = r.texts(data.get("steps"), ("after_scam", "steps"))
    return r.problems


def packaged_handbook_text() -> str:
    """The packaged handbook YAML, as text."""
    return resources.files("broadcast").joinpath("data/handbook.yaml").read_text(encoding="utf-8")


def load_handbook(extra: Sequence[Path] = ()) -> Handbook:
    """Load the packaged handbook, then each editor file in order; raise ContentError listing every problem."""
    state: dict[str, Any] = {"groups": {}, "items": {}, "channels": {}, "facts": {}}
    problems = _merge(state, load_yaml_text(packaged_handbook_text(), "handbook.yaml (packaged)"), packaged=True)
    for path in extra:
        try:
            doc = load_yaml(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(_merge(state, doc, packaged=False))
    items = sorted(state["items"].values(), key=lambda it: (it.number, it.id))
    numbers: dict[int, str] = {}
    for item in items:
        if item.number in numbers:
            problems.append(Problem(item.source_file, item.source_line, f"items[{item.id}].number",
                                    f"number {item.number} is also used by '{numbers[item.number]}'"))
        numbers[item.number] = item.id
        if item.group not in state["groups"]:
            problems.append(Problem(item.source_file, item.source_line, f"items[{item.id}].group",
                                    f"group {item.group} is not defined"))
    for fact in state["facts"].values():
        if fact.item is not None and fact.item not in state["items"]:
            problems.append(Problem(fact.source_file, fact.source_line, f"facts[{fact.id}].item",
                                    f"unknown item '{fact.item}'"))
    if problems:
        raise ContentError(problems)
    return Handbook(
        title=state["title"], publisher=state["publisher"],
        groups=tuple(state["groups"][g] for g in sorted(state["groups"])),
        items=tuple(items),
        after_scam_title=state["after_scam_title"], after_scam_steps=state["after_scam_steps"],
        channels=tuple(state["channels"].values()), facts=tuple(state["facts"].values()),
    )
