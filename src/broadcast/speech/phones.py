"""Phone numbers, hotlines and short codes, read digit by digit ("gọi 113" -> "gọi một một ba").

A listener must be able to dial what they hear, so every phone-like number is read one digit at a time:
- 10 or 11 digits from 0, with or without spaces, dots or dashes (0912 345 678, 0339035656, (0251) 3822 123);
- 1800 / 1900 numbers (1900 1234, 18001567); "+84" as "cộng tám tư", other "+" numbers digit by digit;
- a 3 to 6 digit number after a cue (gọi, đường dây nóng, tổng đài, nhắn tin đến, đầu số, hotline ...),
  or listed under `hotlines` in the lexicon (113, 156, 5656 ...), unless a legal or counting word says it
  is a quantity (Điều 113, 113 vụ);
- any digits, in groups or not, after a word that names a code (số tài khoản, mã OTP, mã xác thực, số thẻ,
  số CCCD ...): "số tài khoản 1903 5678 9012" is read one digit at a time, never as an amount.
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
_DIGIT_RUN = re.compile(r"(?<![\w.,])[0-9]+(?:[ .\-][0-9]+)*(?![\w]|[.,][0-9])")
# Readings of the lexicon are in place by now: "mã OTP" is "mã ô tê pê", "số CCCD" "số căn cước công dân".
_CODE_CUE = re.compile(
    r"(?<!\w)(?:số tài khoản|tài khoản số|stk|mã ô tê pê|mã otp|ô tê pê|otp|mã xác thực|mã xác nhận|mã kích hoạt|"
    r"mã pin|mã giao dịch|mã số|mã|số thẻ|số căn cước công dân|số căn cước|số chứng minh nhân dân|số hộ chiếu|"
    r"số seri|số sê ri|mật khẩu|số bảo hiểm xã hội|số định danh|số hiệu)"
    r"(?:\s+(?:của bạn|của tôi|của quý vị|gồm|là|có))*[\s:,]*$"
)
# Words that make a listed service number a quantity or a reference, not something to dial.
_NOT_BEFORE = frozenset("điều khoản điểm mục chương thứ năm ngày tháng trang lần phần tập quyển".split())
_NOT_AFTER = frozenset(
    "vụ người lần cuộc trường đồng triệu nghìn ngàn tỷ tài ngày tháng năm giờ phút giây hộ xã phường "
    "đối bài cái chiếc học km kg".split()
)


# A listed number with no cue is a hotline only if what follows is not a noun it counts: "báo 113 ngay",
# "lực lượng 113 đã có mặt" dial it; "111 cán bộ", "113 học sinh" count (house rule: see lexicon.yaml).
_HOTLINE_AFTER = frozenset(
    "ngay để hoặc hay và khi nếu miễn là của đã sẽ luôn trực cũng thì mà vẫn hoạt tiếp theo".split()
)
_COUNT_BEFORE = frozenset("có gồm trong với khoảng hơn gần trên dưới tổng cộng mất được".split())


def _dialled(text: str, m: re.Match[str], line: Line) -> bool:
    """A listed service number without a cue: dialled unless the words around it count or cite it."""
    before = line.word_before(text, m.start())
    if before in _NOT_BEFORE or before in _COUNT_BEFORE:
        return False
    after = line.word_after(text, m.end())
    rest = text[m.end():].lstrip()
    glued_word = rest[:1].isalpha() and rest[:1].islower()  # the next word follows directly, no mark between
    return not (after and glued_word and after not in _HOTLINE_AFTER)


def apply(text: str, line: Line) -> str:
    """Replace phone numbers, service numbers and cued hotlines with digit-by-digit readings."""
    if not any("0" <= c <= "9" for c in text):
        return text
    text = _INTL_VN.sub(lambda m: line.mark("cộng tám tư " + read_digits(m.group("rest")), "phone"), text)
    text = _INTL.sub(lambda m: line.mark("cộng " + read_digits(m.group("all")), "phone"), text)
    text = _AREA_CODE.sub(lambda m: line.mark(read_digits(m.group()), "phone"), text)
    text = _NATIONAL.sub(lambda m: line.mark(read_digits(m.group()), "phone"), text)
    text = _SERVICE.sub(lambda m: line.mark(read_digits(m.group()), "phone"), text)

    def coded(m: re.Match[str]) -> str:
        before = line.plain(text[max(0, m.start() - 60):m.start()]).lower()
        return line.mark(read_digits(m.group()), "code") if _CODE_CUE.search(before) else m.group()

    text = _DIGIT_RUN.sub(coded, text)

    def short(m: re.Match[str]) -> str:
        number = m.group("num")
        if line.word_after(text, m.end()) in _NOT_AFTER:
            return number
        before = line.plain(text[max(0, m.start() - 60):m.start()]).lower()
        cued = _CUE.search(before) is not None
        listed = number in line.lexicon.hotlines and _dialled(text, m, line)
        return line.mark(read_digits(number), "phone") if cued or listed else number

    return _SHORT.sub(short, text)
