"""Shared, content-addressed segments: speech-ready text -> voice -> mastered MP3, named by a hash of
everything that changes the sound, so the same segment is never voiced or encoded twice."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from .errors import AudioError, BroadcastError, DiskFullError, is_disk_full

if TYPE_CHECKING:
    from .audio import AudioSettings
    from .tts import VoiceSettings

log = logging.getLogger(__name__)

# Bump when the audio pipeline changes in a way that changes the sound of the same inputs.
PIPELINE_VERSION = "2"  # 2: one-pass mastering (limiter and lowpass in the encoding run)
SEGMENTS_DIR = "segments"


@dataclass(frozen=True)
class SegmentSpec:
    """What one segment is made of: paragraphs of speech-ready text, or a chime."""

    kind: str  # "opening" | "body" | "closing" | "chime"
    paragraphs: tuple[str, ...]  # speech-ready text, one entry per paragraph (empty for a chime)
    voice: "VoiceSettings"
    audio: "AudioSettings"
    label: str = ""  # for logs and the manifest: "body khoa-sim/elderly"
    meta: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @functools.cached_property
    def key(self) -> str:
        """sha256 over everything that changes the sound of this segment."""
        return segment_key(self)


def _file_digest(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise AudioError(f"{path}: cannot read the jingle file ({exc.strerror})") from None


_DIGESTS: dict[Path, str] = {}


@functools.lru_cache(maxsize=256)
def _settings_fingerprint(kind: str, voice, audio) -> str:
    """The part of a segment's key that comes from its settings (a build has only a few distinct ones)."""
    voice_fields = asdict(voice)
    for timing in ("timeout_s", "retries", "backoff_s", "requests_per_second", "probe_timeout_s"):
        voice_fields.pop(timing, None)  # how long we wait for gTTS does not change the sound
    audio_fields = asdict(audio)
    chime = audio_fields.pop("chime", None)
    if kind == "chime" and chime is not None:
        path = Path(chime)
        audio_fields["chime"] = _DIGESTS.setdefault(path, _file_digest(path))
    payload = {"v": PIPELINE_VERSION, "kind": kind, "voice": voice_fields if kind != "chime" else None, "audio": audio_fields}
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)


def segment_key(spec: SegmentSpec) -> str:
    kind = "chime" if spec.kind == "chime" else "speech"
    h = hashlib.sha256(_settings_fingerprint(kind, spec.voice, spec.audio).encode())
    for paragraph in spec.paragraphs:
        h.update(b"\x00" + paragraph.encode("utf-8"))
    return h.hexdigest()


@dataclass(frozen=True)
class SegmentResult:
    key: str
    file: str  # relative to the output folder
    duration_s: float
    sha256: str
    bytes: int
    engines: tuple[str, ...]
    tts_calls: int
    encodes: int


def segment_path(out: Path, key: str) -> Path:
    return out / SEGMENTS_DIR / f"{key[:20]}.mp3"


# One engine and cache per process: espeak-ng has global state and is not thread-safe.
_WORKER: dict[str, object] = {}


def _worker_cache(cache_dir: Path | None):
    from .tts import SynthesisCache

    if cache_dir is None:
        return None
    cache = _WORKER.get("cache")
    if cache is None or getattr(cache, "root", None) != cache_dir:
        cache = SynthesisCache(cache_dir)
        _WORKER["cache"] = cache
    return cache


def _worker_engine(voice):
    from .tts import open_engine

    engines = _WORKER.setdefault("engines", {})
    if voice not in engines:  # type: ignore[operator]
        engines[voice] = open_engine(voice)  # type: ignore[index]
    return engines[voice]  # type: ignore[index]


