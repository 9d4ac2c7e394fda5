"""A video file played "as live", for tests and demos: frames come at the file's frame rate.

:class:`PacedCapture` reads the file with the recorded-file reader (damaged stretches skipped
and counted, as without ``--realtime``) and hands out each frame no earlier than its due time,
``frame number / fps`` after the first one on the monotonic clock (a fixed schedule, so the
average rate is exact and a skipped stretch takes the time it would have played). Wrapped in a
:class:`RealtimeSource` it drops frames like a camera when the consumer is slower, through
:class:`~rtseg.sources.live.LiveSource`'s newest-frame slot.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from rtseg.errors import RtsegError
from rtseg.sources.live import LiveSource
from rtseg.sources.recorded import VideoFileSource


class PacedCapture:
    """The frames of the video file ``path``, shaped like a ``cv2.VideoCapture``, each handed
    out by :meth:`read` once it is due.

    With ``loop`` the file restarts at its end, forever, on the same schedule. ``fps`` paces it
    at another rate than the file's own (benchmarks: a camera faster or slower than the clip).
    """

    def __init__(self, path: Path, *, loop: bool = False, fps: float | None = None) -> None:
        self.path = path
        self._frames = VideoFileSource(path, loop=loop)
        fps = fps or self._frames.fps
        if not fps:
            self._frames.close()
            raise RtsegError(f"cannot play {path} as live: it has no frame rate")
        self._fps = fps
        self._started: float | None = None

    @property
    def undecodable(self) -> int:
        """Frames of the file skipped as undecodable so far."""
        return self._frames.undecodable

    def get(self, prop: int) -> float:
        """The frame rate (the pace) and the frame size; 0 for other properties."""
        width, height = self._frames.size or (0, 0)
        known = {
            cv2.CAP_PROP_FPS: self._fps,
            cv2.CAP_PROP_FRAME_WIDTH: width,
            cv2.CAP_PROP_FRAME_HEIGHT: height,
        }
        return float(known.get(prop, 0.0))

    def read(self) -> tuple[bool, np.ndarray | None]:
        """The next frame, once it is due; (False, None) at the end (never, with ``loop``)."""
        frame = self._frames.read()
        if frame is None:
            return False, None
        now = time.monotonic()
        if self._started is None:
            self._started = now - frame.index / self._fps
        due = self._started + frame.index / self._fps
        if due > now:
            time.sleep(due - now)
        return True, frame.image

    def release(self) -> None:
        self._frames.close()


class RealtimeSource(LiveSource):
    """A :class:`PacedCapture` as a live source that also reports the file's skipped frames."""

    def __init__(self, capture: PacedCapture, name: str) -> None:
        super().__init__(capture, name)
        self._paced = capture

    @property
    def undecodable(self) -> int:
        return self._paced.undecodable


def open_realtime(path: Path, *, loop: bool = False) -> LiveSource:
    """``path`` played as a live camera (``is_live``; newest frame only, drops counted)."""
    return RealtimeSource(PacedCapture(path, loop=loop), f"{path} (realtime)")
