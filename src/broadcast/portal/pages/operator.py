"""The operator's page: my station's sessions today and tomorrow, audio, scripts, and the "Đã phát" forms."""

from __future__ import annotations

import datetime as dt
import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from ..app import Portal, csrf_ok
from ..database import PortalError
from ..files import OpenFileResponse, open_regular

log = logging.getLogger(__name__)

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
MESSAGES = {"ok": "Đã ghi nhận. Cảm ơn!", "late": "Đã ghi nhận (báo muộn). Cảm ơn!", "same": "Buổi này đã được ghi nhận trước đó."}


def vn_date(day: dt.date) -> str:
    return f"{WEEKDAYS[day.weekday()]}, {day.day}/{day.month}/{day.year}"


def routes(portal: Portal) -> list[Route]:
    def station_of(request: Request) -> str | None:
        session = portal.session(request)
        return session.subject if session and session.kind == "station" else None

    def not_signed_in():
        return portal.message("Chưa đăng nhập", "Mở liên kết riêng của đài (Sở đã gửi qua Zalo hoặc SMS) để đăng nhập.", 401)

    def refused():
        return portal.message("Không được phép", "Buổi phát này không thuộc đài của bạn.", 403)

    async def home(request: Request):
        session = portal.session(request)
        if session is None:
            return not_signed_in()
        if session.kind == "editor":
            return RedirectResponse("/dashboard", status_code=303)
        station = portal.stations.get(session.subject)
        plan = portal.live.plan()
        mine = plan.for_station(session.subject)
        today = portal.today()
        entries = portal.db.entries_for(session.subject)
        days = []
        for n, label in ((0, "Hôm nay"), (1, "Ngày mai")):
            day = today + dt.timedelta(days=n)
            days.append({"heading": f"{label}: {vn_date(day)}",
                         "sessions": [s for s in mine if s.date == day.isoformat() and s.kind == "rotation"]})
        pending = [s for s in mine if s.kind == "rotation" and s.date < today.isoformat()
                   and (s.station, s.date, s.slot) not in entries]
        # Emergency programmes first ("Phát ngay"), until the operator confirms them.
        urgent = [s for s in mine if s.kind == "emergency" and (s.station, s.date, s.slot) not in entries]
        code = request.query_params.get("m", "")
        return portal.page("operator.html", title=station.name if station else session.subject,
                           station=station or {"name": session.subject}, today=today.isoformat(), today_vn=vn_date(today),
                           days=days, urgent=urgent, pending=pending, entries=entries, csrf=session.csrf,
                           message=MESSAGES.get(code, request.query_params.get("e", "")), error=bool(request.query_params.get("e")))

    def own_file(request: Request, field: str):
        """(the session, its file opened) a signed-in station may have, or the response to send instead."""
        station = station_of(request)
        if station is None:
            return None, not_signed_in()
        key = request.path_params["key"]
        for _ in range(2):  # a rebuild can retire the file between reading the plan and opening it: look again
            plan = portal.live.plan()
            s = plan.by_key(key)
            if s is None:
                break
            if s.station != station:
                return None, refused()
            path = plan.file(getattr(s, field))
            opened = open_regular(path) if path is not None else None
            if opened is not None:
                return s, opened
        newer = portal.live.successor(key)
        if newer is not None and newer.station == station:  # a page loaded before a rebuild: the session's new file
            query = f"?{request.url.query}" if request.url.query else ""
            return None, RedirectResponse(f"{request.url.path.rpartition('/')[0]}/{newer.key}{query}", status_code=307)
        if s is None:
            return None, portal.message("Không có", "Không có buổi phát này trong kế hoạch hiện hành.", 404)
        return None, portal.message("Không có", "Tệp chưa sẵn sàng.", 404)

    async def audio(request: Request):
        s, found = own_file(request, "audio")
        if s is None:
            return found
        disposition = "attachment" if request.query_params.get("download") else "inline"
        return OpenFileResponse(found, "audio/mpeg", filename=s.download_name, disposition=disposition)

    async def script(request: Request):
        s, found = own_file(request, "script")
        return OpenFileResponse(found, "text/plain; charset=utf-8") if s else found

    async def confirm(request: Request):
        session = portal.session(request)
        form = await request.form()
        if session is None or session.kind != "station":
            return not_signed_in()
        if not csrf_ok(session.csrf, form.get("csrf")):
            return portal.message("Bị từ chối", "Biểu mẫu hết hạn hoặc không hợp lệ (thiếu mã CSRF). Tải lại trang rồi thử lại.", 403)
        station = str(form.get("station", session.subject))
        if station != session.subject:
            log.warning("station %s tried to confirm a session of %s: refused", session.subject, station)
            return refused()
        date, slot = str(form.get("date", "")), str(form.get("slot", ""))
        s = portal.live.plan().by_slot(station, date, slot)
        if s is None:
            return portal.message("Không có trong kế hoạch", f"Buổi {slot} ngày {date} không có trong kế hoạch hiện hành của đài.", 404)
        today = portal.today().isoformat()
        if s.date > today and s.kind != "emergency":  # "Phát ngay" is confirmed as soon as it aired
            return portal.message("Chưa đến ngày", "Chỉ xác nhận được buổi phát của hôm nay hoặc những ngày đã qua.", 400)
        status = str(form.get("status", ""))
        try:
            _, new = portal.db.record(station, s.date, s.slot, status, form.get("reason") or None,
                                      str(form.get("note", ""))[:300].strip(), late=s.date < today, by=f"station:{station}")
        except PortalError as exc:
            return portal.message("Không hợp lệ", str(exc), 400)
        return RedirectResponse(f"/?m={('late' if s.date < today else 'ok') if new else 'same'}#b-{s.key}", status_code=303)

    return [Route("/", home), Route("/audio/{key}", audio), Route("/script/{key}", script),
            Route("/confirm", confirm, methods=["POST"])]
