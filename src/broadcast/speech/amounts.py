"""Every digit left after the special rules: amounts, decimals, money and units, then ranges (A-B -> từ A đến B)."""

from __future__ import annotations

import functools
import re
import unicodedata

from .context import MARK, RANGE_KINDS, Line
from .lexicon import Lexicon
from .numbers import read_decimal, read_digits, read_integer, read_number

# Alternatives in order: 1.234.567(,89) | 1,234,567 (two or more comma groups) | 4.0 | 1,5 | 42.
_NUMBER = (
    r"(?P<grouped>[0-9]{1,3}(?:\.[0-9]{3})+(?![0-9])(?:,[0-9]+)?)"
    r"|(?P<commas>[0-9]{1,3}(?:,[0-9]{3}){2,}(?![0-9]))"
    r"|(?P<dotted>[0-9]+\.[0-9]+)"
    r"|(?P<plain>[0-9]+(?:,[0-9]+)?)"
)
_RANGE = re.compile(rf"(?P<a>{MARK})(?P<pct>\s*%)?\s*[-–—]\s*(?P<b>{MARK})")
_AFTER_NUMBER = re.compile(rf"(?:[0-9%]|{MARK})\s*$")
SPACED_LETTER_UNITS = frozenset("lVW")  # "2 l", "220 V", "60 W": no Vietnamese word is one of these letters
# 1tr2, 2tr5, 2t3, 1k2: a whole amount and the next digits of it (1tr2 = 1.200.000)
_SHORTHAND = re.compile(r"(?<![\w.,])(?P<whole>[0-9]{1,3})(?P<scale>tr|t|k|K)(?P<part>[0-9]{1,3})(?![\w]|[.,][0-9])")
SHORTHAND_SCALES = {"tr": 1_000_000, "t": 1_000_000, "k": 1_000, "K": 1_000}


def _currencies(lexicon: Lexicon) -> dict[str, str]:
    """Currency signs (Unicode category Sc) among the lexicon's symbols: $5 and 5$ both read "năm đô la"."""
    return {c: w for c, w in lexicon.symbols.items() if unicodedata.category(c) == "Sc"}


@functools.lru_cache(maxsize=16)
def _number_re(lexicon: Lexicon) -> re.Pattern[str]:
    """The number pattern with this lexicon's units: one-letter ASCII units must touch the number (5m, 48h)."""
    units = sorted(lexicon.units, key=len, reverse=True)
    glued = "|".join(re.escape(u) for u in units)
    spaced = "|".join(re.escape(u) for u in units if not (len(u) == 1 and u.isascii()) or u in SPACED_LETTER_UNITS)
    spaced = spaced or r"(?!)"  # never an empty alternative: it would match a bare space
    unit = rf"(?:(?P<glued>{glued})|\s(?P<spaced>{spaced}))(?![\w])" if units else r"(?!)"
    signs = "".join(re.escape(c) for c in _currencies(lexicon)) or r"\$"
    unit = rf"(?:{unit}|\s?(?P<sign>[{signs}]))"  # 1.234.567₫, 5 $
    neg = r"(?:(?<![^\s(])(?P<neg>[-−]))?"  # a minus sign starts a word: "-5", not "Covid-19"
    return re.compile(rf"(?:(?P<cur>[{signs}])\s?)?{neg}(?<![0-9])(?:{_NUMBER})(?:{unit})?")


def read_amount(m: re.Match[str], amount: bool = False) -> str:
    """The words of one matched number (without unit or currency); `amount`: a cardinal however long."""
    if m.group("grouped"):  # grouped in thousands: an amount, of any length
        whole, _, fraction = m.group("grouped").partition(",")
        whole = whole.replace(".", "")
        return read_decimal(whole, fraction) if fraction else read_integer(whole, amount=True)
    if m.group("commas"):
        return read_integer(m.group("commas").replace(",", ""), amount=True)
    if m.group("dotted"):
        whole, fraction = m.group("dotted").split(".")
        return f"{read_integer(whole)} chấm {read_digits(fraction)}"
    whole, _, fraction = m.group("plain").partition(",")
    return read_decimal(whole, fraction) if fraction else read_integer(whole, amount=amount)


def apply(text: str, line: Line) -> str:
    """Numbers with their unit or currency sign; afterwards no ASCII digit is left in the line."""
    if not any("0" <= c <= "9" for c in text):
        return text
    lex = line.lexicon
    currencies = _currencies(lex)

    def shorthand(m: re.Match[str]) -> str:
        scale, part = SHORTHAND_SCALES[m.group("scale")], m.group("part")
        value = int(m.group("whole")) * scale + int(part) * scale // 10 ** len(part)
        return line.mark(read_number(value), "num")

    def number(m: re.Match[str]) -> str:
        unit = m.group("glued") or m.group("spaced")
        cur = m.group("cur") or m.group("sign")
        words = [read_amount(m, amount=bool(unit or cur or line.word_after(text, m.end()) in MONEY_WORDS))]
        if unit:
            words.append(lex.units[unit])
        if cur:
            words.append(currencies[cur])
        if not m.group("neg"):
            return line.mark(" ".join(words), "num")
        if _AFTER_NUMBER.search(text, 0, m.start("neg")):
            return m.group("neg") + line.mark(" ".join(words), "num")  # "2 -3": a range, not minus three
        return line.mark("âm " + " ".join(words), "num")

    text = _SHORTHAND.sub(shorthand, text)
    text = _number_re(lex).sub(number, text)
    return _per_unit(text, line)


MONEY_WORDS = frozenset("đồng tỷ triệu nghìn ngàn usd vnđ".split())


def _per_unit(text: str, line: Line) -> str:
    """"100₫/kg", "30.000 đồng/kg": the unit after "/" is read too ("trên" comes from the slash rule)."""
    if "/" not in text:
        return text
    units = line.lexicon.units

    def per(m: re.Match[str]) -> str:
        unit = m.group("unit")
        return m.group("head") + line.mark(units[unit], "word") if unit in units else m.group()

    return _PER.sub(per, text)


_PER = re.compile(rf"(?P<head>{MARK}(?:\s*[^\W\d_]+)?\s*/\s*)(?P<unit>[^\W\d_][^\W\d_²³]*[²³]?)(?![\w])")


def apply_ranges(text: str, line: Line) -> str:
    """Two numbers, times or dates joined by a dash: "từ A đến B" ("từ" is not doubled)."""
    if "-" not in text and "–" not in text and "—" not in text:
        return text

    def joined(m: re.Match[str]) -> str:
        if line.kind(m.group("a")) not in RANGE_KINDS or line.kind(m.group("b")) not in RANGE_KINDS:
            return m.group()
        head = "" if line.word_before(text, m.start()) == "từ" else "từ "
        return f" {head}{m.group('a')}{m.group('pct') or ''} đến {m.group('b')} "

    return _RANGE.sub(joined, text)
