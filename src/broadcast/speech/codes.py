"""Document numbers, lexicon tokens, Roman numerals, ordinals and capital-letter codes.

Document numbers (house style, see lexicon.yaml): 163/KH-UBND -> "một trăm sáu mươi ba trên ca hát gạch
ngang ủy ban nhân dân"; 13/2023/NĐ-CP -> "mười ba trên năm hai nghìn không trăm hai mươi ba trên nghị
định chính phủ". The whole code, then each part, comes from the lexicon's abbreviations, else is spelled.
"""

from __future__ import annotations

import re

from .context import Line
from .numbers import read_digits, read_number, read_ordinal, roman_value
from .spelling import is_syllable, spell

_CODE = r"[A-ZĐ][A-Za-zĐđ&]*"
_DOCNO = re.compile(
    rf"(?<![\w/.,])(?P<num>[0-9]{{1,5}})(?P<year>/(?:19|20)[0-9]{{2}})?/(?P<codes>{_CODE}(?:[-–]{_CODE})*)(?![\w&])"
)
_ROMAN_AFTER = re.compile(
    r"(?i:(?<![\w])(?:chương|phần|mục|tập|quyển|phụ lục|khóa|khoá|thế kỷ|thế kỉ|đại hội|quý|kỳ họp|kì họp|"
    r"hội nghị|điều)\s+)(?P<num>[IVXLC]+)(?![\w])"
)
_ROMAN_ORDINAL = re.compile(r"(?i:(?<![\w])thứ\s+)(?P<num>[IVXLC]+)(?![\w])")  # lần thứ V, kỳ họp thứ VI
# Administrative units before their number: P.5 -> phường năm, KP.5 -> khu phố năm.
ADMIN_UNITS = {"P": "phường", "p": "phường", "Q": "quận", "q": "quận", "KP": "khu phố", "TP": "thành phố",
               "Tp": "thành phố", "TX": "thị xã", "TT": "thị trấn", "X": "xã", "H": "huyện", "F": "phường"}
_ADMIN = re.compile(rf"(?<![\w.])(?P<unit>{'|'.join(sorted(ADMIN_UNITS, key=len, reverse=True))})\.\s?(?P<num>[0-9]{{1,3}})(?![\w]|[.,][0-9])")
_DIGIT_LETTERS = re.compile(r"(?<![\w.,])(?P<digits>[0-9]{1,2})(?P<letters>[A-Z]{1,2})(?![\w])")  # 4G, 5G, 3D
_ROMAN_HEADING = re.compile(r"^(?P<lead>\s*)(?P<num>[IVXL]+)(?P<end>[.)])(?=\s)")
_ORDINAL = re.compile(r"(?i:(?<![\w])thứ\s+)(?P<num>[0-9]{1,3})(?![\w/]|[.,:][0-9])")
_LETTER_CODE = re.compile(r"(?<![\w])(?P<letters>[A-ZĐ]{1,4})(?P<digits>[0-9]{1,4})(?![\w])")
_TOKEN = re.compile(r"(?<![\w])[^\W\d_]+(?![\w])")


def read_code(code: str, line: Line) -> str:
    """"NĐ-CP" -> "nghị định chính phủ"; "KH-UBND" -> "ca hát gạch ngang ủy ban nhân dân"."""
    lex = line.lexicon
    if code in lex.abbreviations:
        return lex.abbreviations[code]
    words = []
    for i, part in enumerate(re.split(r"[-–]", code)):
        if i:
            words.append("gạch ngang")
        reading = lex.abbreviations.get(part)
        if reading is None:
            pieces = [spell(p, lex.letters) or p.lower() for p in part.split("&")]
            reading = " và ".join(pieces)
        words.append(reading)
    return " ".join(words)


def apply_docnos(text: str, line: Line) -> str:
    """Document numbers such as 163/KH-UBND and 13/2023/NĐ-CP."""
    if "/" not in text:
        return text

    def docno(m: re.Match[str]) -> str:
        words = [read_number(int(m.group("num")))]
        if m.group("year"):
            words += ["trên năm", read_number(int(m.group("year")[1:]))]
        words += ["trên", read_code(m.group("codes"), line)]
        return line.mark(" ".join(words), "doc")

    return _DOCNO.sub(docno, text)


