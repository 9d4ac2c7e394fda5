"""One stream's input, described once for the run plan and the Ray worker, and opened one way."""

from __future__ import annotations

from dataclasses import dataclass

from rtseg.sources import DEFAULT_FPS, FrameSource, open_source
from rtseg.sources.resume import ResumedSource
from rtseg.tracking import Tracker, detection_floor


@dataclass(frozen=True)
class StreamSpec:
    """A named stream: its source (path, glob, webcam index or URL), how to read it (see
    :func:`~rtseg.sources.open_source`) and its own ``conf`` (``--conf``) and ``classes``
    (None: the run's)."""

    name: str
    source: str | int
    vid_stride: int = 1
    loop: bool = False
    realtime: bool = False
    transport: str | None = None
    conf: float | None = None
    classes: tuple[int, ...] | None = None

    def conf_or(self, run_conf: float) -> float:
        """This stream's confidence threshold: its own, else the run's ``run_conf``."""
        return run_conf if self.conf is None else self.conf

    def kept_conf(self, run_conf: float, track: bool) -> float:
        """The weakest detection this stream keeps: at its confidence threshold, or when
        tracking down to its tracker's low threshold (weaker ones only carry tracks on)."""
        conf = self.conf_or(run_conf)
        return detection_floor(conf) if track else conf

    def tracker(self, run_conf: float, fps: float | None) -> Tracker:
        """A tracker for this stream (at ``fps``, None: unknown) at its confidence threshold."""
        return Tracker.for_conf(self.conf_or(run_conf), fps or DEFAULT_FPS)

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
