"""rtseg: real-time instance segmentation with stable track IDs."""

from rtseg.engine import Segmenter
from rtseg.errors import RtsegError
from rtseg.tracking import Tracker

__all__ = ["RtsegError", "Segmenter", "Tracker"]
