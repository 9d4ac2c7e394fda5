"""Live sources (webcam, RTSP, HTTP, a file played as live): a thread keeping the newest frame.

A slow consumer must see the present, not a growing backlog: each captured frame replaces the
one waiting, and every replaced frame counts in ``dropped``. ``Frame.index`` counts captured
frames (so gaps show drops) and ``time_ms`` is milliseconds since the first captured frame,
measured on the monotonic clock (webcam and stream timestamps are not comparable).

A source given ``reopen`` survives the network: when a read fails (the stream ended, or sent
nothing for the read timeout) it logs one warning, reopens with capped exponential backoff and,
once frames flow again, logs the outage, records it in ``outages`` and advances
``Frame.index`` by the frames lost, so consumers see the gap (the tracker is told about it).

A stream that announces a length (a file served over RTSP or HTTP, an NVR's playback: the
capture reports a frame count) ends only when it has delivered (nearly) all of it, counted from
the start of the current connection (see :func:`stream_finished`); a read failing sooner is an
outage like any other. Servers play such a stream from its beginning again after a reconnect, so
its frames come again; ``Frame.index`` keeps counting on (it never goes back), so after an
outage the index is rtseg's count, not the position in the file. Should it stop short twice at
the same point, that point is its end (a file shorter than it claims is not replayed forever).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

import cv2
import numpy as np

from rtseg.errors import RtsegError
from rtseg.handover import Handover
from rtseg.sources.frame import Frame, FrameSource
from rtseg.sources.reconnect import (
    Outage,
    ReconnectPolicy,
    end_slack,
    frames_lost,
    retry,
    stream_finished,
)

logger = logging.getLogger(__name__)

OPEN_TIMEOUT_S = 10.0
# OpenCV's FFmpeg backend gives up on a silent stream after about three read timeouts, so a
# stalled stream is noticed ~6 s after its last frame.
READ_TIMEOUT_S = 2.0
CLOSE_TIMEOUT_S = OPEN_TIMEOUT_S + 1.0  # the capture thread may be inside an open
TRANSPORTS = ("tcp", "udp")
CAPTURE_OPTIONS = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
# OpenCV reads FFmpeg options from this process-wide environment variable when a capture
# opens, so URL opens hold this lock while it is set (the one piece of shared mutable state).
_CAPTURE_OPTIONS_LOCK = threading.Lock()


class Capture(Protocol):
    """What a LiveSource reads: ``cv2.VideoCapture`` or anything shaped like it."""

    def read(self) -> tuple[bool, np.ndarray | None]: ...

    def get(self, prop: int) -> float: ...

    def release(self) -> None: ...


@contextmanager
def rtsp_transport(transport: str | None) -> Iterator[None]:
    """FFmpeg's RTSP transport for the captures opened inside: "tcp", "udp", or None for
    OpenCV's default (TCP preferred); any options the user set in the variable are kept."""
    with _CAPTURE_OPTIONS_LOCK:
        if transport is None:
            yield
            return
        saved = os.environ.get(CAPTURE_OPTIONS)
        os.environ[CAPTURE_OPTIONS] = "|".join(filter(None, (saved, f"rtsp_transport;{transport}")))
        try:
            yield
        finally:
            if saved is None:
                del os.environ[CAPTURE_OPTIONS]
            else:
                os.environ[CAPTURE_OPTIONS] = saved


def open_capture(target: int | str, name: str, transport: str | None = None) -> cv2.VideoCapture:
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
        with rtsp_transport(transport):
            capture = cv2.VideoCapture(target, cv2.CAP_FFMPEG, params)
        reason = f"unreachable, refused or not a video stream (waited up to {OPEN_TIMEOUT_S:g} s)"
        if transport is not None:
            reason += f"; transport {transport}"
    if not capture.isOpened():
        capture.release()
        raise RtsegError(f"cannot open {name}: {reason}")
    return capture


def announced_length(capture: Capture) -> int | None:
    """The frame count ``capture`` announces (a finite file), None for a live stream."""
    count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    return int(count) if count > 0 else None


