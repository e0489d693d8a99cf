"""The department's pages (editors): the campaign today and per day, per item, and the report downloads."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..app import Portal
from ..report import bulletin_rows, item_rows, report_bytes, station_rows

MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def routes(portal: Portal) -> list[Route]:
    def editor(request: Request):
        session = portal.session(request)
        return session if session and session.kind == "editor" else None

    def district_name(station_id: str) -> str:
        info = portal.stations.get(station_id)
        district = portal.stations.get(info.district) if info else None
        return district.name if district else ""

    async def dashboard(request: Request):
        session = editor(request)
        if session is None:
            return RedirectResponse("/editor/login", status_code=303)
        plan, entries = portal.live.plan(), portal.db.current_entries()
        today = portal.today().isoformat()
        stations = list(portal.stations.values())
        today_rows = [dict(name=r.name, district=district_name(r.station), planned=r.planned, aired=r.aired,
                           not_aired=r.not_aired, pending=r.pending)
                      for r in station_rows(plan, entries, stations, date=today) if r.planned]
        today_rows.sort(key=lambda r: (not r["pending"], r["district"], r["name"]))
        dates = sorted({s.date for s in plan.sessions})
        per_day = {d: {r.station: r for r in station_rows(plan, entries, stations, date=d)} for d in dates}
        day_rows = [dict(district=district_name(st.id), name=st.name,
                         cells=[f"{per_day[d][st.id].aired}/{per_day[d][st.id].not_aired}/{per_day[d][st.id].planned}"
                                for d in dates]) for st in stations]
        day_rows.sort(key=lambda r: r["district"])
        return portal.page("dashboard.html", title="Theo dõi chiến dịch", today=today, today_rows=today_rows,
                           dates=dates, day_rows=day_rows, csrf=session.csrf)

    async def items(request: Request):
        if editor(request) is None:
            return RedirectResponse("/editor/login", status_code=303)
        rows = item_rows(portal.live.plan(), portal.db.current_entries())
        return portal.page("items.html", title="Theo nội dung", rows=rows)

    async def report(request: Request):
        if editor(request) is None:
            return RedirectResponse("/editor/login", status_code=303)
        fmt = request.path_params["fmt"]
        if fmt not in MEDIA:
            return portal.message("Không có", "Định dạng báo cáo: csv hoặc xlsx.", 404)
        plan, entries = portal.live.plan(), portal.db.current_entries()
        data = report_bytes(fmt, station_rows(plan, entries, portal.stations.values()), item_rows(plan, entries),
                            bulletin_rows(plan, entries))
        return Response(data, media_type=MEDIA[fmt],
                        headers={"Content-Disposition": f'attachment; filename="bao-cao-chien-dich.{fmt}"'})

    return [Route("/dashboard", dashboard), Route("/dashboard/items", items), Route("/report.{fmt}", report)]
