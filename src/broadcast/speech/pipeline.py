"""normalize(): script text -> speech-ready text, line by line, through the rules in a fixed order."""

from __future__ import annotations

import re
import unicodedata

from ..errors import Problem, SpeechError
from . import amounts, codes, dates, phones, web
from .context import MARK, Line
from .lexicon import Lexicon, default_lexicon
from .spelling import VIETNAMESE_LETTERS

# Order matters: each rule parks its readings, so a later rule never re-reads them. Web addresses and
# document numbers go first (they hold digits, dots, slashes and capitals of their own), the lexicon
# before numbers (keys may hold digits), plain numbers last, capitals after every lexicon chance.
RULES = (
    web.apply,
    codes.apply_docnos,
    codes.apply_admin_units,
    codes.apply_lexicon,
    phones.apply,
    dates.apply_times,
    dates.apply_dates,
    codes.apply_roman,
    codes.apply_ordinals,
    codes.apply_letter_codes,
    amounts.apply,
    amounts.apply_ranges,
    codes.apply_capitals,
)

_PRIVATE = re.compile(MARK)
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_SPACES = re.compile(r"[\t\v\f\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x1c-\x1f\x85]")
_BULLET = re.compile(r"^\s*(?:[-–—•*+·●○■□▪►▸✓✔➢➤→]\s+)+")  # a list marker, not "+84" or "-5"
_SLASH_WORDS = re.compile(rf"(?<=[^\W\d_]|{MARK})\s*/\s*(?=[^\W\d_]|{MARK})")
_NUMERIC = frozenset({"num", "date", "time", "phone", "code", "ord"})
_PER_UNIT = re.compile(rf"{MARK}\s*[^\W\d_]+\s*$")
_QUOTES = re.compile(r"[\"'`´“”‘’«»„‟‹›]")
_BRACKETS = re.compile(r"[()\[\]{}]")
_ELLIPSIS = re.compile(r"…|\.{2,}")
_SPACED_DASH = re.compile(r"(?:^|\s)[-–—]+(?:\s|$)")
_DASH = re.compile(r"[-–—]")
_PUNCT_RUN = re.compile(r"\s*([.,?!;:](?:\s*[.,?!;:])*)\s*")
_ALLOWED = re.compile(f"[^ a-zA-Z.,?!;:{VIETNAMESE_LETTERS}]")  # anything else gets a closer look
SENTENCE_STRENGTH = "?!.;:,"  # the strongest mark of a run such as ", ." is kept


def _symbols(text: str, line: Line) -> str:
    """Slashes between words, then every listed symbol as a word."""
    if "/" in text:
        def slash(m: re.Match[str]) -> str:
            sides = (line.kind(text[m.start() - 1]), line.kind(text[m.end()]))
            if sides == ("code", "code"):
                return ", "  # 4G/5G: either one
            if any(kind in _NUMERIC for kind in sides) or _PER_UNIT.search(text, 0, m.start()):
                return " trên "  # 1/1/1, 3 lần/ngày: "per" or "over"
            return ", "  # Zalo/Telegram, xã/phường: either one

        text = _SLASH_WORDS.sub(slash, text)
    table = line.lexicon.symbols
    if any(c in table for c in text):
        text = "".join(f" {table[c]} " if c in table else c for c in text)
    return text


def _punctuation(text: str) -> str:
    """Quotes go, brackets and spaced dashes become commas, "…" a full stop, hyphens spaces."""
    text = _QUOTES.sub("", text)
    text = _BRACKETS.sub(" , ", text)
    text = _ELLIPSIS.sub(".", text)
    text = _SPACED_DASH.sub(" , ", text)
    text = _DASH.sub(" ", text)
    return text


def _strongest(run: str) -> str:
    return next(c for c in SENTENCE_STRENGTH if c in run)


def _tidy(text: str) -> str:
    """One space between words, a run of marks reduced to its strongest, none leading, no trailing comma."""
    text = _PUNCT_RUN.sub(lambda m: _strongest(m.group(1)) + " ", text)
    text = " ".join(text.split())
    return text.lstrip(".,?!;: ").rstrip(", ")


def _unreadable(text: str) -> str | None:
    """The first character the voice cannot read (not a Latin letter, space or . , ? ! ; :), or None."""
    for m in _ALLOWED.finditer(text):
        ch = m.group()
        if not (ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN")):
            return ch
    return None


def normalize_line(raw: str, lexicon: Lexicon, number: int = 1, source: str = "text") -> str:
    """One line of script text made speech-ready; SpeechError if a character cannot be read."""
    text = unicodedata.normalize("NFC", raw.translate(_INVISIBLE))
    private = _PRIVATE.search(text)  # the rules' own marks: never accept them from outside
    if private:
        raise _cannot_read(private.group(), number, raw, source)
    text = _SPACES.sub(" ", text)
    text = _BULLET.sub("", text)
    line = Line(lexicon, number)
    for rule in RULES:
        text = rule(text, line)
    text = _tidy(line.plain(_punctuation(_symbols(text, line))))
    bad = _unreadable(text)
    if bad is not None:
        raise _cannot_read(bad, number, raw, source)
    return text


def _cannot_read(ch: str, number: int, raw: str, source: str) -> SpeechError:
    name = unicodedata.name(ch, "unnamed character")
    return SpeechError([Problem(source, number, "", f"cannot read {ch!r} (U+{ord(ch):04X} {name}) in: {raw.strip()[:80]}")])


UNREADABLE = "[?] "  # starts the output line of an input line that cannot be read (then the line as written)


def normalize_lines(text: str, lexicon: Lexicon | None = None, source: str = "text") -> tuple[list[str], list[Problem]]:
    """Every line made speech-ready, an unreadable one given back as "[?] " + the line; and the problems."""
    lex = lexicon if lexicon is not None else default_lexicon()
    out, problems = [], []
    for number, raw in enumerate(text.split("\n"), 1):
        try:
            out.append(normalize_line(raw, lex, number, source))
        except SpeechError as exc:
            problems.extend(exc.problems)
            out.append(UNREADABLE + raw.strip())
    return out, problems


def normalize(text: str, lexicon: Lexicon | None = None, source: str = "text") -> str:
    """Speech-ready text: one output line per input line, words only plus . , ? ! ; : for prosody.

    `source` names the text in error messages (`<stdin>:3: cannot read ...`); SpeechError lists every bad line."""
    out, problems = normalize_lines(text, lexicon, source)
    if problems:
        raise SpeechError(problems)
    return "\n".join(out)


_WORD = re.compile(r"[^\W\d_]+")


def count_syllables(text: str) -> int:
    """Syllables the voice will say: words of the normalized text."""
    return len(_WORD.findall(normalize(text)))
