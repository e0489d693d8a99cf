"""The default voice: gTTS when it is reachable, espeak-ng otherwise, and espeak-ng for any piece gTTS fails;
a later piece tries gTTS again after a rest, so a long-running process recovers when the network does."""

from __future__ import annotations

import logging
import threading
import time
from typing import Iterator

import gtts.tts

from broadcast.errors import TTSError
from broadcast.tts.base import Engine, Voiced, VoiceSettings
from broadcast.tts.espeak import EspeakEngine
from broadcast.tts.gtts_engine import GTTSEngine

log = logging.getLogger(__name__)

PROBE_TEXT = "xin chào"
GIVE_UP_AFTER = 3  # pieces failed in a row before auto rests gTTS for a while
REST_S = (30.0, 600.0)  # first rest after GIVE_UP_AFTER failures, doubling up to the second figure
PROBE_RETRY_S = 60.0  # a failed probe is tried again after this long

_probes: dict[str, tuple[bool, float]] = {}  # endpoint -> (reachable, when probed)
_probe_lock = threading.Lock()


def _endpoint(settings: VoiceSettings) -> str:
    # Looked up through gtts.tts at call time, the same way gTTS does, so tests can redirect it.
    return gtts.tts._translate_url(tld=settings.gtts_tld, path="_/TranslateWebserverUi/data/batchexecute")


def gtts_reachable(settings: VoiceSettings) -> bool:
    """Whether gTTS answers with audio; probed once per process and endpoint, and again a while after a failure."""
    url = _endpoint(settings)
    with _probe_lock:
        known = _probes.get(url)
        if known is None or (not known[0] and time.monotonic() - known[1] >= PROBE_RETRY_S):
            known = _probes[url] = (_probe(settings, url), time.monotonic())
        return known[0]


def forget_probes() -> None:
    """Drop remembered probe results (tests; a long-running portal after the network changed)."""
    with _probe_lock:
        _probes.clear()


def _probe(settings: VoiceSettings, url: str) -> bool:
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            GTTSEngine(settings).fetch(PROBE_TEXT, retries=0, timeout_s=settings.probe_timeout_s)
            outcome.append(None)
        except Exception as exc:  # any failure means "not reachable"
            outcome.append(exc)

    # A thread, because requests' timeout does not cover a hanging DNS lookup.
    worker = threading.Thread(target=attempt, name="gtts-probe", daemon=True)
    worker.start()
    worker.join(2 * settings.probe_timeout_s + 1.0 / settings.requests_per_second + 0.5)
    if outcome and outcome[0] is None:
        log.debug("gTTS reachable at %s", url)
        return True
    reason = outcome[0] if outcome else f"no answer within {settings.probe_timeout_s} s"
    log.warning("gTTS is not reachable (%s); voicing offline with espeak-ng", reason)
    return False


class AutoEngine:
    """gTTS when reachable (one quick probe), else espeak-ng; a piece gTTS fails is voiced by espeak-ng."""

    name = "auto"

    def __init__(self, settings: VoiceSettings, gtts: Engine | None = None, espeak: Engine | None = None):
        self.settings = settings
        self.gtts = gtts if gtts is not None else GTTSEngine(settings)
        self.espeak = espeak if espeak is not None else EspeakEngine(settings)
        self.voice = f"{self.gtts.voice}|{self.espeak.voice}"
        self._failed_in_row = 0
        self._rest_s = REST_S[0]
        self._resting_until = float("-inf")  # time.monotonic() before which gTTS is not asked
        self.calls = 0  # pieces asked for, whichever engine voiced them

    @property
    def version(self) -> str:
        """Both engines' versions."""
        return f"{self.gtts.version}|{self.espeak.version}"

    def online(self) -> bool:
        """Whether gTTS is to be asked for the next piece: reachable, and not resting after failures."""
        return time.monotonic() >= self._resting_until and gtts_reachable(self.settings)

    def choices(self) -> Iterator[Engine]:
        """Engines whose cached voice may stand in, best first: espeak-ng only when gTTS is out of reach."""
        yield self.gtts
        if not self.online():
            yield self.espeak

    def member(self, name: str) -> Engine:
        """The inner engine called `name`."""
        for engine in (self.gtts, self.espeak):
            if engine.name == name:
                return engine
        raise KeyError(name)

    def synthesize(self, text: str) -> Voiced:
        """Voice one piece with gTTS if possible, else with espeak-ng; the result says which."""
        self.calls += 1
        if self.online():
            try:
                voiced = self.gtts.synthesize(text)
            except TTSError as exc:
                self._failed_in_row += 1
                log.warning("gTTS failed for %r (%s); this piece is voiced by espeak-ng", text[:60], exc)
                if self._failed_in_row >= GIVE_UP_AFTER:
                    # Rest gTTS, then let the next piece try it again; each rest in a row is twice as long.
                    self._resting_until = time.monotonic() + self._rest_s
                    log.warning("gTTS failed %d pieces in a row; espeak-ng voices pieces for the next %.0f s",
                                self._failed_in_row, self._rest_s)
                    self._rest_s = min(REST_S[1], self._rest_s * 2)
            else:
                self._failed_in_row = 0
                self._rest_s = REST_S[0]
                return voiced
        return self.espeak.synthesize(text)


def open_engine(settings: VoiceSettings) -> Engine:
    """The engine `settings.engine` names: "gtts", "espeak" or "auto"."""
    if settings.engine == "gtts":
        return GTTSEngine(settings)
    if settings.engine == "espeak":
        return EspeakEngine(settings)
    return AutoEngine(settings)
