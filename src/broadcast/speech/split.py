"""Cut speech-ready text into pieces a TTS voices whole: at sentence ends, else clauses, phrases, words."""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"(?<=[.?!])\s+")
_CLAUSE = re.compile(r"(?<=[,;:])\s+")
# Before a linking word is where a reader takes a breath when a clause is still too long.
_PHRASE = re.compile(
    r"\s+(?=(?:và|hoặc|hay|nhưng|mà|để|khi|nếu|thì|vì|do|nên|rồi|với|cho|của|tại|trong|theo|qua|bằng|từ|"
    r"đến|tới|sau khi|trước khi|hãy|không|là)\s)",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
_LEVELS = (_SENTENCE, _CLAUSE, _PHRASE, _SPACE)


def _pack(units: list[str], max_chars: int) -> list[str]:
    out: list[str] = []
    for unit in units:
        if out and len(out[-1]) + 1 + len(unit) <= max_chars:
            out[-1] += " " + unit
        else:
            out.append(unit)
    return out


def _pack_evenly(units: list[str], max_chars: int) -> list[str]:
    """As few pieces as greedy packing gives, but of even length: no three-word orphan at the end."""
    greedy = _pack(units, max_chars)
    if len(greedy) < 2:
        return greedy
    total = sum(map(len, units)) + len(units) - 1
    for limit in range(-(-total // len(greedy)), max_chars):
        packed = _pack(units, limit)
        if len(packed) <= len(greedy):
            return packed
    return greedy


def _pieces(text: str, max_chars: int, level: int) -> list[str]:
    """Pieces of `text` no longer than max_chars, cut at the strongest boundary that works."""
    if len(text) <= max_chars or level == len(_LEVELS):
        return [text]  # at the last level `text` is one word longer than max_chars: never cut a word
    # Whole sentences are packed greedily (fewer pieces); the parts of one long sentence evenly.
    pack = _pack if level == 0 else _pack_evenly
    out: list[str] = []
    whole: list[str] = []  # consecutive units that fit: packed together
    for unit in _LEVELS[level].split(text):
        if not unit:
            continue
        if len(unit) <= max_chars:
            whole.append(unit)
            continue
        out += pack(whole, max_chars)
        whole = []
        out += _pieces(unit, max_chars, level + 1)
    return out + pack(whole, max_chars)


def split_for_voice(text: str, max_chars: int = 100) -> list[str]:
    """Pieces of at most max_chars (a longer single word stands alone), ending at punctuation where possible."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    pieces: list[str] = []
    for line in text.split("\n"):
        line = " ".join(line.split())
        if line:
            pieces += _pieces(line, max_chars, 0)
    return [p for p in pieces if p.strip(" .,?!;:")]


def split_sentences(text: str) -> list[str]:
    """Sentences of speech-ready text; a line break also ends one."""
    out = []
    for line in text.split("\n"):
        out += [s.strip() for s in _SENTENCE.split(line) if s.strip()]
    return out