def apply_lexicon(text: str, line: Line) -> str:
    """Abbreviations (as written) then words (any case); a "v.v." ending a sentence keeps its full stop."""
    lex = line.lexicon
    if lex.abbreviation_re is not None:
        text = lex.abbreviation_re.sub(lambda m: line.mark(lex.abbreviations[m.group()], "word"), text)
    if lex.word_re is not None:
        def word(m: re.Match[str]) -> str:
            reading = lex.words[m.group().casefold()]
            rest = text[m.end():].lstrip()
            ends = m.group().endswith(".") and (not rest or rest[0].isupper())
            return line.mark(reading + ("." if ends else ""), "word")

        text = lex.word_re.sub(word, text)
    return text


def apply_admin_units(text: str, line: Line) -> str:
    """P.5, Q.1, KP.5, TP.2: the unit's name, then its number as a cardinal."""
    if "." not in text:
        return text
    return _ADMIN.sub(lambda m: line.mark(f"{ADMIN_UNITS[m.group('unit')]} {read_number(int(m.group('num')))}", "word"), text)


def apply_roman(text: str, line: Line) -> str:
    """Roman numerals after a word that takes them (Chương II, Đại hội XIII, thứ V) or heading a line (II. ...)."""
    def after(m: re.Match[str]) -> str:
        value = roman_value(m.group("num"))
        if value is None:
            return m.group()
        return m.group()[: m.start("num") - m.start()] + line.mark(read_number(value), "num")

    def heading(m: re.Match[str]) -> str:
        value = roman_value(m.group("num"))
        return m.group() if value is None else m.group("lead") + line.mark(read_number(value), "num") + m.group("end")

    def ordinal(m: re.Match[str]) -> str:
        value = roman_value(m.group("num"))
        if value is None:
            return m.group()
        return m.group()[: m.start("num") - m.start()] + line.mark(read_ordinal(value), "ord")

    text = _ROMAN_ORDINAL.sub(ordinal, _ROMAN_AFTER.sub(after, text))
    return _ROMAN_HEADING.sub(heading, text)


def apply_ordinals(text: str, line: Line) -> str:
    """"thứ 4" -> "thứ tư", "thứ 1" -> "thứ nhất"."""
    def ordinal(m: re.Match[str]) -> str:
        return m.group()[: m.start("num") - m.start()] + line.mark(read_ordinal(int(m.group("num"))), "ord")

    return _ORDINAL.sub(ordinal, text)


def apply_letter_codes(text: str, line: Line) -> str:
    """Capitals glued to digits, a code: A05 -> "a không năm", F0 -> "ép không"."""
    def code(m: re.Match[str]) -> str:
        letters = spell(m.group("letters"), line.lexicon.letters)
        if letters is None:
            return m.group()
        return line.mark(f"{letters} {read_digits(m.group('digits'))}", "code")

    def generation(m: re.Match[str]) -> str:  # 4G, 5G; 64GB is a number and its unit, left for amounts
        if m.group("letters") in line.lexicon.units:
            return m.group()
        letters = spell(m.group("letters"), line.lexicon.letters)
        return line.mark(f"{read_digits(m.group('digits'))} {letters}", "code") if letters else m.group()

    return _DIGIT_LETTERS.sub(generation, _LETTER_CODE.sub(code, text))


def apply_capitals(text: str, line: Line) -> str:
    """All-capital tokens: a syllable is lowercased (THÔNG BÁO), anything else is spelled (OTP -> ô tê pê)."""
    letters = line.lexicon.letters

    def token(m: re.Match[str]) -> str:
        word = m.group()
        if not word.isupper():
            return word
        if is_syllable(word):
            return word.lower() if len(word) > 1 else word
        return spell(word, letters) or word.lower()

    return _TOKEN.sub(token, text)
