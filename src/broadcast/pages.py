"""What operators open: index.html and a page per day, schedule.csv for Excel, schedule.ics for calendars."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .atomic import write_bytes_atomic, write_text_atomic

LEVEL_NAMES = {"district": "Cấp huyện", "commune": "Cấp xã"}
AUDIENCE_NAMES = {
    "general": "Nhân dân", "elderly": "Người cao tuổi", "farmers": "Nông dân",
    "workers": "Công nhân, người lao động", "officials": "Cán bộ, công chức và gia đình",
}
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
TZID = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True)
class PageSession:
    """One aired session as the pages show it; paths are relative to the output folder, with '/'."""

    date: dt.date
    time: dt.time
    station_id: str
    station_name: str
    level: str
    audience: str
    titles: tuple[str, ...]
    duration_s: float
    audio: str | None      # None in the segments-only mode
    playlist: str
    script: str
    download_name: str
    urgent: bool = False  # an emergency bulletin's own programme ("Phát ngay"): no script or playlist


def _day_label(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]}, ngày {day.day}/{day.month}/{day.year}"


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f}".replace(".", ",")


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0 auto;max-width:46rem;padding:0 .8rem 3rem;
line-height:1.45;color:#1b1b1b;background:#fafaf7}
h1{font-size:1.35rem;margin:1rem 0 .3rem}h2{font-size:1.15rem;margin:1.4rem 0 .4rem}
.muted{color:#555;font-size:.92rem}.day{display:block;padding:.7rem .8rem;margin:.4rem 0;border-radius:.5rem;
background:#fff;border:1px solid #ddd;text-decoration:none;color:inherit;font-size:1.05rem}
.today{border:2px solid #b00020;background:#fff5f5}.badge{background:#b00020;color:#fff;border-radius:.3rem;
padding:0 .35rem;font-size:.8rem;margin-left:.4rem}.station{background:#fff;border:1px solid #ddd;border-radius:.5rem;
padding:.6rem .8rem;margin:.7rem 0}.session{border-top:1px solid #eee;padding:.5rem 0}.session:first-of-type{border-top:0}.urgent{background:#fff5f5;border:2px solid #b00020;border-radius:.4rem;padding:.5rem}
audio{width:100%;margin:.3rem 0}a.btn{display:inline-block;padding:.45rem .8rem;margin:.15rem .3rem .15rem 0;
border-radius:.4rem;background:#0b5394;color:#fff;text-decoration:none}a.btn.alt{background:#e8eef7;color:#0b5394}
select{font-size:1rem;padding:.35rem;max-width:100%}
"""

_INDEX_JS = """
(function(){var t=new Date(),p=function(n){return (n<10?'0':'')+n},
id=t.getFullYear()+'-'+p(t.getMonth()+1)+'-'+p(t.getDate()),e=document.getElementById('d'+id);
if(e){e.classList.add('today');e.insertAdjacentHTML('beforeend','<span class="badge">Hôm nay</span>');
e.parentNode.insertBefore(e,e.parentNode.firstChild);}})();
"""

_DAY_JS = """
(function(){var s=document.getElementById('pick'),k='broadcast-station',
show=function(v){document.querySelectorAll('.station').forEach(function(d){d.hidden=!!v&&d.id!==v});};
try{var v=localStorage.getItem(k);if(v&&document.getElementById(v)){s.value=v;show(v);}}catch(e){}
s.addEventListener('change',function(){show(s.value);try{localStorage.setItem(k,s.value)}catch(e){}});})();
"""


def _page(title: str, body: str, script: str = "") -> str:
    js = f"<script>{script}</script>" if script else ""
    return (
        "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n{js}\n</body></html>\n"
    )


