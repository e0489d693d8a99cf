"""The handbook as data: 24 fraud forms in 3 groups, what to do when scammed, where to report.

The packaged `data/handbook.yaml` is loaded first; an editor's YAML files (same shape, any subset of
`groups`, `items`, `after_scam`, `channels`) then add items or replace them by id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from .errors import ContentError, InputError, Problem
from .yamlsource import FieldReader, LocatedYAML, PathKey, did_you_mean, load_yaml, load_yaml_text

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
# Audiences that hear only some points: an item must say which, for each of _ITEM_LIST_FIELDS.
_POINTS_REQUIRED = ("elderly",)
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
    # audience -> field -> indexes of the points that matter for that audience (undeclared: all of them).
    # Every item declares the elderly's points (the loader requires it): none falls back to position.
    points_for: Mapping[str, Mapping[str, tuple[int, ...]]] = field(default_factory=lambda: MappingProxyType({}))

    def points(self, audience: str, field: str) -> tuple[str, ...]:
        """The points of `field` (how_it_works, warning_signs, what_to_do) this audience's example turns on."""
        values = getattr(self, field)
        chosen = self.points_for.get(audience, {}).get(field)
        if chosen:
            return tuple(values[i] for i in chosen)
        return values

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
        raise ContentError(f"unknown item '{item_id}'{did_you_mean(item_id, self.item_ids)}. "
                           f"Valid items: {', '.join(self.item_ids)}")

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


# Handbook texts are sentences and examples written for listening: NFC as written, longer than schedule texts.
_TEXT = {"most": 2000, "nfc": "require"}
_ID_RULE = "use lowercase ASCII words joined by '-', e.g. 'khoa-sim'"


def _item(r: FieldReader, raw: Any, path: PathKey) -> Item | None:
    data = r.mapping(raw, path, _ITEM_KEYS, required=_ITEM_REQUIRED)
    if data is None:
        return None
    before = len(r.problems)
    item_id = r.ident(data.get("id"), path + ("id",), "item id", ITEM_ID, _ID_RULE) if "id" in data else None
    number = r.integer(data.get("number"), path + ("number",), 1, 999) if "number" in data else None
    group = r.choice(data.get("group"), path + ("group",), GROUP_IDS, "a handbook group") if "group" in data else None
    fields = {k: r.text(data.get(k), path + (k,), **_TEXT) for k in _ITEM_TEXT_FIELDS if k in data}
    lists = {k: r.texts(data.get(k), path + (k,), **_TEXT) for k in _ITEM_LIST_FIELDS if k in data}
    examples: dict[str, str] = {}
    for aud, text in ((r.mapping(data.get("examples"), path + ("examples",), AUDIENCES, required=("general",))
                       if "examples" in data else None) or {}).items():
        checked = r.text(text, path + ("examples", aud), **_TEXT) if aud in AUDIENCES else None
        if checked:
            examples[aud] = checked
    stock = [r.choice(v, path + ("stock", i), STOCK, "a stock sentence")
             for i, v in enumerate(r.sequence(data.get("stock", []), path + ("stock",)) or [])]
    points = _points(r, data.get("points", {}), path + ("points",), lists)
    if len(r.problems) > before:
        return None
    return Item(
        id=item_id, number=number, group=group, examples=MappingProxyType(examples),  # type: ignore[arg-type]
        stock=tuple(stock), points_for=MappingProxyType({a: MappingProxyType(f) for a, f in points.items()}),  # type: ignore[arg-type]
        source_file=r.doc.file, source_line=r.line(path), **fields, **lists,  # type: ignore[arg-type]
    )


def _points(r: FieldReader, raw: Any, path: PathKey, lists: Mapping[str, Any]) -> dict[str, dict[str, tuple[int, ...]]]:
    """audience -> field -> the 0-based indexes of the points that audience hears (written 1-based).

    The elderly hear fewer points, so each item says which (the ones its elderly example turns on).
    """
    points: dict[str, dict[str, tuple[int, ...]]] = {}
    for aud, chosen in (r.mapping(raw, path, AUDIENCES, required=_POINTS_REQUIRED) or {}).items():
        required = _ITEM_LIST_FIELDS if aud in _POINTS_REQUIRED else ()
        for name, idx in (r.mapping(chosen, path + (aud,), _ITEM_LIST_FIELDS, required) or {}).items():
            values, where = lists.get(name), path + (aud, name)
            numbers = r.sequence(idx, where, non_empty=True)
            if values is None or numbers is None or name not in _ITEM_LIST_FIELDS:
                continue
            read = [r.integer(i, where + (j,), 1, len(values)) for j, i in enumerate(numbers)]
            if None not in read:
                points.setdefault(aud, {})[name] = tuple(i - 1 for i in read)  # type: ignore[operator]
    return points


