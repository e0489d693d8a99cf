"""Vietnamese number words: cardinals, digits one by one, decimals, ordinals, Roman numerals, days and months.

Reading rules (house style, southern and northern radio both accept them):
- units after a tens word: 1 -> "mốt" (hai mươi mốt), 4 -> "tư" (hai mươi tư), 5 -> "lăm" (mười lăm);
  "mười bốn" and "mười một" keep the plain forms;
- an empty tens place inside a group is "linh" (một trăm linh năm);
- groups: "nghìn", "triệu", "tỷ"; an inner group without hundreds says "không trăm"
  (hai nghìn không trăm hai mươi ba), an empty group is skipped (một triệu năm trăm);
- decimals: "," is the decimal mark ("phẩy"); "." groups thousands.
"""

from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
MAX_CARDINAL_DIGITS = 15  # longer runs are account numbers or codes: read digit by digit


def _below_thousand(n: int, inner: bool) -> list[str]:
    """Words for 0 < n < 1000; `inner` is True when a higher group was already read."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or inner:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if hundreds or inner:
                words.append("linh")
            words.append(DIGITS[units])
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGITS[units])
    else:
        words += [DIGITS[tens], "mươi"]
        if units:
            words.append({1: "mốt", 4: "tư", 5: "lăm"}.get(units, DIGITS[units]))
    return words


def _below_billion(n: int, inner: bool) -> list[str]:
    words: list[str] = []
    for scale, name in ((1_000_000, "triệu"), (1_000, "nghìn"), (1, "")):
        group, n = divmod(n, scale)
        if group:
            words += _below_thousand(group, inner)
            if name:
                words.append(name)
            inner = True
    return words


def read_number(n: int) -> str:
    """Cardinal reading of a non-negative integer: 2023 -> "hai nghìn không trăm hai mươi ba"."""
    if n < 0:
        return "âm " + read_number(-n)
    if n == 0:
        return DIGITS[0]
    if n >= 1_000_000_000:
        high, low = divmod(n, 1_000_000_000)
        head = read_number(high) + " tỷ"
        return f"{head} {' '.join(_below_billion(low, True))}" if low else head
    return " ".join(_below_billion(n, False))


def read_digits(digits: str) -> str:
    """Each digit on its own, separators ignored: "0912.345" -> "không chín một hai ba bốn năm"."""
    return " ".join(DIGITS[int(c)] for c in digits if "0" <= c <= "9")


def read_integer(digits: str, amount: bool = False) -> str:
    """A run of digits as written: cardinal, or digit by digit when too long or zero-led like a code.

    `amount` (grouped in thousands, or with a unit or currency): a cardinal whatever its length."""
    if amount and digits.lstrip("0"):
        return read_number(int(digits))
    if len(digits) > MAX_CARDINAL_DIGITS or (len(digits) >= 3 and digits[0] == "0"):
        return read_digits(digits)
    return read_number(int(digits))


def read_decimal(whole: str, fraction: str, mark: str = "phẩy") -> str:
    """"1", "5" -> "một phẩy năm"; a fraction with a leading zero or over two digits goes digit by digit."""
    if fraction[0] == "0" or len(fraction) > 2:
        tail = read_digits(fraction)
    else:
        tail = read_number(int(fraction))
    return f"{read_integer(whole)} {mark} {tail}"


def read_ordinal(n: int) -> str:
    """The word after "thứ": 1 -> "nhất", 4 -> "tư", else the cardinal."""
    return {1: "nhất", 4: "tư"}.get(n) or read_number(n)


def read_month(n: int) -> str:
    """The word after "tháng": 4 -> "tư"; 1 is "một" (house choice, clearer than "giêng" on air)."""
    return "tư" if n == 4 else read_number(n)


def read_day(n: int) -> str:
    """Day of the month: "mùng" before days 1 to 10 (mùng một ... mùng mười)."""
    return f"mùng {read_number(n)}" if 1 <= n <= 10 else read_number(n)


_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman_value(text: str) -> int | None:
    """The value of a well-formed Roman numeral (I..MMMCMXCIX), else None."""
    if not text or any(c not in _ROMAN for c in text):
        return None
    total = 0
    for i, c in enumerate(text):
        value = _ROMAN[c]
        total += -value if i + 1 < len(text) and _ROMAN[text[i + 1]] > value else value
    # Reject malformed numerals (IIII, VX, IC ...) by writing the value back.
    return total if 0 < total < 4000 and to_roman(total) == text else None


def to_roman(n: int) -> str:
    """The canonical Roman numeral for 1..3999."""
    out = []
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                       (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        count, n = divmod(n, value)
        out.append(sym * count)
    return "".join(out)
