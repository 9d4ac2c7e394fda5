"""Frame sources: recorded files, folders and globs, and live webcams and streams."""

from rtseg.sources.factory import open_source
from rtseg.sources.frame import DEFAULT_FPS, Frame, FrameSource, SourceFacts
from rtseg.sources.live import LiveSource, open_capture
from rtseg.sources.reconnect import Outage, ReconnectPolicy
from rtseg.sources.recorded import ImageSequenceSource, VideoFileSource

__all__ = [
    "DEFAULT_FPS",
    "Frame",
    "FrameSource",
    "ImageSequenceSource",
    "LiveSource",
    "Outage",
    "ReconnectPolicy",
    "SourceFacts",
    "VideoFileSource",
    "open_capture",
    "open_source",
]
