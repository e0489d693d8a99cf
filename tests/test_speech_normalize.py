"""normalize(): the house reading rules, line handling, errors and speed."""

from __future__ import annotations

import time

import pytest

from broadcast.errors import SpeechError
from broadcast.speech import count_syllables, normalize


@pytest.mark.parametrize("text, spoken", [
    ("gọi 113", "gọi một một ba"),
    ("Khi nghi ngờ hãy gọi ngay 113.", "Khi nghi ngờ hãy gọi ngay một một ba."),
    ("nhắn tin đến đầu số 8088", "nhắn tin đến đầu số tám không tám tám"),
    ("liên hệ tổng đài: 1022", "liên hệ tổng đài: một không hai hai"),
    ("báo ngay 156 hoặc 5656", "báo ngay một năm sáu hoặc năm sáu năm sáu"),
])
def test_hotline_is_read_digit_by_digit(text, spoken):
    assert normalize(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("Điều 113 Bộ luật", "Điều một trăm mười ba Bộ luật"),
    ("có 113 vụ", "có một trăm mười ba vụ"),
    ("Kế hoạch số 163", "Kế hoạch số một trăm sáu mươi ba"),
    ("gọi 100 cuộc", "gọi một trăm cuộc"),
])
def test_quantities_are_not_mistaken_for_hotlines(text, spoken):
    assert normalize(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("0912 345 678", "không chín một hai ba bốn năm sáu bảy tám"),
    ("0339035656", "không ba ba chín không ba năm sáu năm sáu"),
    ("(0251) 3822 123", "không hai năm một ba tám hai hai một hai ba"),
    ("+84 912 345 678", "cộng tám tư chín một hai ba bốn năm sáu bảy tám"),
    ("1900.1234", "một chín không không một hai ba bốn"),
])
def test_phone_numbers_are_dialable(text, spoken):
    assert normalize(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("ngày 5/9", "ngày mùng năm tháng chín"),
    ("mùng 5/9", "mùng năm tháng chín"),
    ("hạn chót 15/8", "hạn chót ngày mười lăm tháng tám"),
    ("1/3 số vụ", "một phần ba số vụ"),
    ("hỗ trợ 24/7", "hỗ trợ hai mươi tư trên bảy"),
    ("sáng 24/7 họp", "sáng ngày hai mươi tư tháng bảy họp"),
    ("1/7-20/7", "từ ngày mùng một tháng bảy đến ngày hai mươi tháng bảy"),
    ("tháng 1/2024", "tháng một năm hai nghìn không trăm hai mươi tư"),
    ("20-7-2023", "ngày hai mươi tháng bảy năm hai nghìn không trăm hai mươi ba"),
    ("ngày 32/13", "ngày ba mươi hai trên mười ba"),
])
def test_dates_fractions_and_round_the_clock_are_told_apart(text, spoken):
    assert normalize(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("8h-17h", "từ tám giờ đến mười bảy giờ"),
    ("từ 8h - 17h30", "từ tám giờ đến mười bảy giờ ba mươi phút"),
    ("10–15%", "từ mười đến mười lăm phần trăm"),
    ("48h", "bốn mươi tám giờ"),
    ("06:00:30", "sáu giờ không phút ba mươi giây"),
    ("-5 độ", "âm năm độ"),
    ("2 -3 ngày", "từ hai đến ba ngày"),
])
def test_times_and_ranges(text, spoken):
    assert normalize(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("$5", "năm đô la"),
    ("500k", "năm trăm nghìn"),
    ("1,5tr", "một phẩy năm triệu"),
    ("12,5 km", "mười hai phẩy năm ki lô mét"),
    ("0,05%", "không phẩy không năm phần trăm"),
    ("1,000,000 đồng", "một triệu đồng"),
    ("phiên bản 4.0", "phiên bản bốn chấm không"),
    ("tài khoản 1234567890123456", "tài khoản một hai ba bốn năm sáu bảy tám chín không một hai ba bốn năm sáu"),
])
def test_money_units_and_odd_numbers(text, spoken):
    assert normalize(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("Thông tư 01/2023/TT-BTTTT", "Thông tư một trên năm hai nghìn không trăm hai mươi ba trên tê tê gạch ngang bộ thông tin và truyền thông"),
    ("Quyết định 110/QĐ-UBND", "Quyết định một trăm mười trên cu đê gạch ngang ủy ban nhân dân"),
    ("Văn bản 6450/UBND-KGVX", "Văn bản sáu nghìn bốn trăm năm mươi trên ủy ban nhân dân gạch ngang ca giê vê ích"),
])
def test_document_numbers_follow_the_house_style(text, spoken):
    assert normalize(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("mã OTP", "mã ô tê pê"),
    ("THÔNG BÁO KHẨN", "thông báo khẩn"),
    ("liên hệ A05", "liên hệ a không năm"),
    ("đội PC02", "đội pê xê không hai"),
    ("Chương IV. Mục II", "Chương bốn. Mục hai"),
    ("II. Dấu hiệu", "hai. Dấu hiệu"),
    ("thế kỷ XXI", "thế kỷ hai mươi mốt"),
    ("lần thứ 1", "lần thứ nhất"),
    ("Zalo/Telegram", "da lô, tê lê gờ ram"),
    ("3 lần/ngày", "ba lần trên ngày"),
    ("tiền ảo, vàng, v.v. Sau đó", "tiền ảo, vàng, vân vân. Sau đó"),
    ("TP. Biên Hòa", "thành phố Biên Hòa"),
])
def test_codes_headings_and_abbreviations(text, spoken):
    assert normalize(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ("hotro@khonggianmang.vn", "hát ô tê e rờ ô a còng không gian mạng chấm vê en"),
    ("https://www.facebook.com/abc/", "vê kép vê kép vê kép chấm phây búc chấm com gạch chéo a bê xê"),
    ("tinnhiemmang.vn/website-lua-dao.", "tín nhiệm mạng chấm vê en gạch chéo oét sai gạch ngang lua gạch ngang dao."),
    ("thongbaorac.ais.gov.vn", "thông báo rác chấm a i ét chấm gốp chấm vê en"),
    ("đuôi .gov.vn", "đuôi chấm gốp chấm vê en"),
])
def test_web_addresses_are_read_out(text, spoken):
    assert normalize(text) == spoken


