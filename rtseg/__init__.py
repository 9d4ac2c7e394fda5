"""rtseg: real-time instance segmentation with stable track IDs."""

from rtseg.app.api import Result, segment, track
from rtseg.engine import Segmenter
from rtseg.errors import RtsegError
from rtseg.pipeline import Pipeline
from rtseg.tracking import Tracker

__all__ = ["Pipeline", "Result", "RtsegError", "Segmenter", "Tracker", "segment", "track"]
