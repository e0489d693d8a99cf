"""The tts stage: speech-ready text pieces -> voiced audio, online (gTTS) or offline (espeak-ng), cached."""

from broadcast.tts.auto import AutoEngine, forget_probes, gtts_reachable, open_engine
from broadcast.tts.base import REGION_VOICES, Engine, Voiced, VoiceSettings
from broadcast.tts.cache import CacheStats, SynthesisCache, voice_pieces
from broadcast.tts.espeak import EspeakEngine
from broadcast.tts.gtts_engine import GTTSEngine

__all__ = [
    "AutoEngine",
    "CacheStats",
    "Engine",
    "EspeakEngine",
    "GTTSEngine",
    "REGION_VOICES",
    "SynthesisCache",
    "Voiced",
    "VoiceSettings",
    "forget_probes",
    "gtts_reachable",
    "open_engine",
    "voice_pieces",
]