class LiveSource(FrameSource):
    """Reads ``capture`` in a daemon thread; :meth:`read` returns the newest unseen frame.

    With ``reopen`` (a callable opening the stream again, raising RtsegError on failure) a
    failed read starts an outage instead of ending the input; ``policy`` paces the retries.
    ``connected`` is False during an outage, ``lost_since`` then holds ``time.monotonic()`` of
    the last frame before it, and ``outages`` lists the finished ones. ``announced_frames`` is
    the frame count the stream announced (None for a live one).
    """

    is_live = True

    def __init__(
        self,
        capture: Capture,
        name: str,
        *,
        reopen: Callable[[], Capture] | None = None,
        policy: ReconnectPolicy | None = None,
    ) -> None:
        self.name = name
        fps = capture.get(cv2.CAP_PROP_FPS)
        size = (
            int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
        self.fps = fps if fps > 0 else None
        self.size = size if min(size) > 0 else None
        self._outages: list[Outage] = []
        self._capture = capture
        self.announced_frames = announced_length(capture)
        self._delivered = 0  # frames read from the current connection
        self._stopped_short_at: int | None = None  # the last connection of a finite stream
        self._reopen = reopen
        self._policy = policy or ReconnectPolicy()
        self._index = 0
        self._started: float | None = None
        self._last_at: float | None = None
        self._closed = threading.Event()
        self._frames: Handover[Frame] = Handover(stop=self._closed)  # the newest frame only
        self._thread = threading.Thread(target=self._run, name=f"capture {name}", daemon=True)
        self._thread.start()

    @property
    def dropped(self) -> int:
        """Frames replaced by a newer one before anybody read them."""
        return self._frames.dropped

    @property
    def outages(self) -> list[Outage]:
        """Finished outages, oldest first (a copy)."""
        return list(self._outages)

    def _run(self) -> None:
        try:
            while not self._closed.is_set():
                ok, image = self._capture.read()
                if ok:
                    self._delivered += 1
                    self._publish(image)
                elif self._finished() or not self._recover():
                    break
        finally:
            self._capture.release()
            self._frames.close()
        if not self._closed.is_set():
            logger.info("%s ended after %d frames", self.name, self._index)

    def _publish(self, image: np.ndarray) -> None:
        """Make ``image`` the newest frame, first closing the outage it ends, if any."""
        now = time.monotonic()
        if self._started is None:
            self._started = now
        if self.lost_since is not None:
            self._resume(now)
        frame = Frame(self._index, image, (now - self._started) * 1000.0, now)
        self._frames.offer(frame)
        self._index += 1
        self._last_at = now

    def _resume(self, now: float) -> None:
        """Frames flow again: record and log the outage, and skip the index past its frames."""
        outage = self._end_outage(now)
        self._index += outage.frames_lost
        self.lost_since = None
        logger.warning(
            "%s back after %.1f s, ~%d frames lost", self.name, outage.seconds, outage.frames_lost
        )

    def _finished(self) -> bool:
        """After a failed read: whether the stream has really ended (it announced a length and
        delivered nearly all of it, or stopped short at the same point twice running)."""
        if self.announced_frames is None:
            return False
        if stream_finished(self._delivered, self.announced_frames, self.fps):
            return True
        if self._delivered == 0:
            return False  # a reconnect that brought nothing: the outage goes on
        previous, self._stopped_short_at = self._stopped_short_at, self._delivered
        again = previous is not None and abs(self._delivered - previous) <= end_slack(
            self.announced_frames, self.fps
        )
        if again:
            logger.warning(
                "%s stopped again after %d of its %d announced frames; taking that as its end",
                self.name,
                self._delivered,
                self.announced_frames,
            )
        return again

    def _recover(self) -> bool:
        """After a failed read: reopen with backoff. False when the input is over (no
        ``reopen``, closed, or the policy gave up)."""
        if self._reopen is None or self._closed.is_set():
            return False
        self._capture.release()
        if self.lost_since is None:
            self.lost_since = self._last_at or time.monotonic()
            logger.warning("%s lost; reconnecting", self.name)
        capture = retry(self._reopen, self._policy, self._closed, self.name)
        if capture is None:
            if not self._closed.is_set():
                outage = self._end_outage(time.monotonic())
                logger.error("%s: gave up reconnecting after %.1f s", self.name, outage.seconds)
            return False
        self._capture = capture
        self.announced_frames = announced_length(capture)
        self._delivered = 0
        return True

    def _end_outage(self, now: float) -> Outage:
        """Record the outage ending at ``now`` (recovered or given up). Frames lost are estimated
        at the stream's fps, or at the rate seen so far when it announced none."""
        elapsed = (self._last_at or now) - (self._started or now)
        rate = self.fps or (self._index / elapsed if elapsed > 0 else 0.0)
        outage = Outage(self.lost_since, now, frames_lost(now - self.lost_since, rate))
        self._outages.append(outage)
        return outage

    def read(self) -> Frame | None:
        """Block until a frame newer than the last one read arrives; None at end or once closed."""
        return self._frames.get()

    def close(self) -> None:
        """Stop capturing: wake any pending :meth:`read` and backoff wait, then wait (bounded)
        for the thread to release the capture."""
        self._closed.set()
        self._frames.close()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=CLOSE_TIMEOUT_S)
