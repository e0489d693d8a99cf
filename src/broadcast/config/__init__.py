"""schedule.yaml: the campaign, its stations, slots, rotation rules, voice and audio settings.

Parsed once at the edge into frozen models; every problem is collected and reported at once.
"""

from .load import build_schedule, load_schedule
from .models import (
    AUDIENCES, BITRATES_KBPS, ENGINES, LEVELS, PUBLISH_MODES, REGIONS,
    AudioConfig, Campaign, Level, Rotation, Schedule, Slot, Station, VoiceConfig, is_safe_id,
)

__all__ = [
    "AUDIENCES", "BITRATES_KBPS", "ENGINES", "LEVELS", "PUBLISH_MODES", "REGIONS",
    "AudioConfig", "Campaign", "Level", "Rotation", "Schedule", "Slot", "Station", "VoiceConfig",
    "build_schedule", "is_safe_id", "load_schedule",
]
