"""Signing in: a station's secret link signs a phone in; editors sign in with a password."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from ..accounts import check_editor_password, new_token, open_session, station_for_link
from ..app import COOKIE, COOKIE_MAX_AGE, LOGIN_CSRF_COOKIE, Portal, csrf_ok


def routes(portal: Portal) -> list[Route]:
    async def station_link(request: Request):
        client = portal.client(request)
        if portal.limiter.blocked(client):
            return portal.message("Thử lại sau", "Quá nhiều lần thử, vui lòng thử lại sau ít phút.", 429)
        station = station_for_link(portal.db, request.path_params["token"])
        if station is None:
            portal.limiter.fail(client)
            return portal.message("Liên kết không dùng được", "Liên kết này không còn hiệu lực. Xin liên hệ Sở để nhận liên kết mới.", 404)
        sid, _ = open_session(portal.db, "station", station)
        response = RedirectResponse("/", status_code=303)
        portal.set_cookie(response, request, COOKIE, sid, COOKIE_MAX_AGE)
        return response

    async def login_form(request: Request, message: str = "", status_code: int = 200):
        token = new_token()
        response = portal.page("login.html", status_code=status_code, title="Đăng nhập", csrf=token, message=message)
        portal.set_cookie(response, request, LOGIN_CSRF_COOKIE, token, None)
        return response

    async def login(request: Request):
        client = portal.client(request)
        form = await request.form()
        if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf")):
            return portal.message("Bị từ chối", "Biểu mẫu hết hạn hoặc không hợp lệ (thiếu mã CSRF).", 403)
        if portal.limiter.blocked(client):
            return await login_form(request, "Quá nhiều lần thử, vui lòng thử lại sau ít phút.", 429)
        name, password = str(form.get("name", "")), str(form.get("password", ""))
        if not check_editor_password(portal.db, name, password):
            portal.limiter.fail(client)
            return await login_form(request, "Sai tên hoặc mật khẩu.", 401)
        sid, _ = open_session(portal.db, "editor", name)
        response = RedirectResponse("/dashboard", status_code=303)
        portal.set_cookie(response, request, COOKIE, sid, 12 * 3600)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    async def logout(request: Request):
        session = portal.session(request)
        form = await request.form()
        if session is None or not csrf_ok(session.csrf, form.get("csrf")):
            return portal.message("Bị từ chối", "Biểu mẫu không hợp lệ (thiếu mã CSRF).", 403)
        from ..accounts import token_hash

        portal.db.execute("DELETE FROM web_session WHERE id_hash=?", (token_hash(request.cookies.get(COOKIE, "")),))
        response = RedirectResponse("/editor/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    return [Route("/s/{token}", station_link), Route("/editor/login", login_form, methods=["GET"]),
            Route("/editor/login", login, methods=["POST"]), Route("/logout", logout, methods=["POST"])]
