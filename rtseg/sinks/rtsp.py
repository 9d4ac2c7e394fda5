"""Publish the annotated stream as H.264 to an RTSP server (``--rtsp-out``).

The pipeline never waits for the network: :meth:`RtspSink.write` only swaps the newest frame
into a slot. A publisher thread feeds a child process (``rtsp_publisher.py``: raw BGR on stdin
→ PyAV's libx264, zerolatency, a key frame every second → RTSP) at a constant ``fps``,
repeating the newest frame when the pipeline is slower or its source is reconnecting, so the
stream keeps wall-clock time. When the child exits or stops taking frames (server gone,
restarting or frozen), the thread logs one warning, restarts it with capped exponential
backoff, and logs again once the server takes the stream. Publishing runs in a child process so
a stalled connection can always be cut off; the URL reaches it on stdin, so its password is on
no process's command line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import av
import cv2
import numpy as np
import supervision as sv

from rtseg.errors import RtsegError
from rtseg.sinks.rtsp_publisher import ERROR_PREFIX, PUBLISHING
from rtseg.sources import DEFAULT_FPS, Frame
from rtseg.sources.factory import redact_url
from rtseg.sources.reconnect import Outage, ReconnectPolicy, frames_lost

logger = logging.getLogger(__name__)

STALL_S = 5.0  # a frame the publisher has not taken by then means the server stopped reading
STOP_TIMEOUT_S = 2.0  # for the publisher to flush and hang up before it is killed
POLL_S = 0.1  # how often a blocked write re-checks whether the sink is closing
# Run by path with this interpreter: the child starts without importing rtseg. Safe path
# (Python 3.11+) keeps the script's folder off sys.path, so no sibling module shadows another.
PUBLISHER_COMMAND = (sys.executable, str(Path(__file__).with_name("rtsp_publisher.py")))
PUBLISHER_ENV = {"PYTHONSAFEPATH": "1"}


def publisher_header(url: str, size: tuple[int, int], fps: float, transport: str) -> bytes:
    """The line that tells the publishing process where and what to publish."""
    width, height = size
    settings = {"url": url, "width": width, "height": height, "fps": fps, "transport": transport}
    return json.dumps(settings).encode() + b"\n"


class Publisher:
    """One publishing process: takes frames on stdin; its log says when the server accepted
    the stream (``publishing``) and why it failed (``error``)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            PUBLISHER_COMMAND,
            env={**os.environ, **PUBLISHER_ENV},
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C stops rtseg, which then ends the child cleanly
        )
        self._stdin = self.process.stdin.fileno()
        os.set_blocking(self._stdin, False)
        self.publishing = threading.Event()
        self.error: str | None = None
        self._log = threading.Thread(target=self._read_log, name="rtsp-out log", daemon=True)
        self._log.start()

    def _read_log(self) -> None:
        for raw in self.process.stderr:
            line = raw.decode(errors="replace").strip()
            if line == PUBLISHING:
                self.publishing.set()
            elif self.error is None and line.startswith(ERROR_PREFIX):
                self.error = line.removeprefix(ERROR_PREFIX)

    def send(self, data: memoryview, timeout_s: float, cancel: threading.Event) -> bool:
        """Write ``data`` to the child; False when it exited or did not take it all in
        ``timeout_s``. Gives up quietly (True) once ``cancel`` is set."""
        deadline = time.monotonic() + timeout_s
        while data and not cancel.is_set():
            if time.monotonic() > deadline:
                return False
            _, writable, _ = select.select([], [self._stdin], [], POLL_S)
            if not writable:
                continue
            try:
                data = data[os.write(self._stdin, data) :]
            except BlockingIOError:
                continue
            except BrokenPipeError:
                return False
        return True

    def reason(self) -> str:
        """Why publishing stopped, for the log."""
        try:
            self.process.wait(POLL_S)  # a broken pipe comes just before the exit
        except subprocess.TimeoutExpired:
            return f"the server took no data for {STALL_S:g} s"
        self._log.join(STOP_TIMEOUT_S)
        return self.error or f"the publisher exited with status {self.process.returncode}"

    def stop(self, timeout_s: float) -> None:
        """Let the child finish (end of input) and hang up; kill it if it does not in
        ``timeout_s``."""
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.join(STOP_TIMEOUT_S)


