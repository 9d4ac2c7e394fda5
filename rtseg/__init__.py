"""rtseg: real-time instance segmentation with stable track IDs."""

from rtseg.engine import Segmenter
from rtseg.errors import RtsegError

__all__ = ["RtsegError", "Segmenter"]
