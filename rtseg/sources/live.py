"""Live sources (webcam, RTSP, HTTP): a capture thread that keeps only the newest frame.

A slow consumer must see the present, not a growing backlog: each captured frame replaces the
one waiting, and every replaced frame counts in ``dropped``. ``Frame.index`` counts captured
frames (so gaps show drops) and ``time_ms`` is milliseconds since the first captured frame,
measured on the monotonic clock (webcam and stream timestamps are not comparable).
"""

from __future__ import annotations

import logging
import threading
import time

import cv2

from rtseg.errors import RtsegError
from rtseg.sources.frame import Frame, FrameSource

logger = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 10.0


def open_capture(target: int | str, name: str) -> cv2.VideoCapture:
    """Open a webcam index or stream URL, bounded by timeouts; RtsegError naming it if it fails.

    URLs go through FFmpeg with open/read timeouts so a dead host cannot hang the open.
    """
    if isinstance(target, int):
        capture = cv2.VideoCapture(target)
        reason = "no camera at that index, or it is in use"
    else:
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            int(OPEN_TIMEOUT_S * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            int(READ_TIMEOUT_S * 1000),
        ]
        capture = cv2.VideoCapture(target, cv2.CAP_FFMPEG, params)
        reason = f"unreachable, refused or not a video stream (waited up to {OPEN_TIMEOUT_S:g} s)"
    if not capture.isOpened():
        capture.release()
        raise RtsegError(f"cannot open {name}: {reason}")
    return capture


class LiveSource(FrameSource):
    """Reads ``capture`` in a daemon thread; :meth:`read` returns the newest unseen frame."""

    is_live = True

    def __init__(self, capture: cv2.VideoCapture, name: str) -> None:
        self.name = name
        fps = capture.get(cv2.CAP_PROP_FPS)
        size = (
            int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
        self.fps = fps if fps > 0 else None
        self.size = size if min(size) > 0 else None
        self.dropped = 0
        self._capture = capture
        self._newest: Frame | None = None
        self._ended = False
        self._closed = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"capture {name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        index, started = 0, None
        try:
            while not self._closed:
                ok, image = self._capture.read()
                if not ok:
                    break
                now = time.monotonic()
                started = now if started is None else started
                frame = Frame(index, image, (now - started) * 1000.0, now)
                with self._changed:
                    if self._newest is not None:
                        self.dropped += 1
                    self._newest = frame
                    self._changed.notify_all()
                index += 1
        finally:
            self._capture.release()
            with self._changed:
                self._ended = True
                self._changed.notify_all()
        if not self._closed:
            logger.info("%s ended after %d frames", self.name, index)

    def read(self) -> Frame | None:
        """Block until a frame newer than the last one read arrives; None at end or once closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._newest is not None or self._ended or self._closed)
            if self._closed:
                return None
            frame, self._newest = self._newest, None
            return frame

    def close(self) -> None:
        """Stop capturing: wake any pending :meth:`read`, then wait for the thread to release."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=READ_TIMEOUT_S + 1.0)
