"""Running `broadcast serve` as a real process on 127.0.0.1 for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

SRC = Path(__file__).parent.parent / "src"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`broadcast serve` in its own process group; stop() or kill() it."""

    def __init__(self, schedule: Path, today: str = "2023-07-01"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        self.proc = subprocess.Popen([sys.executable, "-m", "broadcast.cli", "serve", "--port", str(self.port),
                                      "--today", today, "-c", str(schedule)], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited: {self.proc.stderr.read().decode()}")
            try:
                httpx.get(self.url + "/", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError("serve did not start in 30 s")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> str:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
        return self.proc.stderr.read().decode()


class SlowDownload:
    """A GET over a raw socket with a tiny receive window, read a little at a time: the server cannot send far
    ahead, so it is still reading the file when the test does something in the middle of the transfer."""

    def __init__(self, url: str, path: str, cookie: str):
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: it sets the window
        self.sock.settimeout(30)
        self.sock.connect((host, int(port)))
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1024)
        head, _, self.body = head.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}

    def read(self, at_least: int) -> None:
        while len(self.body) < at_least:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.body += chunk

    def finish(self) -> bytes:
        while chunk := self.sock.recv(65536):
            self.body += chunk
        self.sock.close()
        return self.body


def open_deleted_files(pid: int) -> list[str]:
    """Files a process holds open that are gone from their folder (Linux's /proc shows them "(deleted)")."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.endswith(" (deleted)"):
            found.append(target.removesuffix(" (deleted)"))
    return found
