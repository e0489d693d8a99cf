"""Serving a file the live manifest lists: opened once, then streamed from that open descriptor.

A build replaces files by `os.replace` and tidies old ones away while the portal serves. A response that
stats a path and opens it later (Starlette's FileResponse does) can send one file's length with another
file's bytes. Here the handler opens the file, the length, ETag and Last-Modified come from `fstat` of that
descriptor, and every byte is read from it with `pread`: a download begun before a rebuild is the complete old
file (Linux keeps a replaced or deleted file's data while it is open), one begun after it is the new file."""

from __future__ import annotations

import os
import re
import stat
from email.utils import formatdate
from pathlib import Path
from urllib.parse import quote

import anyio
from starlette.background import BackgroundTask
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

CHUNK = 1024 * 1024  # a file up to this size goes out in one message (most sessions and segments)
_NOWAIT = getattr(os, "RWF_NOWAIT", None)  # Linux: read only what the page cache holds, never wait for the disk
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def open_regular(path: Path):
    """The file opened for reading with its fstat, or None if it is gone or not a regular file."""
    try:
        fh = open(path, "rb")
    except OSError:
        return None
    st = os.fstat(fh.fileno())
    if not stat.S_ISREG(st.st_mode):
        fh.close()
        return None
    return fh, st


def single_range(header: str | None, size: int) -> tuple[int, int] | None | bool:
    """(start, end exclusive) for one satisfiable `bytes=` range; None to send the whole file (no range, several
    ranges or one we do not parse: a server may ignore Range); False when the range starts past the end."""
    m = _RANGE.fullmatch(header.strip()) if header else None
    if m is None or m.group(1) == m.group(2) == "":
        return None
    first, last = m.group(1), m.group(2)
    if first == "":  # the last N bytes
        return (max(0, size - int(last)), size) if int(last) > 0 else False
    start = int(first)
    end = min(size, int(last) + 1) if last else size
    if start >= size:
        return False
    return (start, end) if end > start else None


class OpenFileResponse(Response):
    """A whole file or one byte range, from a file the handler already opened (see the module's docstring)."""

    def __init__(self, opened, media_type: str, filename: str | None = None, disposition: str = "inline"):
        self.fh, self.st = opened
        self.status_code = 200
        self.media_type = media_type
        self.background: BackgroundTask | None = None
        self.init_headers({"accept-ranges": "bytes",
                           "last-modified": formatdate(self.st.st_mtime, usegmt=True),
                           "etag": f'"{self.st.st_ino:x}-{self.st.st_mtime_ns:x}-{self.st.st_size:x}"'})
        if filename is not None:
            quoted = quote(filename)
            self.headers["content-disposition"] = (f'{disposition}; filename="{filename}"' if quoted == filename
                                                   else f"{disposition}; filename*=utf-8''{quoted}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._send(scope, receive, send)
        finally:
            self.fh.close()

    async def _send(self, scope: Scope, receive: Receive, send: Send) -> None:
        size = self.st.st_size
        request = Headers(scope=scope)
        if_range = request.get("if-range")
        wanted = (single_range(request.get("range"), size)
                  if if_range is None or if_range in (self.headers["etag"], self.headers["last-modified"]) else None)
        headers = self.headers.mutablecopy()
        status, start, end = 200, 0, size
        if wanted is False:
            headers["content-range"] = f"bytes */{size}"
            headers["content-length"] = "0"
            await send({"type": "http.response.start", "status": 416, "headers": headers.raw})
            await send({"type": "http.response.body", "body": b""})
            return
        if wanted:
            status, (start, end) = 206, wanted
            headers["content-range"] = f"bytes {start}-{end - 1}/{size}"
        headers["content-length"] = str(end - start)
        await send({"type": "http.response.start", "status": status, "headers": headers.raw})
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        if end - start <= CHUNK:  # one message: nothing to stop if the phone goes away, so no watcher
            await self._stream(send, start, end)
            return
        async with anyio.create_task_group() as tg:
            async def stream() -> None:
                await self._stream(send, start, end)
                tg.cancel_scope.cancel()

            tg.start_soon(stream)
            while (await receive())["type"] != "http.disconnect":  # a phone that goes away stops the reading
                pass
            tg.cancel_scope.cancel()

    async def _stream(self, send: Send, offset: int, end: int) -> None:
        fd = self.fh.fileno()
        if offset >= end:
            await send({"type": "http.response.body", "body": b""})
        while offset < end:
            size = min(CHUNK, end - offset)
            # A file in the page cache (the usual case: every phone fetches the same few files) is read right here;
            # otherwise in a worker thread, so a slow disk never stalls the event loop.
            chunk = _read_cached(fd, size, offset) or await anyio.to_thread.run_sync(os.pread, fd, size, offset)
            if not chunk:  # the open file shrank: never true for a build's files, which are replaced, not rewritten
                raise OSError(f"file ended at {offset} of {end} bytes")
            offset += len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": offset < end})


def _read_cached(fd: int, size: int, offset: int) -> bytes | None:
    """Up to `size` bytes at `offset` if the page cache already holds them, else None (without waiting)."""
    if _NOWAIT is None:
        return None
    buf = bytearray(size)
    try:
        got = os.preadv(fd, [buf], offset, _NOWAIT)
    except OSError:  # EAGAIN: not cached; EOPNOTSUPP: a file system without it
        return None
    if got == size:
        return buf  # no second copy: a bytes-like body is what the transport writes
    return bytes(memoryview(buf)[:got]) if got else None
