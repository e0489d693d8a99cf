"""Serving a manifest's file from the descriptor the handler opened (portal/files.py), through the ASGI client."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from broadcast.portal.files import OpenFileResponse, open_regular


def serving(path):
    """An app whose one route opens `path` when asked, as the operator's audio route does."""
    opened_at_request: list = []

    async def file(request):
        return OpenFileResponse(opened_at_request.pop() if opened_at_request else open_regular(path), "audio/mpeg",
                                filename="a.mp3")

    return TestClient(Starlette(routes=[Route("/f", file)])), opened_at_request


def test_a_file_replaced_and_removed_after_it_was_opened_is_still_sent_whole_with_its_own_length(tmp_path):
    path = tmp_path / "a.mp3"
    old, new = os.urandom(700_000), os.urandom(300_000)
    path.write_bytes(old)
    client, opened = serving(path)
    opened.append(open_regular(path))  # the handler has opened it; then a build replaces it, and tidies it away
    (tmp_path / "new.mp3").write_bytes(new)
    os.replace(tmp_path / "new.mp3", path)
    path.unlink()
    r = client.get("/f")
    assert r.status_code == 200 and r.content == old and r.headers["content-length"] == str(len(old))
    path.write_bytes(new)
    r = client.get("/f")  # asked after the rebuild: the new file
    assert r.content == new and r.headers["content-length"] == str(len(new))


def test_one_byte_range_is_served_and_an_if_range_for_another_version_gets_the_whole_file(tmp_path):
    path = tmp_path / "a.mp3"
    data = os.urandom(300_000)
    path.write_bytes(data)
    client, _ = serving(path)
    whole = client.get("/f")
    etag = whole.headers["etag"]
    part = client.get("/f", headers={"Range": "bytes=100-199", "If-Range": etag})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert client.get("/f", headers={"Range": "bytes=-10"}).content == data[-10:]
    assert client.get("/f", headers={"Range": "bytes=299990-"}).content == data[299990:]
    stale = client.get("/f", headers={"Range": "bytes=100-199", "If-Range": '"another-version"'})
    assert stale.status_code == 200 and stale.content == data
    several = client.get("/f", headers={"Range": "bytes=0-9,20-29"})
    assert several.status_code == 200 and several.content == data  # ignored: the whole file
    beyond = client.get("/f", headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(data)}"
    path.write_bytes(data[:1000])  # rewritten: another version, so another ETag
    assert client.get("/f").headers["etag"] != etag


def test_a_missing_file_or_a_folder_is_not_opened(tmp_path):
    assert open_regular(tmp_path / "gone.mp3") is None
    assert open_regular(tmp_path) is None
