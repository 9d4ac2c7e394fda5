"""The live-view sink: hands the newest annotated frame and live stats to the HTTP server."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

import numpy as np
import supervision as sv

from rtseg.errors import RtsegError
from rtseg.serve.address import is_loopback, parse_address
from rtseg.serve.frames import FrameHub
from rtseg.serve.server import LiveHTTPServer
from rtseg.serve.stats import LiveStats
from rtseg.sources import Frame

logger = logging.getLogger(__name__)


class LiveViewSink:
    """Serves the annotated stream, stats and metrics over HTTP while the pipeline runs.

    ``address`` is ``[host:]port`` (host 127.0.0.1 by default; port 0 picks a free one, see
    :attr:`url`). With ``token`` every route but ``/healthz`` needs it as a Bearer header or a
    ``?token=`` parameter. ``status`` (settable later, as the pipeline exists after its sinks)
    returns extra top-level fields for ``/api/status`` and ``/metrics``, e.g.
    ``{"dropped_frames": n}``; it cannot override the sink's own fields.

    :meth:`write` only stores a reference to the frame and updates counters: JPEG encoding
    happens on viewer threads, once per frame, and only while someone watches.
    """

    needs_annotation = True

    def __init__(
        self,
        address: str = "127.0.0.1:8080",
        token: str | None = None,
        status: Callable[[], Mapping[str, Any]] | None = None,
        jpeg_quality: int = 80,
    ) -> None:
        if token is not None and not token.strip():
            raise RtsegError("--serve-token is empty")
        if not 1 <= jpeg_quality <= 100:
            raise RtsegError(f"JPEG quality must be 1-100, got {jpeg_quality}")
        host, port = parse_address(address)
        self.status = status
        self._stats = LiveStats()
        self._hub = FrameHub(jpeg_quality)
        self._server = LiveHTTPServer(host, port, self._hub, self.snapshot, token)
        if token is None and not is_loopback(host):
            logger.warning("live view on %s is open to the network: set --serve-token", self.url)
        logger.info("live view at %s", self.url)

    @property
    def url(self) -> str:
        """The page's address with the port actually bound (token not included)."""
        return self._server.url

    def write(self, frame: Frame, annotated: np.ndarray | None, detections: sv.Detections) -> None:
        """Publish the newest frame (by reference: do not modify it afterwards) and count it."""
        self._hub.publish(frame.image if annotated is None else annotated)
        self._stats.add(frame.index, frame.captured_at, detections)

    def snapshot(self) -> dict[str, Any]:
        """What ``/api/status`` returns: the live stats, viewer count and the pipeline's extras."""
        extras = dict(self.status()) if self.status is not None else {}
        return {**extras, **asdict(self._stats.snapshot()), "viewers": self._hub.viewers}

    def close(self) -> None:
        """Stop the server and end every stream; idempotent."""
        self._server.close()
