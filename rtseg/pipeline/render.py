"""Render and write one stream's results: the last step of every run, in this process or on
the driver of a Ray run, so both treat outputs alike.

Each frame is drawn at most once, for the sinks that show annotated frames, then written to
every sink. A sink that fails is dropped and the others still get every frame; :meth:`render`
returns the failure for the run to report (and to stop reading the stream).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import supervision as sv

from rtseg.annotate import FrameAnnotator, draw_status
from rtseg.sinks.base import Interactive

if TYPE_CHECKING:
    from rtseg.sinks import Sink
    from rtseg.sources import Frame

FrameCallback = Callable[["Frame", sv.Detections], None]
StatusLines = Callable[[], list[str]]


class Renderer:
    """Draws with ``annotator`` (plus ``status`` lines on top: a live preview's fps and
    latency) when a sink wants annotated frames, writes every working sink, then calls
    ``on_frame(frame, detections)``, which sees the frame's own image (drawing goes on a copy
    then)."""

    def __init__(
        self,
        sinks: Sequence[Sink],
        annotator: FrameAnnotator | None,
        on_frame: FrameCallback | None = None,
        status: StatusLines | None = None,
    ) -> None:
        self.sinks = tuple(sinks)
        self.draws = any(sink.needs_annotation for sink in self.sinks)
        if self.draws and annotator is None:
            raise ValueError("a sink wants annotated frames: give an annotator")
        self.annotator = annotator
        self.on_frame = on_frame
        self.status = status
        self.interactive = [sink for sink in self.sinks if isinstance(sink, Interactive)]
        self._writing = list(self.sinks)  # the sinks that have not failed

    @property
    def stop_requested(self) -> bool:
        """Whether a sink asked to end the stream (a preview window's ``q``)."""
        return any(getattr(sink, "stop_requested", False) for sink in self.sinks)

    def render(self, frame: Frame, detections: sv.Detections) -> Exception | None:
        """Write one frame everywhere; the first sink failure of this frame, if any."""
        annotated = self._draw(frame, detections) if self.draws else None
        failure = None
        for sink in tuple(self._writing):
            try:
                sink.write(frame, annotated, detections)
            except Exception as error:  # the other sinks still get every frame
                self._writing.remove(sink)
                failure = failure or error
        if self.on_frame is not None:
            self.on_frame(frame, detections)
        return failure

    def pump(self) -> None:
        """Drive the sinks' user interfaces (from the thread GUI toolkits want)."""
        for sink in self.interactive:
            sink.pump()

    def close(self) -> list[Exception]:
        """Close every sink (flushing files); the failures of those that could not close."""
        failures = []
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as error:  # every sink still gets closed
                failures.append(error)
        return failures

    def _draw(self, frame: Frame, detections: sv.Detections) -> np.ndarray:
        shared = self.on_frame is not None or not frame.image.flags.writeable
        scene = frame.image.copy() if shared else frame.image
        scene = self.annotator.annotate(scene, detections)
        if self.status is not None:
            scene = draw_status(scene, self.status())
        return scene
