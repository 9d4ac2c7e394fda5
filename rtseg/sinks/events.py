"""``--events out.jsonl``: every analytics event as one JSON object per line (the schema of
:meth:`rtseg.analytics.Event.to_dict`), flushed at each frame that has any."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import supervision as sv

from rtseg.analytics.events import METADATA_KEY, AnalyticsResult
from rtseg.sinks.base import Sink, open_text
from rtseg.sources import Frame


def analytics_result(detections: sv.Detections) -> AnalyticsResult | None:
    """The frame's analytics, where :class:`rtseg.Analytics` counted it."""
    return detections.metadata.get(METADATA_KEY)


class EventsJsonlSink:
    """Appends each frame's events to ``path`` (truncated on open). Thread-safe, so several
    streams may write to one (each through a :class:`StreamView`; the owner closes it)."""

    needs_annotation = False

    def __init__(self, path: str | Path) -> None:
        self._file = open_text(path)
        self._lock = threading.Lock()
        self.written = 0

    def write(self, frame: Frame, annotated: np.ndarray | None, detections: sv.Detections) -> None:
        result = analytics_result(detections)
        if result is None or not result.events:
            return
        lines = [json.dumps(e.to_dict(), separators=(",", ":")) + "\n" for e in result.events]
        with self._lock:
            self._file.writelines(lines)
            self._file.flush()
            self.written += len(lines)

    def close(self) -> None:
        with self._lock:
            self._file.close()


class StreamView:
    """One stream's way into a sink that several streams share: it writes through and leaves
    closing to the sink's owner."""

    def __init__(self, shared: Sink) -> None:
        self._shared = shared
        self.needs_annotation = shared.needs_annotation

    def write(self, frame: Frame, annotated: np.ndarray | None, detections: sv.Detections) -> None:
        self._shared.write(frame, annotated, detections)

    def close(self) -> None:
        """Nothing: the owner closes the shared sink once every stream is done."""
