"""Outputs fed once per frame: video file, JSON Lines, MOTChallenge text, preview window, RTSP."""

from rtseg.sinks.base import Interactive, Sink
from rtseg.sinks.jsonl import JsonlSink, frame_record
from rtseg.sinks.mot import MotSink
from rtseg.sinks.rtsp import RtspSink
from rtseg.sinks.video import VideoSink
from rtseg.sinks.window import WindowSink

__all__ = [
    "Interactive",
    "JsonlSink",
    "MotSink",
    "RtspSink",
    "Sink",
    "VideoSink",
    "WindowSink",
    "frame_record",
]
