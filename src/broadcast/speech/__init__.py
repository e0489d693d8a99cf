"""The speech stage: script text -> speech-ready Vietnamese text for the voice, and pieces a TTS takes whole.

`normalize` reads numbers, dates, times, phone numbers, hotlines, money, document numbers, web addresses,
abbreviations and symbols out as words, keeps one output line per input line and the marks . , ? ! ; :
for prosody, and raises SpeechError naming any character it cannot read. The reading rules are listed
in the packaged lexicon (src/broadcast/data/lexicon.yaml), which editors extend with their own files.
"""

from __future__ import annotations

from .lexicon import Lexicon, default_lexicon, load_lexicon
from .pipeline import UNREADABLE, count_syllables, normalize, normalize_line, normalize_lines
from .split import split_for_voice, split_sentences

__all__ = [
    "UNREADABLE",
    "Lexicon",
    "count_syllables",
    "default_lexicon",
    "load_lexicon",
    "normalize",
    "normalize_line",
    "normalize_lines",
    "split_for_voice",
    "split_sentences",
]
