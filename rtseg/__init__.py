"""rtseg: real-time instance segmentation with stable track IDs."""

from rtseg.engine import Segmenter
from rtseg.errors import RtsegError
from rtseg.pipeline import Pipeline
from rtseg.tracking import Tracker

__all__ = ["Pipeline", "RtsegError", "Segmenter", "Tracker"]
