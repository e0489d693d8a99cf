"""The online voice's HTTP transport and its request budget, shared by every process of a build.

gTTS prepares each request and we parse its answer the way gTTS does, but we send it ourselves: TLS
verified, connect and read timeouts, a total deadline per request (a server trickling one byte at a time
cannot hold a piece for longer than `timeout_s`), and a cap on the size of the answer.

The budget is one file under the temp folder per endpoint, locked with flock: every process reserves the
next free slot (`1 / requests_per_second` apart) and sleeps until it comes, so requests from several worker
processes are spaced as one stream and may overlap in flight. A 429 or 5xx slows everyone: the spacing
doubles (up to 16x) and a Retry-After pushes the next slot back for all processes; each success eases the
spacing back towards the budget.
"""

from __future__ import annotations

import email.utils
import fcntl
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import requests

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4 * 1024 * 1024  # a 100-character piece is a few dozen kB of base64
MAX_SLOWDOWN = 16.0
EASE = 0.7  # spacing factor kept after a success: back to the full budget in a few requests
MAX_RETRY_AFTER_S = 120.0
STALE_S = 600.0  # a reservation this far ahead is left over from something else (clock change): ignore it
AUDIO_LINE = re.compile(r'jQ1olc","\[\\"(.*)\\"]')  # gTTS's own pattern for the audio in an answer


