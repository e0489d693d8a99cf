"""What dispatches, police warnings and news items write, read as an announcer would (issue 14's families)."""

from __future__ import annotations

import pytest

from broadcast.speech import normalize

Y2023 = "hai nghìn không trăm hai mươi ba"

DATE_RANGES = [
    ("Thời gian tuyên truyền: 1/7-20/7/2023",
     f"Thời gian tuyên truyền: từ ngày mùng một tháng bảy đến ngày hai mươi tháng bảy năm {Y2023}"),
    ("ngày 10-11/7/2023", f"ngày mùng mười đến ngày mười một tháng bảy năm {Y2023}"),
    ("Hội thi diễn ra 14-15/7", "Hội thi diễn ra từ ngày mười bốn đến ngày mười lăm tháng bảy"),
    ("từ 01/7 - 20/7/2023", f"từ ngày mùng một tháng bảy đến ngày hai mươi tháng bảy năm {Y2023}"),
    ("từ 25/12-5/1/2024", f"từ ngày hai mươi lăm tháng mười hai năm {Y2023} đến ngày mùng năm tháng một năm hai nghìn không trăm hai mươi tư"),
    ("tháng 6-7/2023", f"tháng sáu đến tháng bảy năm {Y2023}"),
    ("quý II/2023", f"quý hai năm {Y2023}"),
    ("trong quý 3/2023", f"trong quý ba năm {Y2023}"),
    ("Quý IV", "Quý bốn"),
]

ROMAN = [
    ("Đại hội XIII của Đảng", "Đại hội mười ba của Đảng"),
    ("thế kỷ XXI", "thế kỷ hai mươi mốt"),
    ("Hội nghị lần thứ V", "Hội nghị lần thứ năm"),
    ("kỳ họp thứ VI, HĐND tỉnh khóa X", "kỳ họp thứ sáu, hội đồng nhân dân tỉnh khóa mười"),
    ("lần thứ IV", "lần thứ tư"),
    ("Chương III, phần II", "Chương ba, phần hai"),
]

ADMIN = [
    ("P.5, Q.1", "phường năm, quận một"),
    ("KP.5, tổ 3", "khu phố năm, tổ ba"),
    ("TP. Biên Hòa, TX. Long Khánh, TT. Trảng Bom", "thành phố Biên Hòa, thị xã Long Khánh, thị trấn Trảng Bom"),
    ("Đ/c Nguyễn Văn A", "đồng chí Nguyễn Văn A"),
    ("V/v tuyên truyền phòng chống lừa đảo", "về việc tuyên truyền phòng chống lừa đảo"),
    ("Điều 174 BLHS", "Điều một trăm bảy mươi tư bộ luật hình sự"),
    ("BLDS năm 2015", "bộ luật dân sự năm hai nghìn không trăm mười lăm"),
    ("UBMTTQ và HĐND xã", "ủy ban mặt trận tổ quốc và hội đồng nhân dân xã"),
    ("TM. UBND tỉnh", "thay mặt ủy ban nhân dân tỉnh"),
]

MONEY = [
    ("1.234.567₫", "một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy đồng"),
    ("100₫/kg", "một trăm đồng trên ki lô gam"),
    ("₫50.000", "năm mươi nghìn đồng"),
    ("$5 hoặc 5 $", "năm đô la hoặc năm đô la"),
    ("€10, £3, ¥100, ₩500", "mười ơ rô, ba bảng anh, một trăm yên, năm trăm uôn"),
    ("30.000 đồng/kg", "ba mươi nghìn đồng trên ki lô gam"),
    ("1234567890123456 đồng", "một triệu hai trăm ba mươi tư nghìn năm trăm sáu mươi bảy tỷ tám trăm chín mươi "
     "triệu một trăm hai mươi ba nghìn bốn trăm năm mươi sáu đồng"),
    ("1.000.000.000.000 đồng", "một nghìn tỷ đồng"),
]