def _group(r: FieldReader, raw: Any, path: PathKey) -> Group | None:
    data = r.mapping(raw, path, ("id", "title", "intro"), required=("id", "title", "intro"))
    if data is None:
        return None
    before = len(r.problems)
    group_id = r.choice(data.get("id"), path + ("id",), GROUP_IDS, "a handbook group") if "id" in data else None
    title, intro = (r.text(data.get(k), path + (k,), **_TEXT) if k in data else None for k in ("title", "intro"))
    return None if len(r.problems) > before else Group(group_id, title, intro)  # type: ignore[arg-type]


def _fact(r: FieldReader, raw: Any, path: PathKey) -> Fact | None:
    data = r.mapping(raw, path, ("id", "item", "says", "status", "check"), required=("id", "says", "status", "check"))
    if data is None:
        return None
    before = len(r.problems)
    fact_id = r.ident(data.get("id"), path + ("id",), "fact id", ITEM_ID, _ID_RULE) if "id" in data else None
    status = r.choice(data.get("status"), path + ("status",), FACT_STATUSES, "a fact status") if "status" in data else None
    item = r.ident(data["item"], path + ("item",), "item id", ITEM_ID, _ID_RULE) if data.get("item") is not None else None
    says, check = (r.text(data.get(k), path + (k,), **_TEXT) if k in data else None for k in ("says", "check"))
    if len(r.problems) > before:
        return None
    return Fact(fact_id, says, status, check, item, r.doc.file, r.line(path))  # type: ignore[arg-type]


def _channel(r: FieldReader, raw: Any, path: PathKey) -> Channel | None:
    keys = ("id", "name", "number", "spoken")
    data = r.mapping(raw, path, keys, required=keys)
    if data is None:
        return None
    before = len(r.problems)
    channel_id = r.ident(data.get("id"), path + ("id",), "channel id", ITEM_ID, _ID_RULE) if "id" in data else None
    number = data.get("number")
    number = str(number) if isinstance(number, int) and not isinstance(number, bool) else number
    values = [r.text(data.get(k) if k != "number" else number, path + (k,), **_TEXT) for k in keys[1:] if k in data]
    return None if len(r.problems) > before else Channel(channel_id, *values)  # type: ignore[arg-type]


def _merge(state: dict[str, Any], doc: LocatedYAML, packaged: bool) -> list[Problem]:
    """Read one handbook file into `state` (replacing items, groups and channels by id)."""
    r = FieldReader(doc)
    top = r.mapping(doc.data if doc.data is not None or packaged else {}, (), _TOP_KEYS,
                    required=_TOP_KEYS if packaged else ())
    if top is None:
        return r.problems
    for key in ("title", "publisher"):
        if key in top:
            state[key] = r.text(top[key], (key,), **_TEXT)
    for key, read in (("groups", _group), ("items", _item), ("channels", _channel), ("facts", _fact)):
        seen: set[Any] = set()
        for i, entry in enumerate(r.sequence(top[key], (key,), non_empty=True) or [] if key in top else []):
            parsed = read(r, entry, (key, i))
            if parsed is None:
                continue
            if parsed.id in seen:
                r.fail((key, i, "id"), f"duplicate id '{parsed.id}' in this file")
            seen.add(parsed.id)
            state[key][parsed.id] = parsed
    if "after_scam" in top:
        data = r.mapping(top["after_scam"], ("after_scam",), ("title", "steps"), required=("title", "steps"))
        if data is not None:
            state["after_scam_title"] = r.text(data.get("title"), ("after_scam", "title"), **_TEXT)
            state["after_scam_steps"] = r.texts(data.get("steps"), ("after_scam", "steps"), **_TEXT)
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