@pytest.mark.parametrize("text, spoken", [
    ('"Tiền ảo", «vàng» …', "Tiền ảo, vàng."),
    ("Không!!! Có...", "Không! Có."),
    ("Việt Nam - Lào", "Việt Nam, Lào"),
    ("Covid-19", "cô vít mười chín"),
    ("- Gọi ngay 113", "Gọi ngay một một ba"),
    ("gồm (a) và (b)", "gồm, a, và, b"),
])
def test_punctuation_is_kept_for_prosody_or_removed(text, spoken):
    assert normalize(text) == spoken


def test_line_breaks_are_kept_one_for_one():
    text = "Gọi 113.\n\n  \n- 30-50%\r\nngày 1/7/2023\n"
    out = normalize(text)
    assert out.split("\n") == ["Gọi một một ba.", "", "", "từ ba mươi đến năm mươi phần trăm",
                               "ngày mùng một tháng bảy năm hai nghìn không trăm hai mươi ba", ""]


@pytest.mark.parametrize("char", ["😀", "™", "\\", "|", "^", "α", "中", "\U000f0001"])
def test_a_character_that_cannot_be_read_is_an_error_naming_it(char):
    with pytest.raises(SpeechError) as exc:
        normalize(f"Dòng một\nGiá 5 đô {char} nhé")
    message = str(exc.value)
    assert message.startswith("text:2: cannot read ")
    assert repr(char) in message and f"U+{ord(char):04X}" in message


def test_every_bad_line_is_reported():
    with pytest.raises(SpeechError) as exc:
        normalize("a 😀\nđúng\nb ™")
    assert [p.line for p in exc.value.problems] == [1, 3]


def test_count_syllables_counts_the_spoken_words():
    assert count_syllables("Gọi 113!") == 4
    assert count_syllables("mã OTP") == 4


def test_normalizing_a_three_minute_script_takes_under_20_ms():
    script = (
        "Hưởng ứng Tháng hành động, từ ngày 01/7/2023 đến ngày 20/7/2023, Đài Truyền thanh xin gửi tới bà con "
        "chuyên mục phòng, chống lừa đảo trực tuyến. Kẻ gian đòi mã OTP, số CCCD, chuyển 500.000đ phí kích hoạt "
        "SIM 4G trước 17h30. Thiệt hại hơn 1,5 tỷ đồng, tăng 64,78%. Hãy gọi ngay 113, nhắn tin đến 5656 hoặc "
        "phản ánh tại canhbao.khonggianmang.vn, số 0912.345.678. Thực hiện Kế hoạch số 163/KH-UBND ngày "
        "26/6/2023 của UBND tỉnh và Nghị định 13/2023/NĐ-CP.\n"
    )
    script = (script * 6)[:2500]
    normalize(script)  # the lexicon and regexes are built once, on first use
    best = min(_timed(normalize, script) for _ in range(7))
    assert best < 0.020, f"{best * 1000:.1f} ms"


def _timed(fn, arg) -> float:
    start = time.perf_counter()
    fn(arg)
    return time.perf_counter() - start