def render_index(campaign_name: str, province: str, days: Sequence[dt.date], sessions: Sequence[PageSession]) -> str:
    """The front page: every day of the campaign (today's moved first by the browser), with totals."""
    per_day: dict[dt.date, list[PageSession]] = {}
    for s in sessions:
        per_day.setdefault(s.date, []).append(s)
    rows = []
    for day in days:
        todays = per_day.get(day, [])
        minutes = _minutes(sum(s.duration_s for s in todays))
        rows.append(
            f'<a class="day" id="d{day.isoformat()}" href="{day.isoformat()}/index.html">{_day_label(day)}'
            f'<br><span class="muted">{len(todays)} buổi phát, tổng {minutes} phút</span></a>'
        )
    body = (
        f"<h1>{html.escape(campaign_name)}</h1>"
        f"<p class=\"muted\">{html.escape(province)}: chương trình phát thanh từng ngày cho các đài truyền thanh. "
        "Chọn ngày, rồi chọn đài của mình để nghe hoặc tải tệp âm thanh.</p>\n"
        f"<nav>{''.join(rows)}</nav>\n"
        '<p class="muted">Lịch phát: <a href="schedule.csv">schedule.csv</a> (mở bằng Excel) · '
        '<a href="schedule.ics">schedule.ics</a> (lịch điện thoại)</p>'
    )
    return _page(campaign_name, body, _INDEX_JS)