def voice_paragraphs(paragraphs: Sequence[str], voice: "VoiceSettings", settings: "AudioSettings", cache, engine,
                     progress: Callable[[str, int, int], None] | None = None):
    """Voice speech-ready paragraphs through the cache into one unmastered speech segment:
    (audio, its loudness if measured on the way, engines, synthesis calls)."""
    from . import audio
    from .speech import split_for_voice
    from .tts import voice_pieces

    before = engine.calls  # every engine counts the pieces it really synthesised; cache hits do not
    sections, engines = [], set()
    for n, paragraph in enumerate(paragraphs, 1):
        voiced = voice_pieces(split_for_voice(paragraph), voice, cache, engine=engine)
        engines.update(v.engine for v in voiced)
        sections.append([v.audio for v in voiced])
        if progress:
            progress("voicing", n, len(paragraphs))
    sound, loudness = audio.build_speech_measured(sections, settings)
    return sound, loudness, tuple(sorted(engines)), engine.calls - before


def speak_paragraphs(paragraphs: Sequence[str], voice: "VoiceSettings", settings: "AudioSettings", cache, engine,
                     progress: Callable[[str, int, int], None] | None = None):
    """voice_paragraphs(), mastered as PCM (for audio joined before encoding, as `say` does)."""
    from . import audio

    sound, _loudness, engines, calls = voice_paragraphs(paragraphs, voice, settings, cache, engine, progress)
    return audio.master(sound, settings), engines, calls


def produce_segment(spec: SegmentSpec, out: Path, cache_dir: Path | None) -> SegmentResult:
    """Voice (through the synthesis cache), master and encode one segment into out/segments/."""
    from . import audio

    key = spec.key
    path = segment_path(out, key)
    if spec.kind == "chime":
        sound, loudness, engines, calls = audio.chime_sound(spec.audio), None, (), 0
    else:
        engine = _worker_engine(spec.voice)
        sound, loudness, engines, calls = voice_paragraphs(spec.paragraphs, spec.voice, spec.audio,
                                                           _worker_cache(cache_dir), engine)
    tags = audio.Tags(title=spec.label or spec.kind, engine=",".join(engines), comment=f"segment {key[:20]}")
    mastered = audio.master_mp3(sound, path, tags, spec.audio, source=loudness)
    data = path.read_bytes()
    info = audio.mp3_info(path)
    return SegmentResult(key, f"{SEGMENTS_DIR}/{path.name}", info.duration_s, hashlib.sha256(data).hexdigest(),
                         len(data), engines, calls, mastered.passes)


def _produce_safely(spec: SegmentSpec, out: Path, cache_dir: Path | None) -> SegmentResult | str:
    try:
        return produce_segment(spec, out, cache_dir)
    except DiskFullError:
        raise  # not this segment's fault: the whole build stops, with one message
    except BroadcastError as exc:
        return f"{spec.label or spec.kind}: {exc}"
    except OSError as exc:
        if is_disk_full(exc):
            raise DiskFullError(f"{exc.filename or out}: cannot write: {exc.strerror}") from None
        return f"{spec.label or spec.kind}: {exc.strerror or exc} ({exc.filename or ''})"  # permissions...


PARENT_POLL_S = 0.5


def _exit_with_parent(parent: int) -> None:
    """Pool initializer: end this worker as soon as the build that started it is gone (even by kill -9)."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)  # the parent died: nobody will read our results

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def produce_all(specs: Sequence[SegmentSpec], out: Path, cache_dir: Path | None, workers: int = 1,
                progress: Callable[[int, int], None] | None = None) -> tuple[list[SegmentResult], list[str]]:
    """Produce every spec, in worker processes when `workers` > 1; return results and failure messages."""
    results: list[SegmentResult] = []
    failures: list[str] = []
    done = 0

    def collect(outcome: SegmentResult | str) -> None:
        nonlocal done
        done += 1
        (failures if isinstance(outcome, str) else results).append(outcome)  # type: ignore[arg-type]
        if progress:
            progress(done, len(specs))

    if workers <= 1 or len(specs) <= 1:
        for spec in specs:
            collect(_produce_safely(spec, out, cache_dir))
        return results, failures
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_exit_with_parent, initargs=(os.getpid(),))
    try:
        for outcome in pool.map(_produce_safely, specs, [out] * len(specs), [cache_dir] * len(specs), chunksize=1):
            collect(outcome)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # a full disk or Ctrl-C: do not start the rest
        raise
    pool.shutdown(wait=True)
    return results, failures


def default_workers() -> int:
    """Worker processes for voicing: one per core, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))