class RtspSink:
    """Publishes annotated frames to ``url`` (rtsp:// or rtsps://) as H.264 at ``fps``.

    The video size is set by the first frame (odd sizes lose their last row/column; frames of
    another size are resized). ``connected`` tells whether the server takes the stream now,
    ``outages`` lists past interruptions (frames lost = stream time not published).
    ``transport`` ("tcp" or "udp") carries RTP to the server. RtsegError at construction for
    a URL that is not RTSP or when PyAV's FFmpeg lacks libx264 or RTSP; an unreachable server
    is not an error, it is retried.
    """

    needs_annotation = True

    def __init__(
        self,
        url: str,
        fps: float | None = None,
        *,
        transport: str = "tcp",
        policy: ReconnectPolicy | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("rtsp", "rtsps") or not parts.hostname:
            raise RtsegError(f"RTSP output needs an rtsp://host/path URL, got {redact_url(url)!r}")
        if "libx264" not in av.codecs_available or "rtsp" not in av.formats_available:
            raise RtsegError("RTSP output needs PyAV built with libx264 and RTSP (the PyPI wheels)")
        self.url = url
        self.fps = fps if fps and fps > 0 else DEFAULT_FPS
        self.lost_since: float | None = None
        self._transport = transport
        self._policy = policy or ReconnectPolicy()
        self._outages: list[Outage] = []
        self._publisher: Publisher | None = None
        self._size: tuple[int, int] = (0, 0)
        self._newest: np.ndarray | None = None
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def connected(self) -> bool:
        publisher = self._publisher
        return publisher is not None and publisher.publishing.is_set()

    @property
    def outages(self) -> list[Outage]:
        """Finished outages, oldest first (a copy)."""
        return list(self._outages)

    def write(self, frame: Frame, annotated: np.ndarray | None, detections: sv.Detections) -> None:
        """Make this the frame to publish next; never blocks on the network."""
        if self._closed.is_set():
            return
        image = frame.image if annotated is None else annotated
        with self._lock:
            self._newest = image
        if self._thread is None:
            height, width = image.shape[:2]
            self._size = (width - width % 2, height - height % 2)
            self._thread = threading.Thread(target=self._run, name="rtsp-out", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        """Keep one child publishing until closed, restarting it with backoff when it fails."""
        delays = self._policy.delays()
        header = publisher_header(self.url, self._size, self.fps, self._transport)
        while not self._closed.is_set():
            self._publisher = publisher = Publisher()
            failure = None
            try:
                if self._feed(publisher, header):
                    delays = self._policy.delays()
                if not self._closed.is_set():
                    failure = publisher.reason()
                    self._lost(failure)
            finally:
                self._publisher = None
                publisher.stop(STOP_TIMEOUT_S if failure is None else 0.0)
            if failure is None or self._closed.wait(next(delays)):
                return

    def _feed(self, publisher: Publisher, header: bytes) -> bool:
        """Send ``header``, then the newest frame every 1/fps s until the child fails or the
        sink closes; whether the server took the stream meanwhile."""
        if not publisher.send(memoryview(header), STALL_S, self._closed):
            return False
        published = False
        for payload in self._ticks():
            if not published and publisher.publishing.is_set():
                published = True
                self._back()
            if not publisher.send(payload, STALL_S, self._closed):
                break
        return published

    def _ticks(self) -> Iterator[memoryview]:
        """The frame to send at each tick of a steady ``fps`` clock, until closed."""
        period, due, sent = 1.0 / self.fps, time.monotonic(), None
        while not self._closed.wait(max(0.0, due - time.monotonic())):
            due = max(due + period, time.monotonic() - period)  # no burst after a stall
            with self._lock:
                newest = self._newest
            if sent is None or sent[0] is not newest:
                sent = (newest, memoryview(self._fit(newest)).cast("B"))
            yield sent[1]

    def _fit(self, image: np.ndarray) -> np.ndarray:
        """``image`` at the stream's size, C-contiguous: cropped by at most one row/column
        (even sizes for 4:2:0), else resized."""
        width, height = self._size
        extra_rows, extra_columns = image.shape[0] - height, image.shape[1] - width
        if extra_rows in (0, 1) and extra_columns in (0, 1):
            return np.ascontiguousarray(image[:height, :width])
        return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)

    def _lost(self, reason: str) -> None:
        """Publishing failed: one warning per outage."""
        if self.lost_since is None:
            self.lost_since = time.monotonic()
            logger.warning("rtsp out %s: %s; retrying", redact_url(self.url), reason)

    def _back(self) -> None:
        """The server took the stream: log it, closing the outage if there was one."""
        target = redact_url(self.url)
        if self.lost_since is None:
            logger.info("publishing to %s", target)
            return
        now = time.monotonic()
        outage = Outage(self.lost_since, now, frames_lost(now - self.lost_since, self.fps))
        self._outages.append(outage)
        self.lost_since = None
        logger.warning("rtsp out %s: publishing again after %.1f s", target, outage.seconds)

    def close(self) -> None:
        """Stop publishing: the child flushes and hangs up (killed if it cannot); idempotent."""
        self._closed.set()
        if self._thread is not None:
            self._thread.join(STALL_S + 2 * STOP_TIMEOUT_S)
