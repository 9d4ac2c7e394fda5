"""Frames, detections and raw HTTP requests for the live-view tests."""

from __future__ import annotations

import http.client
import time
from urllib.parse import urlsplit

import numpy as np
import supervision as sv

from rtseg.sources import Frame


def detections(names: list[str], track_ids: list[int] | None = None) -> sv.Detections:
    """Detections with the given class names (and track IDs when given); boxes are dummies."""
    count = len(names)
    return sv.Detections(
        xyxy=np.tile(np.array([[10, 10, 40, 30]], dtype=np.float32), (count, 1)),
        confidence=np.full(count, 0.9, dtype=np.float32),
        class_id=np.arange(count),
        tracker_id=None if track_ids is None else np.array(track_ids, dtype=int),
        data={"class_name": np.array(names, dtype=str)},
    )


def frame(index: int, value: int = 0, captured_at: float | None = None) -> Frame:
    """A small flat-gray frame."""
    image = np.full((48, 64, 3), value % 256, dtype=np.uint8)
    stamp = time.monotonic() if captured_at is None else captured_at
    return Frame(index=index, image=image, time_ms=None, captured_at=stamp)


def raw_get(url: str, target: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """GET ``target`` sent verbatim (no client-side normalisation); (status, body)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class MjpegReader:
    """Reads JPEG parts from a live ``/stream.mjpg`` response, one at a time."""

    def __init__(self, url: str, target: str = "/stream.mjpg") -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        self.connection.request("GET", target)
        self.response = self.connection.getresponse()

    def next_part(self) -> bytes:
        """The next JPEG (b"" once the stream ended)."""
        length = 0
        while (line := self.response.fp.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        jpeg = self.response.fp.read(length) if length else b""
        self.response.fp.readline()  # the CRLF after the part
        return jpeg

    def close(self) -> None:
        self.connection.close()
