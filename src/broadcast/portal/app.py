"""The portal's ASGI app (Starlette): shared state and helpers; the pages live in portal/pages/, one module per kind."""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .accounts import WebSession, find_session
from .database import REASONS, Database
from .live import LiveManifest
from .report import StationInfo

log = logging.getLogger(__name__)

COOKIE = "bc_session"
LOGIN_CSRF_COOKIE = "bc_login"
COOKIE_MAX_AGE = 200 * 24 * 3600  # a campaign and then some: the operator signs in once


class RateLimit:
    """At most `limit` failed sign-ins per client address in `window` seconds."""

    def __init__(self, limit: int = 10, window: float = 300.0):
        self.limit, self.window = limit, window
        self.failures: dict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()

    def blocked(self, client: str) -> bool:
        with self.lock:
            q = self.failures[client]
            while q and q[0] < time.monotonic() - self.window:
                q.popleft()
            return len(q) >= self.limit

    def fail(self, client: str) -> None:
        with self.lock:
            self.failures[client].append(time.monotonic())


@dataclass
class Portal:
    """Everything a page needs: the database, the live plan, the stations, the portal's date."""

    db: Database
    live: LiveManifest
    stations: dict[str, StationInfo]
    today_override: dt.date | None = None
    limiter: RateLimit = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.limiter = self.limiter or RateLimit()
        self.env = Environment(loader=PackageLoader("broadcast.portal", "templates"), autoescape=select_autoescape(default=True))
        self.env.globals.update(reasons=REASONS, minutes=_minutes)
        self.env.filters.update(ngay=vn_date, luc=vn_moment)

    def today(self) -> dt.date:
        return self.today_override or dt.date.today()

    def page(self, template: str, status_code: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(self.env.get_template(template).render(**context), status_code=status_code)

    def message(self, title: str, message: str, status_code: int) -> HTMLResponse:
        return self.page("message.html", status_code=status_code, title=title, message=message)

    def session(self, request: Request) -> WebSession | None:
        return find_session(self.db, request.cookies.get(COOKIE))

    def set_cookie(self, response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path="/")

    @staticmethod
    def client(request: Request) -> str:
        return request.client.host if request.client else "?"


def csrf_ok(expected: str | None, given) -> bool:
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(expected, given)


VIETNAM = dt.timezone(dt.timedelta(hours=7), "giờ Việt Nam")


def vn_date(value) -> str:
    """A date as Vietnamese write it: 2023-07-01 -> 1/7/2023 (an unparsable value is shown as it is)."""
    try:
        d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{d.day}/{d.month}/{d.year}"


def vn_moment(value) -> str:
    """An ISO timestamp in Vietnam's time: 2026-12-02T02:42:49+00:00 -> 09:42 ngày 2/12/2026."""
    try:
        t = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    t = t.astimezone(VIETNAM) if t.tzinfo else t
    return f"{t:%H:%M} ngày {vn_date(t.date())}"


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} phút {int(seconds % 60):02d} giây"


def create_app(db: Database, out: Path, stations: list[StationInfo], today: dt.date | None = None,
               schedule=None) -> Starlette:
    from .pages import approval, dashboard, operator, signin

    portal = Portal(db, LiveManifest(out), {s.id: s for s in stations}, today)
    routes = [*signin.routes(portal), *operator.routes(portal), *dashboard.routes(portal), *approval.routes(portal, schedule)]
    app = Starlette(routes=routes)
    app.state.portal = portal
    return app


def app_for_schedule(schedule, today: dt.date | None = None) -> Starlette:
    from .database import open_database
    from .report import schedule_stations

    return create_app(open_database(schedule), schedule.output, schedule_stations(schedule), today, schedule)


def serve(schedule, host: str = "127.0.0.1", port: int = 8080, today: dt.date | None = None,
          behind_proxy: bool = False) -> None:
    """Run the portal under uvicorn until stopped. The access log is off: station links carry secrets."""
    import uvicorn

    app = app_for_schedule(schedule, today)
    app.state.portal.live.plan()  # read the live manifest before the first phone asks, not during its request
    log.warning("portal on http://%s:%d (date %s)", host, port, today or "today")
    uvicorn.run(app, host=host, port=port, access_log=False, proxy_headers=behind_proxy,
                forwarded_allow_ips="*" if behind_proxy else None, log_level="warning")
