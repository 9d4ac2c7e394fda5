"""The newest annotated frame, shared by every viewer: slow viewers skip frames, never queue."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import cv2
import numpy as np


class FrameHub:
    """Holds only the newest image and its sequence number (1, 2, ...).

    :meth:`publish` just swaps a reference, so the pipeline never waits for viewers or encodes
    when nobody watches. Viewers call :meth:`next_jpeg`; each new frame is JPEG-encoded once,
    by the first viewer thread that needs it, and shared with the others. A viewer that falls
    behind gets the newest frame next; the frames it missed are gone, not queued.
    """

    def __init__(self, jpeg_quality: int = 80) -> None:
        self.jpeg_quality = jpeg_quality
        self._changed = threading.Condition()  # guards the fields below; never held to encode
        self._image: np.ndarray | None = None
        self._seq = 0
        self._closed = False
        self._viewers = 0
        self._encode_lock = threading.Lock()  # guards the JPEG cache
        self._jpeg_seq = 0
        self._jpeg = b""

    @property
    def seq(self) -> int:
        return self._seq

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def viewers(self) -> int:
        return self._viewers

    def publish(self, image: np.ndarray) -> None:
        """Make ``image`` the newest frame (kept by reference: do not modify it afterwards)."""
        with self._changed:
            self._image = image
            self._seq += 1
            self._changed.notify_all()

    def close(self) -> None:
        """Wake every waiting viewer; :meth:`next_jpeg` returns None from now on."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    @contextlib.contextmanager
    def viewer(self) -> Iterator[None]:
        """Count a connected stream viewer for the duration of the block."""
        with self._changed:
            self._viewers += 1
        try:
            yield
        finally:
            with self._changed:
                self._viewers -= 1

    def next_jpeg(self, after: int, timeout: float | None = None) -> tuple[int, bytes] | None:
        """(seq, JPEG bytes) of the newest frame, waiting up to ``timeout`` seconds for one newer
        than sequence ``after``; after a timeout that is the same frame again (a repeat keeps
        idle connections checked). None when closed or before the first frame."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or self._seq > after, timeout)
            if self._closed or self._image is None:
                return None
            seq, image = self._seq, self._image
        with self._encode_lock:
            if self._jpeg_seq < seq:
                self._jpeg = encode_jpeg(image, self.jpeg_quality)
                self._jpeg_seq = seq
            return self._jpeg_seq, self._jpeg


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    """JPEG bytes of a BGR image."""
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"cannot encode a {image.shape} {image.dtype} image as JPEG")
    return buffer.tobytes()
