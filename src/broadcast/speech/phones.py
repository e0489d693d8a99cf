"""Phone numbers, hotlines and short codes, read digit by digit ("gọi 113" -> "gọi một một ba").

A listener must be able to dial what they hear, so every phone-like number is read one digit at a time:
- 10 or 11 digits from 0, with or without spaces, dots or dashes (0912 345 678, 0339035656, (0251) 3822 123);
- 1800 / 1900 numbers (1900 1234, 18001567); "+84" as "cộng tám tư", other "+" numbers digit by digit;
- a 3 to 6 digit number after a cue (gọi, đường dây nóng, tổng đài, nhắn tin đến, đầu số, hotline ...),
  or listed under `hotlines` in the lexicon (113, 156, 5656 ...), unless a legal or counting word says it
  is a quantity (Điều 113, 113 vụ).
"""

from __future__ import annotations

import re

from .context import Line
from .numbers import read_digits

_INTL_VN = re.compile(r"(?<![\w+])\+\s?84(?P<rest>(?:[ .\-]?[0-9]){8,10})(?![0-9])")
_INTL = re.compile(r"(?<![\w+])\+\s?(?P<all>[0-9](?:[ .\-]?[0-9]){6,14})(?![0-9])")
_NATIONAL = re.compile(r"(?<![\w.,+])0(?:[0-9][ .\-]?){8,9}[0-9](?![0-9]|[.,][0-9])")
_AREA_CODE = re.compile(r"\(0[0-9]{2,3}\)\s?(?:[0-9][ .\-]?){5,7}[0-9](?![0-9]|[.,][0-9])")  # (0251) 3822 123
_SERVICE = re.compile(r"(?<![\w.,])1[89]00(?:[ .\-]?[0-9]){4,6}(?![0-9]|[.,][0-9])")
_SHORT = re.compile(r"(?<![\w.,/+\-])(?P<num>[0-9]{3,6})(?![\w/]|[.,\-][0-9])")
_CUE = re.compile(
    r"(?<!\w)(?:gọi điện|gọi|đường dây nóng|tổng đài|nhắn tin|nhắn|soạn tin|đầu số|hotline|số điện thoại|"
    r"điện thoại|sđt|liên hệ|quay số|bấm số|bấm)"
    r"(?:\s+(?:ngay lập tức|ngay|đến|tới|cho|vào|về|qua|theo|số|máy|khẩn cấp|miễn phí|lên|trực tiếp|"
    r"tổng đài|đường dây nóng|hotline))*[\s:,]*$"
)
# Words that make a listed service number a quantity or a reference, not something to dial.
_NOT_BEFORE = frozenset("điều khoản điểm mục chương thứ năm ngày tháng trang lần phần tập quyển".split())
_NOT_AFTER = frozenset(
    "vụ người lần cuộc trường đồng triệu nghìn ngàn tỷ tài ngày tháng năm giờ phút giây hộ xã phường "
    "đối bài cái chiếc học km kg".split()
)


def apply(text: str, line: Line) -> str:
    """Replace phone numbers, service numbers and cued hotlines with digit-by-digit readings."""
    if not any("0" <= c <= "9" for c in text):
        return text
    text = _INTL_VN.sub(lambda m: line.mark("cộng tám tư " + read_digits(m.group("rest")), "phone"), text)
    text = _INTL.sub(lambda m: line.mark("cộng " + read_digits(m.group("all")), "phone"), text)
    text = _AREA_CODE.sub(lambda m: line.mark(read_digits(m.group()), "phone"), text)
    text = _NATIONAL.sub(lambda m: line.mark(read_digits(m.group()), "phone"), text)
    text = _SERVICE.sub(lambda m: line.mark(read_digits(m.group()), "phone"), text)

    def short(m: re.Match[str]) -> str:
        number = m.group("num")
        if line.word_after(text, m.end()) in _NOT_AFTER:
            return number
        before = line.plain(text[max(0, m.start() - 60):m.start()]).lower()
        cued = _CUE.search(before) is not None
        listed = number in line.lexicon.hotlines and line.word_before(text, m.start()) not in _NOT_BEFORE
        return line.mark(read_digits(number), "phone") if cued or listed else number

    return _SHORT.sub(short, text)
