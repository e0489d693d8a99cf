"""split_for_voice(): pieces a TTS voices whole, never cutting a word."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadcast.speech import normalize, split_for_voice, split_sentences

SCRIPT = normalize(
    "Hưởng ứng Tháng hành động tuyên truyền về nhận diện và phòng chống lừa đảo trực tuyến, từ ngày 1/7/2023 "
    "đến ngày 20/7/2023, Đài truyền thanh xã Phú Lâm xin gửi tới bà con chuyên mục phòng, chống lừa đảo trực "
    "tuyến. Kẻ gian giả làm nhà mạng gọi đến. Chúng dọa khóa hai chiều, đòi số căn cước, mã OTP, hoặc bảo bấm "
    "cú pháp chuyển cuộc gọi.\nKhi nghi ngờ, hãy gọi ngay 113 hoặc nhắn tin đến 5656, số 0912.345.678, "
    "địa chỉ canhbao.khonggianmang.vn."
)


def words(pieces_or_text) -> list[str]:
    text = " ".join(pieces_or_text) if isinstance(pieces_or_text, list) else pieces_or_text
    return text.split()


def test_pieces_fit_and_keep_every_word_in_order():
    pieces = split_for_voice(SCRIPT)
    assert all(0 < len(p) <= 100 for p in pieces)
    assert words(pieces) == words(SCRIPT)


def test_pieces_end_at_sentence_punctuation_where_possible():
    pieces = split_for_voice("Câu một ngắn. Câu hai cũng ngắn thôi. " + "Câu ba " * 5 + "dài hơn nhiều.", 40)
    assert pieces[0] == "Câu một ngắn. Câu hai cũng ngắn thôi."  # two sentences share a piece
    assert pieces[-1].endswith("dài hơn nhiều.") and len(pieces) == 3  # the long one is cut between words
    assert all(len(p) <= 40 for p in pieces)


def test_a_long_sentence_is_cut_at_a_comma_then_before_a_linking_word():
    sentence = ("Kẻ gian dựng trang web nhái công ty du lịch, khách sạn có tiếng, rao tour và phòng giá rẻ "
                "khó tin để dụ bà con chuyển tiền cọc rồi chặn liên lạc.")
    pieces = split_for_voice(sentence, 60)
    assert pieces[0] == "Kẻ gian dựng trang web nhái công ty du lịch,"
    assert all(len(p) <= 60 for p in pieces)
    assert any(p.split()[0] in {"để", "và", "rồi"} for p in pieces[1:])
    assert words(pieces) == words(sentence)


def test_a_line_break_always_ends_a_piece_and_blank_lines_give_nothing():
    assert split_for_voice("Một.\n\n   \nHai.") == ["Một.", "Hai."]


def test_a_word_longer_than_the_limit_stands_alone_uncut():
    assert split_for_voice("a " + "x" * 30 + " b", 10) == ["a", "x" * 30, "b"]


def test_max_chars_must_be_positive():
    with pytest.raises(ValueError):
        split_for_voice("a", 0)


def test_split_sentences_keeps_the_marks():
    assert split_sentences("Một. Hai? Ba!\nBốn") == ["Một.", "Hai?", "Ba!", "Bốn"]


WORD = st.sampled_from(["gọi", "một", "ba", "không", "gian", "mạng", "nghìn", "chuyển", "tiền", "nghiêng",
                        "x" * 12, "a"])
MARK = st.sampled_from(["", "", "", ",", ".", "?", "!", ";", ":"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(WORD, MARK), min_size=1, max_size=80), st.integers(min_value=12, max_value=120))
def test_any_text_is_split_within_the_limit_without_cutting_words(tokens, limit):
    text = " ".join(w + m for w, m in tokens)
    pieces = split_for_voice(text, limit)
    assert words(pieces) == words(text)
    assert all(len(p) <= limit or len(p.split()) == 1 for p in pieces)  # one over-long word stands alone
    assert all(p == p.strip() and p for p in pieces)
