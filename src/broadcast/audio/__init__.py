"""The audio stage: voiced pieces -> broadcast-ready house MP3s, and programmes joined frame by frame."""

from .ffmpeg import decode_audio, decode_mp3, ffmpeg_exe  # first: quiets pydub's import and points it at ffmpeg
from .chime import chime, chime_sound
from .loudness import Loudness, Measurement, loudness, measure
from .mastering import Mastered, master, master_mp3
from .mp3 import Mp3Info, Tags, export_mp3, join_mp3, mp3_info, read_tags
from .process import build_speech, build_speech_measured, silence, trim_silence
from .settings import AudioSettings

__all__ = [
    "AudioSettings",
    "Loudness",
    "Mastered",
    "Measurement",
    "Mp3Info",
    "Tags",
    "build_speech",
    "build_speech_measured",
    "chime",
    "chime_sound",
    "decode_audio",
    "decode_mp3",
    "export_mp3",
    "ffmpeg_exe",
    "join_mp3",
    "loudness",
    "master",
    "master_mp3",
    "measure",
    "mp3_info",
    "read_tags",
    "silence",
    "trim_silence",
]
