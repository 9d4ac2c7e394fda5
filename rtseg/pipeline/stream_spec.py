"""One stream's input, described once for the run plan and the Ray worker, and opened one way."""

from __future__ import annotations

from dataclasses import dataclass

from rtseg.sources import FrameSource, open_source
from rtseg.sources.resume import ResumedSource


@dataclass(frozen=True)
class StreamSpec:
    """A named stream: its source (path, glob, webcam index or URL), how to read it (see
    :func:`~rtseg.sources.open_source`) and the detections it keeps (``conf``/``classes``;
    None: the model's own)."""

    name: str
    source: str | int
    vid_stride: int = 1
    loop: bool = False
    realtime: bool = False
    transport: str | None = None
    conf: float | None = None
    classes: tuple[int, ...] | None = None

    def open(self, start: int = 0) -> FrameSource:
        """The open source, a recorded one from frame ``start`` on (a restarted Ray worker
        resuming); RtsegError (one line) when it cannot be used."""
        source = open_source(
            self.source,
            vid_stride=self.vid_stride,
            loop=self.loop,
            realtime=self.realtime,
            transport=self.transport,
        )
        return source if source.is_live or start == 0 else ResumedSource(source, start)
