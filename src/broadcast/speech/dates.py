"""Times and dates: 17h30, 06:00, 20/7/2023, tháng 7/2023, 01/7, and the date-or-fraction call for d/m.

d/m is a date when a date word comes just before it (ngày, từ, đến, sáng ...), when it is written with a
leading zero (01/7), when a date range leads to it (01/7 - 20/7 or 1/7-20/7), or when the day is not
smaller than the month (15/8). Otherwise it is a fraction (1/3 số vụ -> một phần ba). "24/7" without a
date word is round the clock: "hai mươi tư trên bảy". A counting word after it (1/2 số vụ, 1/4 dân số)
makes it a fraction even when the day is not smaller. Ranges of dates and months (1/7-20/7/2023,
10-11/7/2023, tháng 6-7/2023) and quarters (quý II/2023) are read whole, each end a full date.
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
_MIXED = re.compile(r"(?<![\w/.,\-])(?P<w>[0-9]{1,3})\s+(?P<t>[0-9])/(?P<b>[0-9]{1,2})(?![\w/]|[.,\-][0-9])")  # 5 1/2
_DATE_BEFORE = re.compile(rf"({MARK})\s*[-–—]\s*$")
_DAY_MONTH_BEFORE = re.compile(r"(?<![0-9/])[0-9]{1,2}/[0-9]{1,2}\s*[-–—]\s*$")  # 1/7-5/7: both dates
_DATE_AFTER = re.compile(r"\s*[-–—]\s*[0-9]{1,2}/[0-9]{1,2}(?![0-9])")
_SPOKEN_TIME = re.compile(r"(?<![\w.,:/])(?P<h>[0-9]{1,2})\s+giờ\s+(?P<m>[0-9]{2})(?!\s*phút)(?![\w]|[.,:][0-9])")
_RANGE_DASH = r"\s*[-–—]\s*"
# 1/7-20/7/2023 and 01/7 - 20/7 (the year optional): two days of months
_DM_RANGE = re.compile(
    rf"(?<![\w/.,])(?P<d1>[0-9]{{1,2}})/(?P<m1>[0-9]{{1,2}}){_RANGE_DASH}(?P<d2>[0-9]{{1,2}})/(?P<m2>[0-9]{{1,2}})"
    r"(?:/(?P<y>[0-9]{4}))?(?![\w/]|[.,][0-9])"
)
# 10-11/7/2023: two days of one month
_DD_RANGE = re.compile(
    rf"(?<![\w/.,\-])(?P<d1>[0-9]{{1,2}}){_RANGE_DASH}(?P<d2>[0-9]{{1,2}})/(?P<m>[0-9]{{1,2}})"
    r"(?:/(?P<y>[0-9]{4}))?(?![\w/]|[.,][0-9])"
)
# tháng 6-7/2023: two months of one year (needs "tháng" before it: "6-7/2023" alone is not clear)
_MM_RANGE = re.compile(
    rf"(?i:(?<![\w])tháng\s+)(?P<m1>[0-9]{{1,2}}){_RANGE_DASH}(?P<m2>[0-9]{{1,2}})/(?P<y>[0-9]{{4}})(?![\w/]|[.,][0-9])"
)
_QUARTER = re.compile(r"(?i:(?<![\w])quý\s+)(?P<q>IV|I{1,3}|[1-4])\s*/\s*(?P<y>[0-9]{4})(?![\w/]|[.,][0-9])")
_QUARTERS = {"I": 1, "II": 2, "III": 3, "IV": 4}
# After d/m these words make it a share of something, not a date: 1/2 số vụ, 3/4 dân số.
FRACTION_AFTER = frozenset("số tổng dân diện lượng trong các những giá thời phần".split())
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


def read_fraction(top: int, bottom: int) -> str:
    """"một phần ba", "ba phần tư" (a quarter is "tư"); not a proper fraction: "năm trên hai"."""
    if 0 < top < bottom:
        return f"{read_number(top)} phần {'tư' if bottom == 4 else read_number(bottom)}"
    return f"{read_number(top)} trên {read_number(bottom)}"



def apply_times(text: str, line: Line) -> str:
    """17h30, 7h00, 8h, 06:00 and 06:00:30 (hours up to 24, minutes and seconds up to 59)."""
    def timed(m: re.Match[str]) -> str:
        h, mi = int(m.group("h")), int(m.group("m") or 0)
        s = int(m.groupdict().get("s") or 0)
        if h > 24 or mi > 59 or s > 59:
            return m.group()
        return line.mark(read_time(h, mi, s), "time")

    if "giờ" in text:
        text = _SPOKEN_TIME.sub(timed, text)
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
            return line.mark(read_fraction(d, mo), "num")
        before = line.word_before(text, m.start())
        is_date = (
            before in DATE_WORDS
            or ds[0] == "0" or (len(ms) == 2 and ms[0] == "0")
            or line.mark_before(text, m.start(), _DATE_BEFORE) == "date"
            or _DAY_MONTH_BEFORE.search(text, 0, m.start()) is not None
            or _DATE_AFTER.match(text, m.end()) is not None
        )
        if not is_date and line.word_after(text, m.end()) in FRACTION_AFTER:
            return line.mark(read_fraction(d, mo), "num")
        if not is_date and (d, mo) == (24, 7):
            return line.mark("hai mươi tư trên bảy", "num")
        if is_date or d >= mo:
            return line.mark(read_date(d, mo, None, before), "date")
        return line.mark(read_fraction(d, mo), "num")

    def mixed(m: re.Match[str]) -> str:
        top, bottom = int(m.group("t")), int(m.group("b"))
        if not 0 < top < bottom or line.word_before(text, m.start()) in DATE_WORDS:
            return m.group()
        return line.mark(f"{read_number(int(m.group('w')))} và {read_fraction(top, bottom)}", "num")

    text = _ranges(text, line)
    text = _DMY.sub(full, text)
    if "/" in text:
        text = _MIXED.sub(mixed, text)
        text = _MY.sub(month_year, text)
        text = _DM.sub(day_month, text)
    return text


def _valid(day: int | None, month: int) -> bool:
    return 1 <= month <= 12 and (day is None or 1 <= day <= 31)


def _range_words(first: str, second: str, before: str) -> str:
    """"từ A đến B", without doubling a "từ" already said."""
    return f"{'' if before == 'từ' else 'từ '}{first} đến {second}"


def _ranges(text: str, line: Line) -> str:
    """Date and month ranges and quarters, each end read as a full date: 1/7-20/7/2023, 10-11/7, tháng 6-7/2023."""
    if "/" not in text:
        return text

    def two_dates(m: re.Match[str]) -> str:
        d1, m1, d2, m2 = (int(m.group(k)) for k in ("d1", "m1", "d2", "m2"))
        if not (_valid(d1, m1) and _valid(d2, m2)):
            return m.group()
        y = int(m.group("y")) if m.group("y") else None
        before = line.word_before(text, m.start())
        first_year = y - 1 if y and m1 > m2 else None  # 25/12-5/1/2024: the first date is in 2023
        first = read_date(d1, m1, first_year, before)
        if before in ("ngày", "mùng", "mồng"):  # "ngày 1/7-20/7": "ngày mùng một tháng bảy đến ngày hai mươi ..."
            return line.mark(f"{first} đến {read_date(d2, m2, y, '')}", "date")
        return line.mark(_range_words(first, read_date(d2, m2, y, ""), before), "date")

    def two_days(m: re.Match[str]) -> str:
        d1, d2, mo = int(m.group("d1")), int(m.group("d2")), int(m.group("m"))
        if not (_valid(d1, mo) and _valid(d2, mo) and d1 < d2):
            return m.group()
        y = int(m.group("y")) if m.group("y") else None
        before = line.word_before(text, m.start())
        first = f"ngày {read_day(d1)}"
        if before == "ngày":  # "ngày 10-11/7": "ngày mùng mười đến ngày mười một tháng bảy"
            return line.mark(f"{read_day(d1)} đến {read_date(d2, mo, y, '')}", "date")
        return line.mark(_range_words(first, read_date(d2, mo, y, ""), before), "date")

    def two_months(m: re.Match[str]) -> str:
        m1, m2, y = int(m.group("m1")), int(m.group("m2")), int(m.group("y"))
        if not (_valid(None, m1) and _valid(None, m2) and m1 < m2):
            return m.group()
        head = m.group()[: m.start("m1") - m.start()]  # "tháng " as written
        return head + line.mark(f"{read_month(m1)} đến {read_date(None, m2, y, '')}", "date")

    def quarter(m: re.Match[str]) -> str:
        q = m.group("q")
        number = int(q) if q.isdigit() else _QUARTERS[q]
        head = m.group()[: m.start("q") - m.start()]
        return head + line.mark(f"{read_number(number)} năm {read_number(int(m.group('y')))}", "date")

    text = _QUARTER.sub(quarter, text)
    text = _MM_RANGE.sub(two_months, text)
    text = _DM_RANGE.sub(two_dates, text)
    return _DD_RANGE.sub(two_days, text)
