"""Multi-object tracking: stable instance ids across frames, and MOTChallenge output."""

from rtseg.tracking.mot import MotWriter, mot_lines
from rtseg.tracking.tracker import DETECTION_INDEX, Tracker

__all__ = ["DETECTION_INDEX", "MotWriter", "Tracker", "mot_lines"]
