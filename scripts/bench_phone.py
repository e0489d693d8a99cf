"""A simulated phone for the portal bench: one keep-alive HTTP/1.1 connection and its session cookie.

Lean on purpose: the bench's phones share the machine's 2 cores with the server, and httpx spent about twice
the server's CPU per request (1.6 s against 0.8 s for 200 operators). The bench's event loop then woke up late,
and that delay was counted as the server's latency. This client sends the request, reads the status line and
headers, and reads the body to its Content-Length (every portal response has one), nothing more."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode, urlsplit

COOKIE = "bc_session"


class Phone:
    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.cookie: str | None = None  # the portal's session cookie, as the server last set it
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict[str, str], bytes]:
        """(status, headers with lower-case names, body)."""
        body = urlencode(form).encode() if form is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        if self.cookie:
            head += f"Cookie: {COOKIE}={self.cookie}\r\n"
        if form is not None:
            head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        data = (head + "\r\n").encode("latin-1") + body
        for attempt in (1, 2):
            reused = self.writer is not None
            if not reused:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.writer.write(data)
            try:
                raw = await self.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                self.close()
                # The server closed an idle keep-alive connection before reading this request: a browser sends
                # it again on a new connection, and so does the phone (once).
                if reused and attempt == 1 and (not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial):
                    continue
                raise
            return await self._response(raw)
        raise AssertionError("unreachable")

    async def _response(self, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie" and value.startswith(f"{COOKIE}="):
                self.cookie = value.split(";", 1)[0].partition("=")[2].strip('"') or None
            headers[name] = value
        if "content-length" not in headers:
            raise ValueError(f"{status} response without Content-Length")
        body = await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