UNITS = [
    ("120 m2", "một trăm hai mươi mét vuông"),
    ("2.000 m²", "hai nghìn mét vuông"),
    ("1m³ nước", "một mét khối nước"),
    ("5 km², 20 cm³", "năm ki lô mét vuông, hai mươi xen ti mét khối"),
    ("10 mg, 5 ml, 2 l", "mười mi li gam, năm mi li lít, hai lít"),
    ("64 GB, 500 MB", "sáu mươi tư gi ga bai, năm trăm mê ga bai"),
    ("3 kW, 220 V, 50 Hz, 150 hp", "ba ki lô oát, hai trăm hai mươi vôn, năm mươi héc, một trăm năm mươi mã lực"),
    ("60 km/h, 3 m/s", "sáu mươi ki lô mét trên giờ, ba mét trên giây"),
    ("5 mg/ml", "năm mi li gam trên mi li lít"),
]

SHORTHAND = [
    ("lương 1tr2", "lương một triệu hai trăm nghìn"),
    ("chỉ 2tr5 một tháng", "chỉ hai triệu năm trăm nghìn một tháng"),
    ("10k một lượt", "mười nghìn một lượt"),
    ("đặt cọc 2t3", "đặt cọc hai triệu ba trăm nghìn"),
    ("1k5", "một nghìn năm trăm"),
]

FRACTIONS = [
    ("1/4 số vụ", "một phần tư số vụ"),
    ("3/4 dân số", "ba phần tư dân số"),
    ("5 1/2 giờ", "năm và một phần hai giờ"),
    ("1/2 số vụ", "một phần hai số vụ"),
    ("Ngày 9/4, UBND tỉnh ban hành", "Ngày mùng chín tháng tư, ủy ban nhân dân tỉnh ban hành"),
    ("Công văn gửi ngày 9/4", "Công văn gửi ngày mùng chín tháng tư"),
]

DIGITS = [
    ("số tài khoản 1903 5678 9012", "số tài khoản một chín không ba năm sáu bảy tám chín không một hai"),
    ("mã OTP 123456", "mã ô tê pê một hai ba bốn năm sáu"),
    ("mã xác thực là 8899", "mã xác thực là tám tám chín chín"),
    ("số thẻ 9704 1234", "số thẻ chín bảy không bốn một hai ba bốn"),
    ("số CCCD 075123456789", "số căn cước công dân không bảy năm một hai ba bốn năm sáu bảy tám chín"),
    ("toàn tỉnh có 111 cán bộ", "toàn tỉnh có một trăm mười một cán bộ"),
    ("Có 113 học sinh", "Có một trăm mười ba học sinh"),
    ("Hãy báo 113 ngay", "Hãy báo một một ba ngay"),
    ("Gọi 113 hoặc 114", "Gọi một một ba hoặc một một bốn"),
]

TECH_AND_TIMES = [
    ("4G/5G", "bốn giê, năm giê"),
    ("mạng 5G, SIM 4G", "mạng năm giê, sim bốn giê"),
    ("64GB", "sáu mươi tư gi ga bai"),
    ("lúc 20 giờ 00", "lúc hai mươi giờ"),
    ("lúc 8 giờ 30", "lúc tám giờ ba mươi phút"),
    ("8 giờ 30 phút", "tám giờ ba mươi phút"),
]


# Each family, by what it shows: the test id names the family (date_ranges-0, digits-3, ...).
FAMILIES = {
    "date_ranges": DATE_RANGES,  # date and month ranges and quarters read as dates
    "roman": ROMAN,  # Roman numerals after the words that take them
    "admin": ADMIN,  # administrative units with numbers and dispatch abbreviations
    "money": MONEY,  # currency signs on either side, amounts of any length
    "units": UNITS,  # SI and digital units, squares, cubes, per-units
    "shorthand": SHORTHAND,  # 1tr2, 10k, 2t3 expand to the whole number
    "fractions": FRACTIONS,  # context decides between a fraction and a date
    "digits": DIGITS,  # codes after cue words digit by digit, counts as numbers
    "tech_and_times": TECH_AND_TIMES,  # network generations and spoken clock times
}
CASES = [(f"{family}-{i}", text, spoken) for family, cases in FAMILIES.items() for i, (text, spoken) in enumerate(cases)]


@pytest.mark.parametrize("text,spoken", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_official_text_reads_as_an_announcer_would(text, spoken):
    assert normalize(text) == spoken
