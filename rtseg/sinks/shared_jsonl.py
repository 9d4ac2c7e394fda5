"""One JSON Lines file for several streams: each line is ``{"stream": name, ...}`` followed by
exactly the single-stream record (:func:`rtseg.sinks.jsonl.frame_record`).

Lines from different streams interleave in the order they are finished; each is written and
flushed whole under a lock, so a kill still leaves only valid lines.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import supervision as sv

from rtseg.sinks.base import open_text
from rtseg.sinks.jsonl import frame_record
from rtseg.sources import Frame


class SharedJsonl:
    """The shared file; :meth:`sink` gives each stream its writer. The owner calls
    :meth:`close` once every stream is done (the per-stream sinks only flush)."""

    def __init__(self, path: str | Path, names: Mapping[int, str] | None = None) -> None:
        self.names = names
        self._file = open_text(path)
        self._lock = threading.Lock()

    def sink(self, stream: str) -> StreamJsonlSink:
        return StreamJsonlSink(self, stream)

    def write(self, stream: str, frame: Frame, detections: sv.Detections) -> None:
        record = {"stream": stream, **frame_record(frame, detections, self.names)}
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


class StreamJsonlSink:
    """A stream's lines in a :class:`SharedJsonl` file (a ``Sink``)."""

    needs_annotation = False

    def __init__(self, shared: SharedJsonl, stream: str) -> None:
        self.stream = stream
        self._shared = shared

    def write(self, frame: Frame, annotated: np.ndarray | None, detections: sv.Detections) -> None:
        self._shared.write(self.stream, frame, detections)

    def close(self) -> None:
        """Nothing to do: lines are flushed as written and the file belongs to the owner."""
