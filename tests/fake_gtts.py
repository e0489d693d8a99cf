"""A local fake of gTTS's endpoint (Google Translate batchexecute) on 127.0.0.1, for offline fault tests.

    with FakeGTTS("429", "ok") as fake:      # answers per request in order, then `default`
        ...gTTS calls...                     # gtts.tts._translate_url points here while inside
    fake.texts                               # the text of every request, in order

Behaviours: "ok" (real MP3 in gTTS's format), "429", "403", "500", "503" (any HTTP status as digits),
"hang" (accept, read the request, never answer), "trickle" (200, then the body one byte every 50 ms), "empty" (200 with no audio line), "garbage" (200, an
audio line whose base64 is not MP3), "junk" (200, an HTML page). `by_text={"substring": "500"}` picks a
behaviour by the piece's text, before the script.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import socket
import subprocess
import threading
import time
import urllib.parse
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from unittest import mock

import gtts.tts

PROXY_VARS = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
CLIP_SECONDS = 0.8
CLIP_RATE = 24000  # Google's own rate, unlike espeak-ng's 22050


@functools.lru_cache(maxsize=None)
def speechlike_mp3(seconds: float = CLIP_SECONDS) -> bytes:
    """A real MP3 (mono 24 kHz, like Google's): a voiced buzz pulsing at syllable rate."""
    import imageio_ffmpeg

    expr = "0.25*(sin(2*PI*170*t)+0.5*sin(2*PI*340*t)+0.25*sin(2*PI*510*t))*(0.55+0.45*sin(2*PI*4*t))"
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error",
        "-f", "lavfi", "-i", f"aevalsrc={expr}:s={CLIP_RATE}:d={seconds}",
        "-ac", "1", "-c:a", "libmp3lame", "-b:a", "32k", "-f", "mp3", "pipe:1",
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, check=True).stdout


def batchexecute_body(audio: bytes) -> bytes:
    """A 200 body the way Google frames it: compact JSON, base64 audio inside the jQ1olc line."""
    inner = json.dumps([base64.b64encode(audio).decode("ascii")], separators=(",", ":"))
    line = json.dumps([["wrb.fr", "jQ1olc", inner, None, None, None, "generic"]], separators=(",", ":"))
    return f")]}}'\n\n{len(line)}\n{line}\n".encode("ascii")


@contextmanager
def no_proxies() -> Iterator[None]:
    """Without proxy variables: gTTS would send even loopback requests through a proxy."""
    saved = {name: os.environ.pop(name) for name in PROXY_VARS if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


@contextmanager
def gtts_pointed_at(base_url: str) -> Iterator[None]:
    """Redirect gTTS (and our probe) to `base_url`, which replaces https://translate.google.<tld>/."""

    def translate_url(tld: str = "com", path: str = "") -> str:
        return f"{base_url.rstrip('/')}/{path}"

    with no_proxies(), mock.patch.object(gtts.tts, "_translate_url", translate_url):
        yield


@contextmanager
def unreachable_gtts() -> Iterator[str]:
    """Point gTTS at a loopback port where nothing listens (connection refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with gtts_pointed_at(url):
        yield url


class FakeGTTS:
    """The fake endpoint; a context manager that also redirects gTTS to itself."""

    def __init__(self, *script: str, default: str = "ok", by_text: dict[str, str] | None = None,
                 mp3: bytes | None = None, hang_s: float = 30.0, delay_s: float = 0.0,
                 retry_after: str | None = None, tls=None) -> None:
        self.script = list(script)
        self.default = default
        self.by_text = dict(by_text or {})
        self.mp3 = mp3 if mp3 is not None else speechlike_mp3()
        self.hang_s = hang_s
        self.delay_s = delay_s  # every answer waits this long first, like a real server far away
        self.retry_after = retry_after  # a Retry-After header on 429 and 503 answers
        self.tls = tls  # an ssl.SSLContext to serve HTTPS with (e.g. a self-signed certificate)
        self.texts: list[str] = []  # text of every request received, in order
        self.times: list[float] = []  # time.monotonic() of each request
        self.answers: list[str] = []  # behaviour used for each request
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._redirect = None

    @property
    def requests(self) -> int:
        """How many requests arrived."""
        return len(self.texts)

    @property
    def url(self) -> str:
        assert self._server is not None, "use FakeGTTS as a context manager"
        host, port = self._server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def _behaviour(self, text: str) -> str:
        with self._lock:
            self.texts.append(text)
            self.times.append(time.monotonic())
            chosen = next((b for needle, b in self.by_text.items() if needle in text), None)
            if chosen is None:
                chosen = self.script.pop(0) if self.script else self.default
            self.answers.append(chosen)
            return chosen

    def __enter__(self) -> "FakeGTTS":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                behaviour = fake._behaviour(_request_text(body))
                if behaviour == "hang":
                    fake._release.wait(fake.hang_s)
                    self.close_connection = True
                    return
                if fake.delay_s:
                    time.sleep(fake.delay_s)
                if behaviour == "trickle":
                    payload = batchexecute_body(fake.mp3)
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    try:
                        for byte in payload:
                            if fake._release.wait(0.05):
                                break
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # the client gave up, as it should
                    self.close_connection = True
                    return
                status, payload = 200, b""
                if behaviour == "ok":
                    payload = batchexecute_body(fake.mp3)
                elif behaviour == "empty":
                    payload = b")]}'\n\n"
                elif behaviour == "garbage":
                    payload = batchexecute_body(os.urandom(2048).replace(b"\xff", b"\x00"))
                elif behaviour == "junk":
                    payload = b"<html><body>Our systems have detected unusual traffic</body></html>"
                elif behaviour.isdigit():
                    status, payload = int(behaviour), b"error"
                else:
                    raise ValueError(f"unknown fake behaviour {behaviour!r}")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                if fake.retry_after and status in (429, 503):
                    self.send_header("Retry-After", fake.retry_after)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-gtts", daemon=True).start()
        self._redirect = gtts_pointed_at(self.url)
        self._redirect.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self._release.set()  # let hanging handlers finish
        assert self._server is not None and self._redirect is not None
        self._redirect.__exit__(*exc_info)
        self._server.shutdown()
        self._server.server_close()


def _request_text(body: bytes) -> str:
    """The piece of text inside gTTS's form-encoded batchexecute request."""
    try:
        form = urllib.parse.parse_qs(body.decode("utf-8"))
        rpc = json.loads(form["f.req"][0])
        return json.loads(rpc[0][0][1])[0]
    except (KeyError, IndexError, ValueError):
        return ""
