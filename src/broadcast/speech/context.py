"""One line in the making: finished readings are parked behind private-use marks so later rules skip them."""

from __future__ import annotations

import re

from .lexicon import Lexicon

_FIRST = 0xF0000  # Supplementary Private Use Area-A: never in real text, never \w, never a digit
MARK = "[\U000F0000-\U000FFFFD]"
_MARK_RE = re.compile(MARK)
_WORD = re.compile(r"[^\W\d_]+")
_LAST_WORD = re.compile(r"(?<![\w])([^\W\d_]+)\s*$")
RANGE_KINDS = frozenset({"num", "time", "date"})


class Line:
    """Readings of one line by mark, with their kind (num, time, date, phone, doc, web, word)."""

    __slots__ = ("lexicon", "number", "readings", "kinds")

    def __init__(self, lexicon: Lexicon, number: int):
        self.lexicon = lexicon
        self.number = number
        self.readings: list[str] = []
        self.kinds: list[str] = []

    def mark(self, reading: str, kind: str = "word") -> str:
        """Park `reading`; return its one-character mark (so "Covid-19" keeps its unspaced hyphen)."""
        self.readings.append(reading)
        self.kinds.append(kind)
        return chr(_FIRST + len(self.readings) - 1)

    def kind(self, mark: str) -> str | None:
        """The kind of a mark character, None for any other character."""
        i = ord(mark) - _FIRST if len(mark) == 1 else -1
        return self.kinds[i] if 0 <= i < len(self.kinds) else None

    def plain(self, text: str) -> str:
        """`text` with every mark replaced by its reading, spaced from its neighbours (marks may nest)."""
        while _MARK_RE.search(text):
            text = _MARK_RE.sub(lambda m: f" {self.readings[ord(m.group()) - _FIRST]} ", text)
        return text

    def word_before(self, text: str, pos: int) -> str:
        """The word just before `pos` (lowercased, readings included), "" after a number or a mark like ","."""
        m = _LAST_WORD.search(self.plain(text[max(0, pos - 60):pos]))
        return m.group(1).lower() if m else ""

    def word_after(self, text: str, pos: int) -> str:
        """The word just after `pos` (lowercased, readings included) or ""."""
        m = _WORD.search(self.plain(text[pos:pos + 40]).lower())
        return m.group() if m else ""

    def mark_before(self, text: str, pos: int, pattern: re.Pattern[str]) -> str | None:
        """Kind of the mark that `pattern` (anchored at the end, group 1 = the mark) finds before `pos`."""
        m = pattern.search(text, 0, pos)
        return self.kind(m.group(1)) if m else None
