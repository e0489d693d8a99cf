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
    """Normalize each section, voice it through the synthesis cache, master it and write one tagged MP3 (on the
    loudness target and under the true-peak limit, as metered on that MP3)."""
    from . import audio
    from .segments import speak_paragraphs
    from .speech import normalize
    from .tts import SynthesisCache, open_engine

    voice = project.voice_settings(engine=engine, region=region)
    settings = project.audio_settings(audience=audience, tempo=tempo)
    paragraphs = [normalize(p, project.lexicon) for text in sections for p in text.split("\n\n") if p.strip()]
    paragraphs = [p for p in paragraphs if p.strip()]
    if not paragraphs:
        from .errors import SpeechError

        raise SpeechError("nothing to say: the text is empty once made speech-ready")
    sound, engines, calls = speak_paragraphs(paragraphs, voice, settings, SynthesisCache(project.cache_dir),
                                             open_engine(voice), progress)
    if chimes:
        ident = audio.chime(settings)
        sound = ident + sound + ident
    campaign = project.campaign
    tags = audio.Tags(title=title, station=project.station(None).name, campaign=campaign.name,
                      engine=",".join(engines), comment="Phát thanh phòng, chống lừa đảo trực tuyến")
    # The speech was levelled as PCM (so the chimes sit at the same loudness); the whole is published as a
    # segment is: limited in the encoding run, its MP3 metered, and encoded again if that is off target.
    audio.master_mp3(sound, output, tags, settings)
    m = audio.measure(output)
    return SpokenFile(output, m.duration_s, m.integrated_lufs, m.true_peak_dbtp, engines, calls)
