"""The audio stage: voiced pieces -> broadcast-ready house MP3s, and programmes joined frame by frame."""

from .ffmpeg import decode_audio, decode_mp3, ffmpeg_exe  # first: quiets pydub's import and points it at ffmpeg
from .chime import chime
from .loudness import Measurement, master, measure
from .mp3 import Mp3Info, Tags, export_mp3, join_mp3, mp3_info, read_tags
from .process import build_speech, silence, trim_silence
from .settings import AudioSettings

__all__ = [
    "AudioSettings",
    "Measurement",
    "Mp3Info",
    "Tags",
    "build_speech",
    "chime",
    "decode_audio",
    "decode_mp3",
    "export_mp3",
    "ffmpeg_exe",
    "join_mp3",
    "master",
    "measure",
    "mp3_info",
    "read_tags",
    "silence",
    "trim_silence",
]
