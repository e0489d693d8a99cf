"""One-off voicing for `broadcast say` and `broadcast synth`: text -> speech-ready -> voice -> MP3."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpokenFile:
    path: Path
    duration_s: float
    integrated_lufs: float
    true_peak_dbtp: float
    engines: tuple[str, ...]
    tts_calls: int


def speak_to_mp3(project, sections: Sequence[str], output: Path, *, engine: str | None = None, region: str | None = None,
                 tempo: float | None = None, title: str = "", audience: str = "general", chimes: bool = True,
                 progress: Callable[[str, int, int], None] | None = None) -> SpokenFile:
    """Normalize each section, voice it through the synthesis cache, master it and write one tagged MP3."""
    from . import audio
    from .speech import normalize, split_for_voice
    from .tts import SynthesisCache, open_engine, voice_pieces

    voice = project.voice_settings(engine=engine, region=region)
    settings = project.audio_settings(audience=audience, tempo=tempo)
    paragraphs = [p for text in sections for p in text.split("\n\n") if p.strip()]
    pieces = [split_for_voice(normalize(p, project.lexicon)) for p in paragraphs]
    cache = SynthesisCache(project.cache_dir)
    eng = open_engine(voice)
    before = cache.stats().engine_calls if hasattr(cache, "stats") else 0
    voiced_sections, engines = [], set()
    for n, group in enumerate(pieces, 1):
        voiced = voice_pieces(group, voice, cache, engine=eng)
        engines.update(v.engine for v in voiced)
        voiced_sections.append([v.audio for v in voiced])
        if progress:
            progress("voicing", n, len(pieces))
    calls = (cache.stats().engine_calls if hasattr(cache, "stats") else 0) - before
    sound = audio.master(audio.build_speech(voiced_sections, settings), settings)
    if chimes:
        ident = audio.chime(settings)
        sound = ident + sound + ident
    campaign = project.campaign
    tags = audio.Tags(title=title, station=project.station(None).name, campaign=campaign.name,
                      engine=",".join(sorted(engines)), comment="Phát thanh phòng, chống lừa đảo trực tuyến")
    audio.export_mp3(sound, output, tags, settings)
    m = audio.measure(output)
    return SpokenFile(output, m.duration_s, m.integrated_lufs, m.true_peak_dbtp, tuple(sorted(engines)), calls)
