"""The editors' approval page: the draft beside the live release, what changes for listeners, players for the
changed segments and "Duyệt phát"; an emergency bulletin waiting for approval first, approved in one step.

The library decides (releases.diff, approve, approve_bulletins); this page only renders and asks. Audio is
served only for files the live or the draft release lists, found by key in its typed manifest."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from ...errors import BroadcastError, InputError
from ...manifest import Manifest, ManifestError, inside, read_manifest
from ...outdir import OutputLockedError
from ...releases import (Release, ReleaseError, UnconfirmedFactsError, approve, approve_bulletins, diff,
                         newest_draft_id, pending_emergencies, read_release, unconfirmed)
from ..app import Portal, csrf_ok, vn_date
from ..files import OpenFileResponse, open_regular

log = logging.getLogger(__name__)

KINDS = {"added": "Buổi mới", "removed": "Buổi bị bỏ", "changed": "Buổi thay đổi"}
SOURCES = {"schedule": "Lịch (schedule.yaml)", "content": "Nội dung", "lexicon": "Từ điển đọc", "templates": "Mẫu kịch bản"}


_CACHE: dict[tuple[Path, str], tuple[Release, Manifest]] = {}
_CACHE_LOCK = threading.Lock()


def _release(out: Path, rid: str) -> tuple[Release, Manifest] | None:
    """A release and its typed manifest (releases are immutable, so the last few read are kept in memory)."""
    with _CACHE_LOCK:
        found = _CACHE.get((out, rid))
    if found is None:
        release = read_release(out, rid)
        if release is None:
            return None
        found = (release, release.typed)
        with _CACHE_LOCK:
            while len(_CACHE) >= 4:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[(out, rid)] = found
    return found


@dataclass(frozen=True)
class Player:
    """One <audio> of the page: which release's file, found by key."""

    release: str
    key: str

    @property
    def url(self) -> str:
        return f"/approval/audio/{self.release}/{self.key}"


SEGMENT_KINDS = {"opening": "Lời mở đầu", "body": "Nội dung", "closing": "Lời kết", "bulletin": "Bản tin",
                 "chime": "Nhạc hiệu"}
AUDIENCES = {"general": "chung", "elderly": "người cao tuổi", "farmers": "nông dân", "workers": "công nhân",
             "officials": "cán bộ và gia đình"}


def segment_heading(label: str) -> str:
    """A build's segment label for an editor: "closing xa-1/elderly" -> "Lời kết · người cao tuổi (xa-1)"."""
    kind, _, rest = label.partition(" ")
    subject, _, audience = rest.rpartition("/")
    if kind not in SEGMENT_KINDS or audience not in AUDIENCES:
        return label
    return f"{SEGMENT_KINDS[kind]} · {AUDIENCES[audience]}" + (f" ({subject})" if subject else "")


def _programme_key(manifest: Manifest, slot: tuple[str, str, str]) -> str | None:
    return next((p.key for p in manifest.programmes if (p.date, p.time, p.station) == slot), None)


def _view(out: Path, stations: dict) -> dict:
    """What the page shows: both releases, the changed sessions with their players, the pending emergencies."""
    try:
        current = read_manifest(out)  # the live manifest.json: which release, approved by whom and when
    except ManifestError as exc:
        log.warning("%s", exc)
        current = None
    live_rid = current.release if current else None
    draft_rid = newest_draft_id(out, live_rid)
    live_pair = _release(out, live_rid) if live_rid else None
    draft_pair = _release(out, draft_rid) if draft_rid else None
    live, old = live_pair or (None, None)
    draft, new = draft_pair or (None, None)
    context: dict = {"live": live, "current": current, "draft": draft, "draft_manifest": new, "changes": [],
                     "emergencies": []}
    if draft is None or new is None:
        return context
    for change in diff(live, draft):
        date, time, station = change.slot
        row = {"date": date, "time": time, "station": stations[station].name if station in stations else station,
               "kind": KINDS.get(change.kind, change.kind), "segments": [], "session": None, "live_session": None}
        if change.kind == "added":
            key = _programme_key(new, change.slot)
            row["session"] = Player(draft.id, key) if key and _file_of(new, key) else None
        elif change.kind == "removed" and old is not None:
            key = _programme_key(old, change.slot)
            row["live_session"] = Player(live.id, key) if key and _file_of(old, key) else None  # type: ignore[union-attr]
        for (label, lines), (ka, kb) in zip(change.text_changes, change.segment_keys):
            row["segments"].append({"label": segment_heading(label), "lines": lines,
                                    "new": Player(draft.id, kb) if kb else None,
                                    "old": Player(live.id, ka) if ka and live is not None else None})
        context["changes"].append(row)
    by_bulletin: dict[str, dict] = {}
    for rec in pending_emergencies(live, draft):
        b = by_bulletin.setdefault(rec["bulletin"], {"id": rec["bulletin"], "title": rec.get("title", rec["bulletin"]),
                                                     "texts": [], "players": [], "targets": [], "voicings": set()})
        body = rec["segments"][1] if len(rec["segments"]) > 1 else rec["key"]  # chime, bulletin, bulletin, chime
        if body not in b["voicings"]:  # one text and player per voicing (each region has its voice)
            b["voicings"].add(body)
            text = draft.texts.get(body, "")
            if text and text not in b["texts"]:
                b["texts"].append(text)
            b["players"].append(Player(draft.id, rec["key"]))
        b["targets"].append(f"{rec.get('station_name', rec['station'])}: {rec['time']} ngày {vn_date(rec['date'])}")
    context["emergencies"] = list(by_bulletin.values())
    context["draft_has_rotation_changes"] = bool(context["changes"])
    context["unconfirmed"] = unconfirmed(draft)
    return context


