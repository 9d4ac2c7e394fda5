"""A video file played "as live", for tests and demos: frames come at the file's frame rate.

:class:`PacedCapture` hands out frames no faster than the file's fps (on the monotonic clock,
against a fixed schedule, so the average rate is exact); wrapped in a
:class:`~rtseg.sources.live.LiveSource` it drops frames like a camera when the consumer is
slower, through the same newest-frame slot.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from rtseg.errors import RtsegError
from rtseg.sources.live import LiveSource


class PacedCapture:
    """A ``cv2.VideoCapture`` of ``path`` whose :meth:`read` waits for each frame's due time.

    With ``loop`` the file restarts at its end, forever, on the same schedule. ``fps`` paces it
    at another rate than the file's own (benchmarks: a camera faster or slower than the clip).
    """

    def __init__(self, path: Path, *, loop: bool = False, fps: float | None = None) -> None:
        self.path = path
        self.loop = loop
        self._capture = self._open()
        fps = fps or self._capture.get(cv2.CAP_PROP_FPS)
        if fps <= 0:
            self._capture.release()
            raise RtsegError(f"cannot play {path} as live: it has no frame rate")
        self._fps = fps
        self._period = 1.0 / fps
        self._due: float | None = None

    def _open(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            capture.release()
            raise RtsegError(f"cannot read video {self.path}: not a video or unsupported codec")
        return capture

    def get(self, prop: int) -> float:
        """The capture's property; the frame rate is the pace."""
        return self._fps if prop == cv2.CAP_PROP_FPS else self._capture.get(prop)

    def read(self) -> tuple[bool, np.ndarray | None]:
        """The next frame, once it is due; (False, None) at the end (never, with ``loop``)."""
        ok, image = self._capture.read()
        if not ok and self.loop:
            self._capture.release()
            self._capture = self._open()
            ok, image = self._capture.read()
        if not ok:
            return False, None
        now = time.monotonic()
        self._due = now if self._due is None else self._due + self._period
        if self._due > now:
            time.sleep(self._due - now)
        return True, image

    def release(self) -> None:
        self._capture.release()


def open_realtime(path: Path, *, loop: bool = False) -> LiveSource:
    """``path`` played as a live camera (``is_live``; newest frame only, drops counted)."""
    return LiveSource(PacedCapture(path, loop=loop), f"{path} (realtime)")