class TransientHTTPError(Exception):
    """Worth retrying: a timeout, a refused or broken connection, a 429 or a 5xx."""

    def __init__(self, message: str, status: int | None = None, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


class PermanentHTTPError(Exception):
    """Not worth retrying: a 4xx other than 429, a TLS failure, an answer too large."""


def budget_dir() -> Path:
    """Where budget files live: $BROADCAST_STATE_DIR, else the temp folder."""
    return Path(os.environ.get("BROADCAST_STATE_DIR") or tempfile.gettempdir())


def _readable_state(text: str, now: float) -> dict:
    """The budget file's state, or a fresh one when it is unreadable, damaged or left from long ago."""
    try:
        raw = json.loads(text or "{}")
        slot, factor = float(raw.get("next", 0.0)), float(raw.get("factor", 1.0))
    except (ValueError, TypeError, AttributeError):
        slot, factor = now, 1.0
    if not now - STALE_S < slot < now + STALE_S:
        slot = now
    if not 1.0 <= factor <= MAX_SLOWDOWN:  # also NaN
        factor = 1.0 if not factor > MAX_SLOWDOWN else MAX_SLOWDOWN
    return {"next": slot, "factor": factor}


class RequestBudget:
    """At most `requests_per_second` requests to one endpoint, across every process on this machine."""

    def __init__(self, endpoint: str, requests_per_second: float) -> None:
        self.endpoint = endpoint
        self.interval_s = 1.0 / requests_per_second
        digest = hashlib.sha256(endpoint.encode()).hexdigest()[:16]
        self.path = budget_dir() / f"broadcast-gtts-{os.getuid()}-{digest}.json"

    def _update(self, change) -> float:
        """Apply `change(state, now) -> result` to the shared state under the file lock."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.seek(0)
                now = time.time()
                state = _readable_state(handle.read(), now)
                result = change(state, now)
                handle.seek(0)
                handle.truncate()
                handle.write(json.dumps(state))
                handle.flush()
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return result

    def acquire(self) -> float:
        """Reserve the next slot and sleep until it comes; returns the seconds waited."""

        def reserve(state: dict, now: float) -> float:
            slot = max(now, float(state["next"]))
            state["next"] = slot + self.interval_s * state["factor"]
            return slot - now

        wait = self._update(reserve)
        if wait > 0:
            time.sleep(wait)
        return wait

    def slow_down(self, retry_after_s: float | None = None) -> None:
        """After a 429 or 5xx: double the spacing for every process; honour Retry-After for all."""

        def slow(state: dict, now: float) -> None:
            state["factor"] = min(MAX_SLOWDOWN, state["factor"] * 2)
            pause = min(MAX_RETRY_AFTER_S, retry_after_s) if retry_after_s else self.interval_s * state["factor"]
            state["next"] = max(float(state["next"]), now + pause)

        self._update(slow)
        log.info("gTTS asked us to slow down: spacing now x%s for the whole build", self.factor())

    def eased(self) -> None:
        """After a success: ease the spacing back towards the budget."""

        def ease(state: dict, now: float) -> None:
            state["factor"] = max(1.0, state["factor"] * EASE)

        self._update(ease)

    def factor(self) -> float:
        """The current slowdown factor (1.0 = the full budget)."""
        return self._update(lambda state, now: state["factor"])


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass
class _Outcome:
    body: bytes | None = None
    error: BaseException | None = None


def _receive(session: requests.Session, prepared: requests.PreparedRequest, timeout_s: float,
             deadline: float, max_bytes: int, outcome: _Outcome) -> None:
    try:
        response = session.send(prepared, verify=True, stream=True, timeout=(timeout_s, timeout_s),
                                proxies=urllib.request.getproxies(), allow_redirects=False)
    except requests.exceptions.SSLError as exc:
        outcome.error = PermanentHTTPError(f"TLS verification failed: {str(exc)[:200]}")
        return
    except requests.RequestException as exc:
        outcome.error = TransientHTTPError(f"{type(exc).__name__}: {str(exc)[:200]}")
        return
    with response:
        status = response.status_code
        if status == 429 or status >= 500:
            outcome.error = TransientHTTPError(f"HTTP {status}", status, retry_after(response.headers.get("Retry-After")))
            return
        if status != 200:
            outcome.error = PermanentHTTPError(f"HTTP {status}")
            return
        chunks, size = [], 0
        try:
            while True:
                chunk = response.raw.read1(65536)  # whatever has arrived: a trickle cannot outlast the deadline
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    outcome.error = PermanentHTTPError(f"answer larger than {max_bytes} bytes")
                    return
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    outcome.error = TransientHTTPError(f"Timeout: answer not complete within {timeout_s:g} s")
                    return
        except Exception as exc:  # urllib3's read errors, a socket timeout, a reset
            outcome.error = TransientHTTPError(f"{type(exc).__name__}: {str(exc)[:200]}")
            return
        outcome.body = b"".join(chunks)


def send(prepared: requests.PreparedRequest, timeout_s: float, max_bytes: int | None = None) -> bytes:
    """The body of a 200 answer to `prepared`, all of it within `timeout_s`; raises Transient/PermanentHTTPError."""
    max_bytes = MAX_BODY_BYTES if max_bytes is None else max_bytes
    deadline = time.monotonic() + timeout_s
    outcome = _Outcome()
    session = requests.Session()
    # A thread, so the deadline also holds while connecting, resolving or reading headers slowly.
    worker = threading.Thread(target=_receive, args=(session, prepared, timeout_s, deadline, max_bytes, outcome),
                              name="gtts-request", daemon=True)
    worker.start()
    worker.join(timeout_s + 0.05)
    if worker.is_alive():
        session.close()  # the thread ends at its next read; nothing waits for it
        raise TransientHTTPError(f"Timeout: no complete answer within {timeout_s:g} s")
    session.close()
    if outcome.error is not None:
        raise outcome.error
    assert outcome.body is not None
    return outcome.body


def audio_from_answer(body: bytes) -> bytes:
    """The audio bytes inside a batchexecute answer, parsed the way gTTS parses it; ValueError if none."""
    import base64

    found = False
    audio = bytearray()
    for line in body.splitlines():
        decoded = line.decode("utf-8", "replace")
        if "jQ1olc" in decoded:
            match = AUDIO_LINE.search(decoded)
            if not match:
                raise ValueError("an answer line without audio")
            audio += base64.b64decode(match.group(1).encode("ascii"), validate=False)
            found = True
    if not found:
        raise ValueError("no audio line in the answer")
    return bytes(audio)
