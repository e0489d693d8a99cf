"""The campaign's figures: planned vs aired per station and per item, for the dashboard and the report files."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from .database import Entry
from .live import LivePlan

LEVEL_VN = {"district": "Huyện", "commune": "Xã"}
STATION_COLUMNS = ("Mã đài", "Tên đài", "Cấp", "Huyện", "Số buổi kế hoạch", "Số buổi đã phát",
                   "Số buổi không phát được", "Số buổi chưa báo", "Thời lượng đã phát (phút)")
ITEM_COLUMNS = ("Mã nội dung", "Tên nội dung", "Số lượt kế hoạch", "Số lượt đã phát", "Thời lượng đã phát (phút)")
BULLETIN_COLUMNS = ("Mã bản tin", "Hình thức", "Số lượt kế hoạch", "Số lượt đã phát")
BULLETIN_FORM = {"emergency": "Chương trình khẩn cấp riêng", "rotation": "Trong buổi phát thường kỳ"}


@dataclass
class BulletinRow:
    bulletin: str
    form: str
    planned: int = 0
    aired: int = 0

    def cells(self) -> list:
        return [self.bulletin, BULLETIN_FORM.get(self.form, self.form), self.planned, self.aired]


@dataclass
class StationRow:
    station: str
    name: str
    level: str
    district: str
    planned: int = 0
    aired: int = 0
    not_aired: int = 0
    seconds: float = 0.0

    @property
    def pending(self) -> int:
        return self.planned - self.aired - self.not_aired

    @property
    def minutes(self) -> float:
        return round(self.seconds / 60, 1)

    def cells(self) -> list:
        return [self.station, self.name, LEVEL_VN.get(self.level, self.level), self.district, self.planned,
                self.aired, self.not_aired, self.pending, self.minutes]


@dataclass
class ItemRow:
    item: str
    title: str
    planned: int = 0
    aired: int = 0
    seconds: float = 0.0

    @property
    def minutes(self) -> float:
        return round(self.seconds / 60, 1)

    def cells(self) -> list:
        return [self.item, self.title, self.planned, self.aired, self.minutes]


@dataclass(frozen=True)
class StationInfo:
    """What the report needs of a station from schedule.yaml."""

    id: str
    name: str
    level: str
    district: str  # the district station's id (itself for a district station)


def station_rows(plan: LivePlan, entries: Mapping[tuple[str, str, str], Entry], stations: Iterable[StationInfo],
                 date: str | None = None) -> list[StationRow]:
    """One row per station (in schedule order), counting the live plan's sessions (of one date if given)."""
    rows = {s.id: StationRow(s.id, s.name, s.level, s.district) for s in stations}
    for s in plan.sessions:
        if date is not None and s.date != date or s.kind != "rotation":  # bulletins' own programmes: bulletin_rows
            continue
        row = rows.setdefault(s.station, StationRow(s.station, s.station_name, s.level, ""))
        row.planned += 1
        e = entries.get((s.station, s.date, s.slot))
        if e and e.status == "aired":
            row.aired += 1
            row.seconds += s.duration_s
        elif e:
            row.not_aired += 1
    return list(rows.values())


def item_rows(plan: LivePlan, entries: Mapping[tuple[str, str, str], Entry]) -> list[ItemRow]:
    rows: dict[str, ItemRow] = {}
    for s in plan.sessions:
        e = entries.get((s.station, s.date, s.slot))
        for item, title, seconds in zip(s.items, s.titles, s.item_seconds):
            row = rows.setdefault(item, ItemRow(item, title))
            row.planned += 1
            if e and e.status == "aired":
                row.aired += 1
                row.seconds += seconds
    return sorted(rows.values(), key=lambda r: r.item)


def bulletin_rows(plan: LivePlan, entries: Mapping[tuple[str, str, str], Entry]) -> list[BulletinRow]:
    """Each bulletin counted apart: confirmed per session it was read in, or on its own for an emergency programme."""
    rows: dict[tuple[str, str], BulletinRow] = {}
    for s in plan.sessions:
        e = entries.get((s.station, s.date, s.slot))
        for b in s.bulletins:
            row = rows.setdefault((b, s.kind), BulletinRow(b, s.kind))
            row.planned += 1
            row.aired += bool(e and e.status == "aired")
    return sorted(rows.values(), key=lambda r: (r.bulletin, r.form))


def _tables(stations, items, bulletins) -> list[tuple[str, tuple[str, ...], list]]:
    tables = [("Theo đài", STATION_COLUMNS, stations), ("Theo nội dung", ITEM_COLUMNS, items)]
    return tables + ([("Bản tin", BULLETIN_COLUMNS, bulletins)] if bulletins else [])


def report_csv(stations: list[StationRow], items: list[ItemRow], bulletins: list[BulletinRow] = ()) -> bytes:
    """The tables in one CSV (a blank line between), UTF-8 with a BOM so Excel keeps the Vietnamese."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for n, (_, columns, rows) in enumerate(_tables(stations, items, bulletins)):
        if n:
            w.writerow([])
        w.writerow(columns)
        w.writerows(_safe(r.cells()) for r in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _safe(cells: list) -> list:
    """Text that a spreadsheet would take for a formula is quoted with a leading apostrophe."""
    return ["'" + c if isinstance(c, str) and c[:1] in ("=", "+", "-", "@", "\t", "\r") else c for c in cells]


def report_xlsx(stations: list[StationRow], items: list[ItemRow], bulletins: list[BulletinRow] = ()) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for n, (title, columns, rows) in enumerate(_tables(stations, items, bulletins)):
        ws = wb.active if n == 0 else wb.create_sheet(title)
        ws.title = title
        ws.append(columns)
        for r in rows:
            ws.append(_safe(r.cells()))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def report_bytes(fmt: str, stations: list[StationRow], items: list[ItemRow], bulletins: list[BulletinRow] = ()) -> bytes:
    return report_csv(stations, items, bulletins) if fmt == "csv" else report_xlsx(stations, items, bulletins)


def schedule_stations(schedule) -> list[StationInfo]:
    return [StationInfo(s.id, s.name, s.level, s.district or s.id) for s in schedule.stations]


def campaign_report(schedule, fmt: str) -> bytes:
    """The report for a schedule: its output's live plan and its portal database."""
    from .database import open_database
    from .live import read_plan

    db = open_database(schedule)
    try:
        plan, entries = read_plan(schedule.output), db.current_entries()
    finally:
        db.close()
    return report_bytes(fmt, station_rows(plan, entries, schedule_stations(schedule)), item_rows(plan, entries),
                        bulletin_rows(plan, entries))


def write_report(data: bytes, path: Path) -> None:
    from ..atomic import write_bytes_atomic

    write_bytes_atomic(path, data)
