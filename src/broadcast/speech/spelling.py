"""Is a word a Vietnamese syllable, and how to spell a code letter by letter with Vietnamese letter names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from .numbers import DIGITS

_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_VOWELS = sorted({unicodedata.normalize("NFC", v + t) for v in "aăâeêioôơuưy" for t in _TONES})
VIETNAMESE_LETTERS = "".join(sorted(set("".join(_VOWELS) + "đ" + "".join(_VOWELS).upper() + "Đ") - set("aeiouyAEIOUY")))
# onset? + one to three vowels (glides included) + coda?: loose, but it tells "sim", "báo", "nghiêng"
# apart from "otp", "sms", "kgvx", which is all the reader needs.
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?[" + "".join(_VOWELS) + r"]{1,3}(?:ng|nh|ch|[cmnpt])?"
)


def is_syllable(word: str) -> bool:
    """True when `word` (any case) can be read as one Vietnamese syllable: "SIM", "BÁO"; not "OTP"."""
    return _SYLLABLE.fullmatch(word.lower()) is not None


def spell(code: str, letters: Mapping[str, str]) -> str | None:
    """Letter names and digits one by one: "ATM" -> "a tê em", "A05" -> "a không năm"; None if a letter has no name."""
    out = []
    for ch in code:
        if "0" <= ch <= "9":
            out.append(DIGITS[int(ch)])
        elif ch.upper() in letters:
            out.append(letters[ch.upper()])
        else:
            return None
    return " ".join(out)