def _file_of(manifest: Manifest, key: str) -> str | None:
    """The file of a segment, session or emergency programme the manifest lists under `key`."""
    if key in manifest.segments:
        return manifest.segments[key].file
    programme = next((p for p in manifest.programmes if p.key == key), None)
    if programme is not None:
        return programme.file
    bulletin = next((b for b in manifest.bulletins if b.get("key") == key), None)
    return str(bulletin["file"]) if bulletin is not None else None


def _refusal(exc: BroadcastError) -> tuple[str, int]:
    """A library refusal as a Vietnamese sentence and its status code."""
    if isinstance(exc, UnconfirmedFactsError):
        return ("Chưa duyệt được: bản nháp phát những thông tin chưa được xác nhận (" + ", ".join(exc.facts) + "). "
                "Ban biên tập cần xác nhận các thông tin này trong tệp nội dung, hoặc sửa kịch bản rồi dựng lại. "
                "Không có gì thay đổi.", 409)
    if isinstance(exc, OutputLockedError):
        return "Đang có một lần dựng chương trình ghi vào thư mục phát. Chờ lần dựng xong rồi thử lại. Không có gì thay đổi.", 409
    if isinstance(exc, ReleaseError):
        return ("Bản này không còn chờ duyệt (đã được duyệt, không còn trong thư mục, hoặc không còn bản tin khẩn "
                "chờ duyệt). Tải lại trang để xem bản mới nhất. Không có gì thay đổi.", 409)
    if isinstance(exc, InputError):
        return "Không duyệt được vì cấu hình hoặc dữ liệu có lỗi; xem chi tiết bên dưới. Không có gì thay đổi.", 400
    return "Không duyệt được vì một lỗi khi ghi thư mục phát; xem chi tiết bên dưới.", 500


def routes(portal: Portal, schedule=None) -> list[Route]:
    out = Path(portal.live.out)

    def editor(request: Request):
        session = portal.session(request)
        return session if session and session.kind == "editor" else None

    def not_an_editor(request: Request):
        if portal.session(request) is None and request.method == "GET":
            return RedirectResponse("/editor/login", status_code=303)
        return portal.message("Không được phép", "Chỉ ban biên tập (đăng nhập bằng mật khẩu) mới duyệt phát.", 403)

    async def page(request: Request):
        session = editor(request)
        if session is None:
            return not_an_editor(request)
        view = await run_in_threadpool(_view, out, portal.stations)
        live = view["live"]
        done = request.query_params.get("ok", "") if live and request.query_params.get("ok") == live.id else ""
        return portal.page("approval.html", title="Duyệt phát", csrf=session.csrf, done=done, sources=SOURCES,
                           can_approve=schedule is not None, **view)

    async def audio(request: Request):
        if editor(request) is None:
            return not_an_editor(request)
        rid, key = request.path_params["release"], request.path_params["key"]
        live = portal.live.plan().release  # the portal's cached reading of manifest.json
        if rid not in (live, await run_in_threadpool(newest_draft_id, out, live)):
            return portal.message("Không có", "Chỉ nghe được bản đang phát và bản nháp mới nhất.", 404)
        found = await run_in_threadpool(_release, out, rid)
        rel = _file_of(found[1], key) if found else None
        path = inside(out, rel) if rel and rel in found[0].files else None  # type: ignore[index]
        opened = open_regular(path) if path is not None else None  # opened once: a tidy cannot swap it mid-send
        if opened is None:
            return portal.message("Không có", "Tệp âm thanh này không có trong bản phát.", 404)
        return OpenFileResponse(opened, "audio/mpeg")

    def acting(approve_call):
        async def post(request: Request):
            session = editor(request)
            form = await request.form()
            if session is None:
                return not_an_editor(request)
            if not csrf_ok(session.csrf, form.get("csrf")):
                return portal.message("Bị từ chối", "Biểu mẫu hết hạn hoặc không hợp lệ (thiếu mã CSRF). Tải lại trang rồi thử lại.", 403)
            if schedule is None:
                return portal.message("Không duyệt được", "Cổng chạy không kèm schedule.yaml: hãy duyệt bằng lệnh `broadcast approve`.", 400)
            rid = str(form.get("release", ""))
            if not rid:
                return portal.message("Không duyệt được", "Biểu mẫu không nêu bản nào cần duyệt. Tải lại trang rồi thử lại.", 400)
            try:
                done = await run_in_threadpool(approve_call, schedule.path, rid, session.subject)
            except BroadcastError as exc:
                text, code = _refusal(exc)
                log.warning("approval of %s by %s refused: %s", rid, session.subject, exc)
                return portal.page("approval_refused.html", status_code=code, title="Chưa duyệt được", message=text, detail=str(exc))
            log.warning("%s approved by %s: live", done.id, session.subject)
            return RedirectResponse(f"/approval?ok={done.id}", status_code=303)
        return post

    def approve_release(config: Path, rid: str, by: str) -> Release:
        from ...project import open_project

        return approve(open_project(config), rid, by, drafts_only=True)

    def approve_emergency(config: Path, rid: str, by: str) -> Release:
        from ...project import open_project

        return approve_bulletins(open_project(config), rid, by)

    return [Route("/approval", page), Route("/approval/audio/{release}/{key}", audio),
            Route("/approval/approve", acting(approve_release), methods=["POST"]),
            Route("/approval/emergency", acting(approve_emergency), methods=["POST"])]