def render_day(campaign_name: str, day: dt.date, sessions: Sequence[PageSession]) -> str:
    """One day's page: each station with its sessions, a player, download and script links, total minutes."""
    stations: dict[str, list[PageSession]] = {}
    for s in sorted(sessions, key=lambda s: (s.level != "district", s.station_id, not s.urgent, s.time)):
        stations.setdefault(s.station_id, []).append(s)
    options = ['<option value="">Tất cả các đài</option>'] + [
        f'<option value="{sid}">{html.escape(items[0].station_name)}</option>' for sid, items in stations.items()
    ]
    blocks = []
    for sid, items in stations.items():
        rotation = [s for s in items if not s.urgent]
        total = _minutes(sum(s.duration_s for s in rotation))
        level = next((s.level for s in rotation), items[0].level)
        parts = [f'<section class="station" id="{sid}"><h2>{html.escape(items[0].station_name)}</h2>'
                 f'<p class="muted">{LEVEL_NAMES.get(level, level)} · {len(rotation)} buổi · tổng {total} phút</p>']
        for s in items:
            titles = "".join(f"<li>{html.escape(t)}</li>" for t in s.titles)
            # ../ because day pages live one folder down; paths in PageSession are relative to the output root.
            player = (f'<audio controls preload="none" src="../{s.audio}"></audio>'
                      f'<a class="btn" href="../{s.audio}" download="{s.download_name}">Tải về (MP3)</a>') if s.audio else ""
            if s.urgent:
                parts.append(f'<div class="session urgent"><strong>Phát ngay</strong> · trước buổi {s.time.strftime("%H:%M")}'
                             f' · {_minutes(s.duration_s)} phút<ol>{titles}</ol>{player}</div>')
                continue
            parts.append(
                f'<div class="session"><strong>{s.time.strftime("%H:%M")}</strong> · '
                f'{html.escape(AUDIENCE_NAMES.get(s.audience, s.audience))} · {_minutes(s.duration_s)} phút'
                f"<ol>{titles}</ol>{player}"
                f'<a class="btn alt" href="../{s.script}">Kịch bản (đọc trực tiếp)</a>'
                f'<a class="btn alt" href="../{s.playlist}">Danh sách phát (M3U8)</a></div>'
            )
        parts.append("</section>")
        blocks.append("".join(parts))
    body = (
        f'<p><a href="../index.html">← Tất cả các ngày</a></p><h1>{_day_label(day)}</h1>'
        f'<p class="muted">{html.escape(campaign_name)}</p>'
        f'<label>Đài của tôi: <select id="pick">{"".join(options)}</select></label>\n' + "\n".join(blocks)
    )
    return _page(_day_label(day), body, _DAY_JS)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _cell(value: str) -> str:
    """A text cell Excel will not run: one starting like a formula gets a leading apostrophe (OWASP)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def render_csv(sessions: Iterable[PageSession]) -> bytes:
    """schedule.csv in UTF-8 with a BOM, so Excel opens the Vietnamese intact."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["Ngày", "Giờ", "Mã đài", "Tên đài", "Cấp", "Đối tượng", "Nội dung", "Thời lượng (phút)", "Tệp MP3", "Kịch bản"])
    for s in sessions:
        writer.writerow([s.date.isoformat(), s.time.strftime("%H:%M"), s.station_id, _cell(s.station_name),
                         LEVEL_NAMES.get(s.level, s.level), AUDIENCE_NAMES.get(s.audience, s.audience),
                         _cell(" | ".join(s.titles)), _minutes(s.duration_s), s.audio or "", s.script])
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (RFC 5545 3.1)."""
    if len(line) <= 18 or len(line.encode("utf-8")) <= 75:  # 18 chars of up to 4 bytes always fit
        return line
    out, current = [], b""
    for ch in line:
        b = ch.encode("utf-8")
        if len(current) + len(b) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += b
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def render_ics(campaign_name: str, sessions: Iterable[PageSession], stamp: dt.datetime) -> bytes:
    """schedule.ics: one event per session, in Vietnam time."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//broadcast//lịch phát thanh//VI", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_ics_escape(campaign_name)}", "BEGIN:VTIMEZONE", f"TZID:{TZID}", "BEGIN:STANDARD",
             "DTSTART:19700101T000000", "TZOFFSETFROM:+0700", "TZOFFSETTO:+0700", "TZNAME:ICT", "END:STANDARD", "END:VTIMEZONE"]
    for s in sessions:
        start = dt.datetime.combine(s.date, s.time)
        end = start + dt.timedelta(seconds=max(60, round(s.duration_s)))
        description = "\n".join(f"{i}. {t}" for i, t in enumerate(s.titles, 1))
        lines += [
            "BEGIN:VEVENT", f"UID:{s.date.isoformat()}-{s.time.strftime('%H%M')}-{s.station_id}@broadcast",
            f"DTSTAMP:{stamp.strftime('%Y%m%dT%H%M%SZ')}",
            f"DTSTART;TZID={TZID}:{start.strftime('%Y%m%dT%H%M%S')}", f"DTEND;TZID={TZID}:{end.strftime('%Y%m%dT%H%M%S')}",
            f"SUMMARY:{_ics_escape(s.station_name + ': phát thanh phòng chống lừa đảo trực tuyến')}",
            f"DESCRIPTION:{_ics_escape(description)}", f"LOCATION:{_ics_escape(s.station_name)}", "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_ics_fold(line) for line in lines) + "\r\n").encode("utf-8")


def write_pages(out: Path, campaign_name: str, province: str, days: Sequence[dt.date],
                sessions: Sequence[PageSession], stamp: dt.datetime, urgent: Sequence[PageSession] = ()) -> list[Path]:
    """Write one page per day, schedule.csv, schedule.ics and last index.html; return the paths written.
    `urgent`: emergency programmes, shown first under their station on their day's page.

    index.html goes last so that, if the build is stopped, it never links to a page not yet written."""
    written = []
    per_day: dict[dt.date, list[PageSession]] = {}
    for s in [*sessions, *urgent]:
        per_day.setdefault(s.date, []).append(s)
    for day in days:
        written.append(write_text_atomic(out / day.isoformat() / "index.html", render_day(campaign_name, day, per_day.get(day, []))))
    ordered = sorted(sessions, key=lambda s: (s.date, s.time, s.station_id))
    written.append(write_bytes_atomic(out / "schedule.csv", render_csv(ordered)))
    written.append(write_bytes_atomic(out / "schedule.ics", render_ics(campaign_name, ordered, stamp)))
    written.append(write_text_atomic(out / "index.html", render_index(campaign_name, province, days, sessions)))
    return written
