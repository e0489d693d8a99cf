"""Every digit left after the special rules: amounts, decimals, money and units, then ranges (A-B -> từ A đến B)."""

from __future__ import annotations

import functools
import re

from .context import MARK, RANGE_KINDS, Line
from .lexicon import Lexicon
from .numbers import read_decimal, read_digits, read_integer

# Alternatives in order: 1.234.567(,89) | 1,234,567 (two or more comma groups) | 4.0 | 1,5 | 42.
_NUMBER = (
    r"(?P<grouped>[0-9]{1,3}(?:\.[0-9]{3})+(?![0-9])(?:,[0-9]+)?)"
    r"|(?P<commas>[0-9]{1,3}(?:,[0-9]{3}){2,}(?![0-9]))"
    r"|(?P<dotted>[0-9]+\.[0-9]+)"
    r"|(?P<plain>[0-9]+(?:,[0-9]+)?)"
)
_RANGE = re.compile(rf"(?P<a>{MARK})(?P<pct>\s*%)?\s*[-–—]\s*(?P<b>{MARK})")
_AFTER_NUMBER = re.compile(rf"(?:[0-9%]|{MARK})\s*$")
CURRENCY_BEFORE = {"$": "đô la", "€": "ơ rô"}


@functools.lru_cache(maxsize=16)
def _number_re(lexicon: Lexicon) -> re.Pattern[str]:
    """The number pattern with this lexicon's units: one-letter ASCII units must touch the number (5m, 48h)."""
    units = sorted(lexicon.units, key=len, reverse=True)
    glued = "|".join(re.escape(u) for u in units)
    spaced = "|".join(re.escape(u) for u in units if not (len(u) == 1 and u.isascii()))
    spaced = spaced or r"(?!)"  # never an empty alternative: it would match a bare space
    unit = rf"(?:(?P<glued>{glued})|\s(?P<spaced>{spaced}))(?![\w])" if units else r"(?!)"
    neg = r"(?:(?<![^\s(])(?P<neg>[-−]))?"  # a minus sign starts a word: "-5", not "Covid-19"
    return re.compile(rf"(?:(?P<cur>[$€])\s?)?{neg}(?<![0-9])(?:{_NUMBER})(?:{unit})?")


def read_amount(m: re.Match[str]) -> str:
    """The words of one matched number (without unit or currency)."""
    if m.group("grouped"):
        whole, _, fraction = m.group("grouped").partition(",")
        whole = whole.replace(".", "")
        return read_decimal(whole, fraction) if fraction else read_integer(whole)
    if m.group("commas"):
        return read_integer(m.group("commas").replace(",", ""))
    if m.group("dotted"):
        whole, fraction = m.group("dotted").split(".")
        return f"{read_integer(whole)} chấm {read_digits(fraction)}"
    whole, _, fraction = m.group("plain").partition(",")
    return read_decimal(whole, fraction) if fraction else read_integer(whole)


def apply(text: str, line: Line) -> str:
    """Numbers with their unit or currency sign; afterwards no ASCII digit is left in the line."""
    if not any("0" <= c <= "9" for c in text):
        return text
    lex = line.lexicon

    def number(m: re.Match[str]) -> str:
        words = [read_amount(m)]
        unit = m.group("glued") or m.group("spaced")
        if unit:
            words.append(lex.units[unit])
        if m.group("cur"):
            words.append(CURRENCY_BEFORE[m.group("cur")])
        if not m.group("neg"):
            return line.mark(" ".join(words), "num")
        if _AFTER_NUMBER.search(text, 0, m.start("neg")):
            return m.group("neg") + line.mark(" ".join(words), "num")  # "2 -3": a range, not minus three
        return line.mark("âm " + " ".join(words), "num")

    return _number_re(lex).sub(number, text)


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
