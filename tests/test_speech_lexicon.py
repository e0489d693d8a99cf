"""The pronunciation lexicon: packaged data, editors' overrides, and located errors."""

from __future__ import annotations

import pytest

from broadcast.errors import SpeechError
from broadcast.speech import load_lexicon, normalize
from broadcast.speech.lexicon import ALPHABET


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_lexicon_names_every_letter_and_lists_the_brief_entries():
    lex = load_lexicon()
    assert set(ALPHABET) <= set(lex.letters)
    assert lex.abbreviations["UBND"] == "ủy ban nhân dân"
    assert lex.abbreviations["TT&TT"] == "thông tin và truyền thông"
    assert lex.domains["khonggianmang"] == "không gian mạng"
    assert {"113", "156", "5656"} <= lex.hotlines


def test_packaged_readings_are_speech_ready():
    lex = load_lexicon()
    for table in (lex.letters, lex.abbreviations, lex.words, lex.domains, lex.units, lex.symbols):
        for reading in table.values():
            assert normalize(reading, lex).lower() == reading.lower()


def test_editor_file_overrides_and_extends_the_packaged_lexicon(tmp_path):
    editor = write(tmp_path, "mine.yaml", """
abbreviations:
  UBND: ủy ban tỉnh
  PCTP: phòng chống tội phạm
words:
  zalo: gia lô
domains:
  dongnaitv: đồng nai ti vi
hotlines: ["1022", 1900]
""")
    lex = load_lexicon([editor])
    assert normalize("UBND và PCTP dùng Zalo", lex) == "ủy ban tỉnh và phòng chống tội phạm dùng gia lô"
    assert normalize("xem dongnaitv.vn", lex) == "xem đồng nai ti vi chấm vê en"
    assert normalize("UBND", load_lexicon()) == "ủy ban nhân dân"  # the packaged one is untouched


def test_later_editor_files_win(tmp_path):
    first = write(tmp_path, "a.yaml", "words:\n  zalo: da lô một\n")
    second = write(tmp_path, "b.yaml", "words:\n  Zalo: da lô hai\n")
    assert normalize("Zalo", load_lexicon([first, second])) == "da lô hai"


def test_bad_reading_is_reported_with_file_line_and_field(tmp_path):
    path = write(tmp_path, "bad.yaml", "abbreviations:\n  UBND: ủy ban\n  CA: công an 113\n")
    with pytest.raises(SpeechError) as exc:
        load_lexicon([path])
    assert str(exc.value) == f"{path}:3: abbreviations.CA: reading 'công an 113' has a digit: write numbers in words"
    assert exc.value.exit_code == 2


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, "bad.yaml", """
letter:
  A: a
words:
  zalo: ""
  facebook: "phây/búc"
symbols:
  ab: a bê
domains:
  Khong.Gian: không gian
hotlines:
  - "11a"
""")
    with pytest.raises(SpeechError) as exc:
        load_lexicon([path])
    lines = str(exc.value).splitlines()
    assert f"{path}:3: letter: unknown key 'letter' (did you mean 'letters'?)" in lines
    assert f"{path}:5: words.zalo: must not be empty" in lines
    assert any(line.startswith(f"{path}:6: words.facebook: reading") for line in lines)
    assert any(line.startswith(f"{path}:8: symbols.ab: symbols: key must be one character") for line in lines)
    assert any(line.startswith(f"{path}:10: domains.Khong.Gian: domains:") for line in lines)
    assert f"{path}:12: hotlines[0]: '11a' is not a number of digits (quote it)" in lines
    assert len(lines) == 6


def test_decomposed_accents_are_refused(tmp_path):
    path = write(tmp_path, "nfd.yaml", "words:\n  zalo: \"da lo\u0302\"\n")
    with pytest.raises(SpeechError, match=r"nfd.yaml:2: words.zalo: is not in Unicode NFC form"):
        load_lexicon([path])


def test_yaml_syntax_error_and_missing_file_are_located(tmp_path):
    broken = write(tmp_path, "broken.yaml", "words:\n  zalo: [da lô\n")
    with pytest.raises(SpeechError, match=r"broken.yaml:\d+: YAML syntax error"):
        load_lexicon([broken])
    with pytest.raises(SpeechError, match=r"missing.yaml: file not found"):
        load_lexicon([tmp_path / "missing.yaml"])


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path):
    path = write(tmp_path, "list.yaml", "- UBND\n")
    with pytest.raises(SpeechError, match=r"list.yaml:1: must be a mapping \(key: value\), not a list"):
        load_lexicon([path])


def test_empty_editor_file_changes_nothing(tmp_path):
    path = write(tmp_path, "empty.yaml", "# nothing yet\n")
    assert normalize("UBND", load_lexicon([path])) == "ủy ban nhân dân"
