"""Output hygiene: whatever the script says, the voice gets words and . , ? ! ; : only, line for line."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadcast.content import AUDIENCES
from broadcast.errors import SpeechError
from broadcast.script import render_script
from broadcast.speech import normalize

CASES = json.loads((Path(__file__).parent / "data" / "tn-cases.json").read_text(encoding="utf-8"))
_SPOKEN = re.compile(r"[^\W\d_]|[ .,?!;:\n]")

MIXED = [
    "Đặt cọc 30–50% giá trị, hứa hoàn tiền kèm 10–15% hoa hồng.",
    "- Tin nhắn rác: `S [nguồn phát tán][nội dung]` gửi 5656.",
    "Đường dây nóng Cục An toàn thông tin 0339035656.",
    "Tra cứu: tinnhiemmang.vn/website-lua-dao (NCSC), thongbaorac.ais.gov.vn, https://abc.com/x?id=5&a=b#top",
    "Tên miền có đuôi lạ (.top, .xyz, .vip...); trang cơ quan nhà nước dùng đuôi .gov.vn.",
    "6 tháng đầu 2023 tăng 64,78% so với cùng kỳ; năm 2022 chiếm khoảng 72,6%.",
    "Thời gian: 23/6 – 23/7/2023; thí điểm từ 1/11/2022, hiệu lực 22/5/2023, hạn 21/12 hay 31/12.",
    "Từ 4/2023 lan truyền tin FlashAI. Bộ Công an cho biết (3/2024).",
    "Liên hệ A05, PC02; cài App Store, CH Play; mạng 5G, SIM 4G; mã QR, thẻ ATM.",
    "Thông tư 01/2023/TT-BTTTT, Chỉ thị 08/CT-TTg, Quyết định 110/QĐ-UBND, Kế hoạch 163/KH-UBND.",
    "Giá $5 hoặc 5$, 100 USD, 2.000.000 VNĐ, 500k, 1,5tr, 12,5 km, 48h, 30°C, 3 x 4 = 12, a + b, #1, @ad, *",
    "Gọi 1900.1234 hoặc 1800 1567, +84 912 345 678, +1 202 555 0100, (0251) 3822 123.",
    "email: hotro@khonggianmang.vn, abc.xyz_1@gmail.com; IP 192.168.1.1; tài khoản 12345678901234567890.",
    "Hỗ trợ 24/7, ngày 24/7, 1/7-20/7, 01/7 - 20/7, 8h-17h, 6:30, 25h, 99:99, 0/0, 5/0, 1/1/1, 31/2/2023.",
    "CHƯƠNG II. CẢNH BÁO LỪA ĐẢO QUA MẠNG – mục IV, Phụ lục III, thế kỷ XXI, lần thứ 1.",
    "• Bước 1) Không chuyển tiền!!! 2) Báo ngân hàng?! 3) Trình báo công an…",
    "Tỷ lệ ~30%, ≈ 1/3, nhiệt độ -5°C, 2×3, № 7, giá 1.000.000,50 đồng, 1.0000 và 1,2,3.",
]


def assert_spoken(text: str) -> None:
    out = normalize(text)
    leftover = _SPOKEN.sub("", out)
    assert not leftover, f"{text!r} -> {out!r} leaves {leftover!r}"
    assert out.count("\n") == text.count("\n")


@pytest.mark.parametrize("text", [c["input"] for c in CASES] + MIXED)
def test_known_inputs_become_words_only(text):
    assert_spoken(text)


def test_every_rendered_script_is_words_only(handbook, default_env, commune_station, campaign):
    count = 0
    for audience in AUDIENCES:
        for item in handbook.items:
            text = render_script(default_env, handbook, item, audience, commune_station, campaign).text
            assert_spoken(text)
            count += 1
    assert count == len(AUDIENCES) * len(handbook.items) > 0


FRAGMENTS = st.sampled_from([
    "113", "gọi", "0912 345 678", "20/7/2023", "1/3", "24/7", "17h30", "06:00", "2021-2025", "30-50%",
    "500.000đ", "1,5", "tỷ", "163/KH-UBND", "UBND", "TT&TT", "OTP", "Zalo", "khonggianmang.vn", "a@b.vn",
    "+84", "+", "&", "%", "#", "/", "-", "–", "(", ")", "\"", ".", ",", "?", "!", ":", ";", "…", "$", "€",
    "Chương", "II", "thứ", "4", "ngày", "tháng", "năm", "v.v.", "x", "A05", "4G", "km", "h", "0", "00",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(FRAGMENTS, st.sampled_from(["", " ", " ", "\n"])), max_size=25))
def test_any_mix_of_numbers_symbols_and_codes_is_spoken(parts):
    assert_spoken("".join(f + sep for f, sep in parts))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.printable + "đĐàáảãạăắâấêếôốơớưứ–…“”«»°€×", max_size=80))
def test_arbitrary_text_is_spoken_or_refused_by_name(text):
    try:
        out = normalize(text)
    except SpeechError as exc:
        assert all("cannot read" in p.message for p in exc.problems)
        return
    assert not _SPOKEN.sub("", out)
    assert out.count("\n") == text.count("\n")
