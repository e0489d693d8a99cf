"""Times and dates: 17h30, 06:00, 20/7/2023, tháng 7/2023, 01/7, and the date-or-fraction call for d/m.

d/m is a date when a date word comes just before it (ngày, từ, đến, sáng ...), when it is written with a
leading zero (01/7), when a date range leads to it (01/7 - 20/7 or 1/7-20/7), or when the day is not
smaller than the month (15/8). Otherwise it is a fraction (1/3 số vụ -> một phần ba). "24/7" without a
date word is round the clock: "hai mươi tư trên bảy".
"""

from __future__ import annotations

import re

from .context import MARK, Line
from .numbers import read_day, read_month, read_number

_TIME_H = re.compile(r"(?<![\w.,:/])(?P<h>[0-9]{1,2})\s?[hH](?P<m>[0-9]{2})?(?![\w]|[.,:][0-9])")
_TIME_COLON = re.compile(r"(?<![\w.,:/])(?P<h>[0-9]{1,2}):(?P<m>[0-9]{2})(?::(?P<s>[0-9]{2}))?(?![\w:]|[.,][0-9])")
_DMY = re.compile(
    r"(?<![\w/.,])(?P<d>[0-9]{1,2})(?P<sep>[/.\-])(?P<m>[0-9]{1,2})(?P=sep)(?P<y>[0-9]{4})(?![\w/]|[.,\-][0-9])"
)
_MY = re.compile(r"(?<![\w/.,\-])(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})(?![\w/]|[.,][0-9])")
_DM = re.compile(r"(?<![\w/.,])(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})(?![\w/]|[.,][0-9])")
_DATE_BEFORE = re.compile(rf"({MARK})\s*[-–—]\s*$")
_DAY_MONTH_BEFORE = re.compile(r"(?<![0-9/])[0-9]{1,2}/[0-9]{1,2}\s*[-–—]\s*$")  # 1/7-5/7: both dates
_DATE_AFTER = re.compile(r"\s*[-–—]\s*[0-9]{1,2}/[0-9]{1,2}(?![0-9])")
DATE_WORDS = frozenset(
    "ngày mùng mồng từ đến tới hôm sáng trưa chiều tối đêm khuya trước sau vào hạn dịp nay kể".split()
)


def read_time(hours: int, minutes: int, seconds: int = 0) -> str:
    """"mười bảy giờ ba mươi phút"; whole hours drop "không phút"."""
    words = [read_number(hours), "giờ"]
    if minutes or seconds:
        words += [read_number(minutes), "phút"]
    if seconds:
        words += [read_number(seconds), "giây"]
    return " ".join(words)


def read_date(day: int | None, month: int, year: int | None, before: str) -> str:
    """Date words; `before` is the word already in the text, so "ngày", "mùng" or "tháng" are not doubled."""
    words = []
    if day is not None:
        if before not in ("ngày", "mùng", "mồng"):
            words.append("ngày")
        words.append(read_number(day) if before in ("mùng", "mồng") else read_day(day))
        words.append("tháng")
    elif before != "tháng":
        words.append("tháng")
    words.append(read_month(month))
    if year is not None:
        words += ["năm", read_number(year)]
    return " ".join(words)


def _fraction(top: int, bottom: int) -> str:
    return f"{read_number(top)} {'phần' if 0 < top < bottom else 'trên'} {read_number(bottom)}"


def apply_times(text: str, line: Line) -> str:
    """17h30, 7h00, 8h, 06:00 and 06:00:30 (hours up to 24, minutes and seconds up to 59)."""
    def timed(m: re.Match[str]) -> str:
        h, mi = int(m.group("h")), int(m.group("m") or 0)
        s = int(m.groupdict().get("s") or 0)
        if h > 24 or mi > 59 or s > 59:
            return m.group()
        return line.mark(read_time(h, mi, s), "time")

    if "h" in text or "H" in text:
        text = _TIME_H.sub(timed, text)
    if ":" in text:
        text = _TIME_COLON.sub(timed, text)
    return text


def apply_dates(text: str, line: Line) -> str:
    """d/m/yyyy (also - and .), m/yyyy, and d/m when it is a date rather than a fraction."""
    if "/" not in text and "-" not in text and "." not in text:
        return text

    def full(m: re.Match[str]) -> str:
        d, mo, y = int(m.group("d")), int(m.group("m")), int(m.group("y"))
        if not (1 <= d <= 31 and 1 <= mo <= 12):
            return m.group()
        return line.mark(read_date(d, mo, y, line.word_before(text, m.start())), "date")

    def month_year(m: re.Match[str]) -> str:
        mo, y = int(m.group("m")), int(m.group("y"))
        if not 1 <= mo <= 12:
            return m.group()
        return line.mark(read_date(None, mo, y, line.word_before(text, m.start())), "date")

    def day_month(m: re.Match[str]) -> str:
        ds, ms = m.group("d"), m.group("m")
        d, mo = int(ds), int(ms)
        if not (1 <= d <= 31 and 1 <= mo <= 12):
            return line.mark(_fraction(d, mo), "num")
        before = line.word_before(text, m.start())
        is_date = (
            before in DATE_WORDS
            or ds[0] == "0" or (len(ms) == 2 and ms[0] == "0")
            or line.mark_before(text, m.start(), _DATE_BEFORE) == "date"
            or _DAY_MONTH_BEFORE.search(text, 0, m.start()) is not None
            or _DATE_AFTER.match(text, m.end()) is not None
        )
        if not is_date and (d, mo) == (24, 7):
            return line.mark("hai mươi tư trên bảy", "num")
        if is_date or d >= mo:
            return line.mark(read_date(d, mo, None, before), "date")
        return line.mark(_fraction(d, mo), "num")

    text = _DMY.sub(full, text)
    if "/" in text:
        text = _MY.sub(month_year, text)
        text = _DM.sub(day_month, text)
    return text
