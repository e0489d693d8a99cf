"""Vietnamese number words: the reading rules behind every amount, date and ordinal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broadcast.speech.numbers import (
    read_decimal, read_digits, read_integer, read_month, read_number, read_ordinal, roman_value, to_roman,
)


@pytest.mark.parametrize("n, words", [
    (0, "không"),
    (5, "năm"),
    (10, "mười"),
    (11, "mười một"),
    (14, "mười bốn"),
    (15, "mười lăm"),
    (21, "hai mươi mốt"),
    (24, "hai mươi tư"),
    (25, "hai mươi lăm"),
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (105, "một trăm linh năm"),
    (110, "một trăm mười"),
    (1000, "một nghìn"),
    (1005, "một nghìn không trăm linh năm"),
    (2023, "hai nghìn không trăm hai mươi ba"),
    (12345, "mười hai nghìn ba trăm bốn mươi lăm"),
    (1_000_500, "một triệu năm trăm"),
    (1_000_050, "một triệu không trăm năm mươi"),
    (1_234_567, "một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy"),
    (1_500_000_000, "một tỷ năm trăm triệu"),
    (2_000_000_005, "hai tỷ không trăm linh năm"),
    (3_000_000_000_000, "ba nghìn tỷ"),
])
def test_cardinals_follow_vietnamese_reading_rules(n, words):
    assert read_number(n) == words


def test_digits_are_read_one_by_one_with_bon_and_nam():
    assert read_digits("0912.345-678") == "không chín một hai ba bốn năm sáu bảy tám"


def test_long_or_zero_led_runs_are_read_digit_by_digit():
    assert read_integer("007") == "không không bảy"
    assert read_integer("05") == "năm"
    assert read_integer("1" * 16) == " ".join(["một"] * 16)


def test_decimals_use_phay_and_keep_leading_zeros():
    assert read_decimal("1", "5") == "một phẩy năm"
    assert read_decimal("0", "05") == "không phẩy không năm"
    assert read_decimal("64", "78") == "sáu mươi tư phẩy bảy mươi tám"


def test_ordinals_one_and_four_have_their_own_words():
    assert [read_ordinal(n) for n in (1, 2, 4, 7)] == ["nhất", "hai", "tư", "bảy"]


def test_month_four_is_tu_and_month_one_is_mot():
    assert read_month(4) == "tư"
    assert read_month(1) == "một"


@given(st.integers(min_value=1, max_value=3999))
def test_roman_numerals_round_trip(n):
    assert roman_value(to_roman(n)) == n


@pytest.mark.parametrize("bad", ["IIII", "VX", "IC", "", "ABC"])
def test_malformed_roman_numerals_are_refused(bad):
    assert roman_value(bad) is None


@given(st.integers(min_value=0, max_value=10**15))
def test_every_cardinal_is_words_only(n):
    words = read_number(n).split()
    assert words and all(w.isalpha() for w in words)
    # mốt/tư/lăm appear only after a tens word
    for prev, word in zip(["^"] + words, words):
        if word in ("mốt", "lăm"):
            assert prev in ("mươi", "mười")
