"""The house audio settings: one frozen model shared by every audio step."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

TEMPO_RANGE = (0.7, 1.3)
BITRATES_KBPS = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)  # MPEG-1 Layer III


@dataclass(frozen=True)
class AudioSettings:
    """How segments are cut, paced, mastered and encoded (MP3 mono CBR: the one house format)."""

    sample_rate: int = 44100
    bitrate_kbps: int = 64
    loudness_lufs: float = -16.0
    true_peak_dbtp: float = -1.5
    tempo: float = 1.0
    sentence_pause_ms: int = 400
    section_pause_ms: int = 900
    edge_pause_ms: int = 250
    trim_threshold_dbfs: float = -50.0
    chime: Path | None = None

    def __post_init__(self) -> None:
        if self.chime is not None and not isinstance(self.chime, Path):
            object.__setattr__(self, "chime", Path(self.chime))  # a path from YAML arrives as str
        problems = []
        if self.sample_rate not in (32000, 44100, 48000):
            problems.append(f"sample_rate {self.sample_rate} is not an MPEG-1 rate (32000, 44100, 48000)")
        if self.bitrate_kbps not in BITRATES_KBPS:
            problems.append(f"bitrate_kbps {self.bitrate_kbps} is not an MP3 bitrate {BITRATES_KBPS}")
        if not TEMPO_RANGE[0] <= self.tempo <= TEMPO_RANGE[1]:
            problems.append(f"tempo {self.tempo} is outside {TEMPO_RANGE[0]}..{TEMPO_RANGE[1]}")
        if not -40.0 <= self.loudness_lufs <= -6.0:
            problems.append(f"loudness_lufs {self.loudness_lufs} is outside -40..-6")
        if not -9.0 <= self.true_peak_dbtp <= 0.0:
            problems.append(f"true_peak_dbtp {self.true_peak_dbtp} is outside -9..0")
        # Edges must hold the MP3 encoder delay (25 ms) so it can be taken out of them at export.
        for name, low in (("sentence_pause_ms", 0), ("section_pause_ms", 0), ("edge_pause_ms", 50)):
            if not low <= getattr(self, name) <= 10_000:
                problems.append(f"{name} {getattr(self, name)} is outside {low}..10000")
        if not -90.0 <= self.trim_threshold_dbfs <= -30.0:
            problems.append(f"trim_threshold_dbfs {self.trim_threshold_dbfs} is outside -90..-30")
        if problems:
            raise ConfigError("audio settings: " + "; ".join(problems))
