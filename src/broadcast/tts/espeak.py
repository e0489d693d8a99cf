"""Offline voice: a small ctypes binding to libespeak-ng from the espeakng-loader wheel (no system package)."""

from __future__ import annotations

import ctypes
import logging
import threading
import unicodedata

from broadcast.errors import TTSError
from broadcast.tts.base import Voiced, VoiceSettings, pcm_segment

log = logging.getLogger(__name__)

# Values from espeak-ng's speak_lib.h (API revision 12).
AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000
POS_CHARACTER = 1
CHARS_UTF8 = 1
PARAM_RATE = 1
PARAM_VOLUME = 2
EE_OK = 0

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Library:
    """libespeak-ng, loaded and initialised once per process; the C library keeps global state."""

    def __init__(self) -> None:
        try:
            import espeakng_loader

            lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data_path = espeakng_loader.get_data_path()
        except (ImportError, OSError, RuntimeError) as exc:
            raise TTSError(f"espeak-ng is not available (espeakng-loader wheel): {exc}") from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        lib.espeak_Info.restype = ctypes.c_char_p
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        lib.espeak_Synchronize.argtypes = []
        self._lib = lib
        self._chunks: list[bytes] = []
        # Keep a reference: ctypes frees the C thunk when the Python object goes away.
        self._callback = _CALLBACK(self._collect)
        self.sample_rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), INITIALIZE_DONT_EXIT)
        if self.sample_rate <= 0:
            raise TTSError(f"espeak-ng failed to initialise with data at {data_path}")
        lib.espeak_SetSynthCallback(self._callback)
        self.version = (lib.espeak_Info(None) or b"?").decode("ascii", "replace")
        log.debug("espeak-ng %s ready at %d Hz (data %s)", self.version, self.sample_rate, data_path)

    def _collect(self, wav, count: int, _events) -> int:
        if wav and count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0  # 0 = keep synthesising

    def synthesize(self, text: str, voice: str, rate: int, volume: int) -> bytes:
        """16-bit mono PCM at `sample_rate` for `text`; the caller holds the lock."""
        if self._lib.espeak_SetVoiceByName(voice.encode("ascii")) != EE_OK:
            raise TTSError(f"espeak-ng has no voice {voice!r}")
        self._lib.espeak_SetParameter(PARAM_RATE, rate, 0)
        self._lib.espeak_SetParameter(PARAM_VOLUME, volume, 0)
        data = text.encode("utf-8")
        self._chunks = []
        status = self._lib.espeak_Synth(data, len(data) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
        self._lib.espeak_Synchronize()
        if status != EE_OK:
            raise TTSError(f"espeak-ng refused the text (status {status}): {text!r}")
        pcm, self._chunks = b"".join(self._chunks), []
        return pcm


_lock = threading.Lock()
_library: _Library | None = None


def _loaded() -> _Library:
    """The process's one libespeak-ng, initialised on first use; call with `_lock` held."""
    global _library
    if _library is None:
        _library = _Library()
    return _library


class EspeakEngine:
    """espeak-ng speaking Vietnamese in the region's voice; safe to share between threads (one lock)."""

    name = "espeak"

    def __init__(self, settings: VoiceSettings) -> None:
        self.voice_name = settings.espeak_voice
        self.rate = settings.rate
        self.volume = settings.volume
        self.voice = f"{self.voice_name};rate={self.rate};volume={self.volume}"
        self.calls = 0

    @property
    def version(self) -> str:
        """'espeak-ng <library version>'; loads the library if needed."""
        with _lock:
            return f"espeak-ng {_loaded().version}"

    def synthesize(self, text: str) -> Voiced:
        """Voice one piece of text offline."""
        text = unicodedata.normalize("NFC", text).strip()
        if not text:
            raise TTSError("espeak-ng was given an empty piece of text")
        with _lock:
            library = _loaded()
            self.calls += 1
            pcm = library.synthesize(text, self.voice_name, self.rate, self.volume)
            sample_rate = library.sample_rate
        if not pcm:
            raise TTSError(f"espeak-ng produced no audio for {text!r}")
        audio = pcm_segment(pcm, sample_rate)
        if audio.max >= 32767:
            log.warning("espeak-ng output clipped at volume %d for %r", self.volume, text[:40])
        return Voiced(text=text, engine=self.name, audio=audio)
