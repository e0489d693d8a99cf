"""Web addresses and e-mails read out: khonggianmang.vn -> "không gian mạng chấm vê en".

The scheme (http://, https://) is not read: a listener types the address without it and the browser adds
it. Labels come from the lexicon's `domains` (then `words`); a label that is one Vietnamese syllable is
read as it is, a short one is spelled (abc -> a bê xê), a longer unknown one is left for the voice.
"""

from __future__ import annotations

import re

from .context import Line
from .lexicon import Lexicon
from .numbers import read_digits
from .spelling import is_syllable, spell

TLDS = ("vn", "com", "net", "org", "gov", "edu", "info", "io", "me", "ly", "app", "xyz", "top", "vip", "online",
        "site", "shop", "club", "asia", "biz", "co", "tv", "cc", "int", "us", "uk")
_TLD = "|".join(sorted(TLDS, key=len, reverse=True))
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_PATH_CHAR = r"[\w\-./?=&#%~+:]"
_URL = re.compile(
    rf"(?<![\w@.\-])(?:(?P<scheme>https?)://)?(?P<host>(?:{_LABEL}\.)+(?:{_TLD}))(?![\w\-]|\.[a-z0-9])"
    rf"(?P<path>/(?:{_PATH_CHAR}*[\w\-/=&#%~+])?)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(rf"(?<![\w.])(?P<local>[A-Za-z0-9](?:[A-Za-z0-9._+\-]*[A-Za-z0-9])?)@(?P<host>(?:{_LABEL}\.)+[a-z]{{2,}})(?![\w\-]|\.[a-z0-9])",
                    re.IGNORECASE)
# ".gov.vn", ".top" mentioned alone, as a domain ending.
_ENDING = re.compile(rf"(?<![\w.])\.(?P<host>(?:(?:gov|com|edu|org|net)\.vn|{_TLD}))(?![\w\-]|\.[a-z0-9])", re.IGNORECASE)
SEPARATORS = {".": "chấm", "-": "gạch ngang", "_": "gạch dưới", "/": "gạch chéo", "?": "dấu hỏi", "=": "bằng",
              "&": "và", "#": "thăng", "%": "phần trăm", "~": "dấu ngã", "+": "cộng", ":": "hai chấm"}
_PIECES = re.compile(r"[a-z]+|[0-9]+|[^a-z0-9]", re.IGNORECASE)
_SHORT_LABEL = 5  # up to this many letters an unknown label is spelled; longer ones are left as words


def read_label(label: str, lexicon: Lexicon) -> str:
    """One label or path word: "khonggianmang" -> "không gian mạng", "abc123" -> "a bê xê một hai ba"."""
    low = label.lower()
    known = lexicon.domains.get(low) or lexicon.words.get(low)
    if known:
        return known
    out = []
    for piece in _PIECES.findall(low):
        if piece.isdigit():
            out.append(read_digits(piece))
        elif piece in SEPARATORS:
            out.append(SEPARATORS[piece])
        elif piece.isalpha() and piece.isascii():
            known = lexicon.domains.get(piece) or lexicon.words.get(piece)
            if known or is_syllable(piece) or len(piece) > _SHORT_LABEL:
                out.append(known or piece)
            else:
                out.append(spell(piece, lexicon.letters) or piece)
        else:
            out.append(lexicon.symbols.get(piece, piece))  # an unreadable character is caught at the end
    return " ".join(out)


def read_host(host: str, lexicon: Lexicon) -> str:
    """Labels joined by "chấm"."""
    return " chấm ".join(read_label(label, lexicon) for label in host.split("."))


def read_path(path: str, lexicon: Lexicon) -> str:
    """"/website-lua-dao" -> "gạch chéo oét sai gạch ngang lua gạch ngang dao"; a trailing "/" is not read."""
    path = path.rstrip("/") if path != "/" else ""
    words = []
    for piece in re.split(r"([/.\-_?=&#%~+:])", path):
        if piece in SEPARATORS:
            words.append(SEPARATORS[piece])
        elif piece:
            words.append(read_label(piece, lexicon))
    return " ".join(words)


def apply(text: str, line: Line) -> str:
    """Replace e-mails, web addresses and bare domain endings with their readings."""
    lex = line.lexicon

    def email(m: re.Match[str]) -> str:
        local = " ".join(SEPARATORS[p] if p in SEPARATORS else read_label(p, lex)
                         for p in re.split(r"([._+\-])", m.group("local")) if p)
        return line.mark(f"{local} a còng {read_host(m.group('host'), lex)}", "web")

    def url(m: re.Match[str]) -> str:
        reading = read_host(m.group("host"), lex)
        if m.group("path"):
            reading = f"{reading} {read_path(m.group('path'), lex)}".strip()
        return line.mark(reading, "web")

    if "@" in text:
        text = _EMAIL.sub(email, text)
    if "." in text:
        text = _URL.sub(url, text)
        text = _ENDING.sub(lambda m: line.mark("chấm " + read_host(m.group("host"), lex), "web"), text)
    return text
