"""Multi-object tracking: stable instance ids across frames, and MOTChallenge output."""

from rtseg.tracking.mot import MotWriter, mot_lines
from rtseg.tracking.tracker import (
    DETECTION_INDEX,
    LOW_THRESH,
    NEW_TRACK_THRESH,
    Tracker,
    detection_floor,
)

__all__ = [
    "DETECTION_INDEX",
    "LOW_THRESH",
    "NEW_TRACK_THRESH",
    "MotWriter",
    "Tracker",
    "detection_floor",
    "mot_lines",
]
