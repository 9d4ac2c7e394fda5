"""One stream's part of a run: capture → inference → post-processing + tracking → render, one
thread each (inference on one or more lanes), joined by bounded queues.

OpenCV, onnxruntime and numpy release the GIL, so reading and letterboxing the next frame,
running the model on this one and decoding, tracking, drawing and writing the previous ones
all overlap. Recorded sources go through whole and in order (a full queue blocks the reader);
live sources keep only the newest frame.

A failure never throws away frames already read: the failed stage stops taking frames, the
capture stops reading, and every frame already past the failure is still written to the sinks
(a sink that fails is left out of the rest); :meth:`StreamRun.finish` then returns it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import supervision as sv

from rtseg.pipeline.render import Renderer
from rtseg.pipeline.stages import END, Channel, Control, Lanes, Stage, stage_failure
from rtseg.pipeline.stats import Stats, StreamResult, Summary

if TYPE_CHECKING:
    from rtseg.analytics import Analytics
    from rtseg.annotate import FrameAnnotator
    from rtseg.sinks import Sink
    from rtseg.sources import Frame, FrameSource
    from rtseg.tracking import Tracker

STAGES = ("capture", "infer", "post", "render")
QUEUE_SIZE = 1  # recorded sources: frames waiting between two stages, per lane (README, *Memory*)

Infer = Callable[[np.ndarray], list[np.ndarray]]
Decode = Callable[[Sequence[np.ndarray], Any], sv.Detections]


@dataclass
class Stream:
    """One opened input of a run with everything that is its own: its ``sinks`` (which the run
    closes), ``tracker`` (None: untracked), ``annotator`` (for sinks that draw) and the
    ``conf``/``classes`` it keeps of the shared model's detections (None: all of them) and its
    ``analytics`` (zones and lines counted right after tracking)."""

    name: str
    source: FrameSource
    sinks: Sequence[Sink] = ()
    tracker: Tracker | None = None
    annotator: FrameAnnotator | None = None
    conf: float | None = None
    classes: Sequence[int] | None = None
    analytics: Analytics | None = None


@dataclass
class Packet:
    """One frame on its way through the stages; each stage fills in its part."""

    frame: Frame
    blob: np.ndarray | None = None
    letterbox: Any = None
    outputs: list[np.ndarray] | None = None
    detections: sv.Detections | None = None


class StreamRun:
    """The threads of one stream: ``preprocess``/``infer``/``decode`` are the model's steps
    (inference possibly shared with other streams), ``lanes`` frames are inferred at once
    (recorded sources; results keep their order), ``overlay`` draws the fps/latency lines on
    a live preview. :meth:`start` once, :meth:`finish` once it is done or stopped."""

    def __init__(
        self,
        stream: Stream,
        preprocess: Callable[[np.ndarray], tuple[np.ndarray, Any]],
        infer: Infer,
        decode: Decode,
        on_frame: Callable[[Frame, sv.Detections], None] | None = None,
        *,
        lanes: int = 1,
        queue_size: int = QUEUE_SIZE,
        overlay: bool = False,
    ) -> None:
        if lanes < 1 or queue_size < 1:
            raise ValueError("lanes and queue_size must be at least 1")
        self.name = stream.name
        self.source = stream.source
        self.tracker = stream.tracker
        self.analytics = stream.analytics
        self._preprocess, self._infer, self._decode = preprocess, infer, decode
        self.renderer = Renderer(
            stream.sinks,
            stream.annotator,
            on_frame,
            status=self._status_lines if overlay else None,
        )
        self.control = Control()
        self.stats = Stats(STAGES)
        live = stream.source.is_live
        size = 1 if live else queue_size
        lane_range = range(1 if live else lanes)
        self._to_infer = Lanes([Channel(self.control, size, latest_only=live) for _ in lane_range])
        self._inferred = Lanes([Channel(self.control, size) for _ in lane_range])
        self._tracked = Channel(self.control, size)
        self._last_index: int | None = None
        self._stages: list[Stage] = []
        self._reading = True

    @property
    def dropped(self) -> int:
        """Live frames discarded as stale so far (by the source and by the pipeline)."""
        return self.source.dropped + self._to_infer.dropped

    @property
    def alive(self) -> bool:
        """Whether frames may still reach the sinks."""
        return bool(self._stages) and self._stages[-1].is_alive()

    def stop(self) -> None:
        """End the stream now (safe from signal handlers and other threads)."""
        self.control.stop()

    def stop_reading(self) -> None:
        """End the input here: the frames already read still go through to the sinks (as
        after a failure, which is what an output failing elsewhere is: see the Ray driver)."""
        self._reading = False

    def start(self) -> None:
        self.stats.started = time.perf_counter()
        self._stages = [
            Stage("capture", self._capture, self.control, outbox=self._to_infer),
            *(
                self._stage("infer", self._run_infer, inbox, outbox)
                for inbox, outbox in zip(
                    self._to_infer.channels, self._inferred.channels, strict=True
                )
            ),
            self._stage("post", self._post, self._inferred, self._tracked),
            self._stage("render", self._render, self._tracked, None),
        ]
        for stage in self._stages:
            stage.start()

    def wait(self, seconds: float) -> None:
        """Wait up to ``seconds`` for the last frame to be written."""
        if self._stages:
            self._stages[-1].join(seconds)

    def finish(self) -> StreamResult:
        """Stop and join every stage, close the source and each sink (flushing files); how the
        stream went. Its ``error`` is the first failure (``RtsegError`` and
        ``KeyboardInterrupt`` as they are, anything else as :class:`StageError`). A live
        source is closed first: that unblocks its pending read."""
        stopped_early = self.control.stopping or self.control.failed or not self._reading
        self.control.stop()
        if self.source.is_live:
            self.source.close()
        for stage in self._stages:
            stage.join()
        for error in self._close_source():
            self.control.fail("capture", error)
        for error in self.renderer.close():
            self.control.fail("render", error)
        return StreamResult(
            self.name, self.source.is_live, self.summary(stopped_early), self._failure()
        )

    def summary(self, stopped_early: bool) -> Summary:
        """The stream's summary so far (``stopped_early``: the input did not reach its end)."""
        return self.stats.summary(
            self.dropped,
            self.tracker is not None,
            stopped_early,
            self.source.outages,
            self.source.undecodable,
            tuple(self.analytics.summary()) if self.analytics is not None else (),
        )

    def status(self) -> dict[str, int]:
        """Live counters for status pages and metrics: drops and the source's link."""
        outages = self.source.outages
        return {
            "dropped_frames": self.dropped,
            "source_connected": int(self.source.connected),
            "source_outages": len(outages),
            "source_frames_lost": sum(outage.frames_lost for outage in outages),
        }

    def _close_source(self) -> list[Exception]:
        try:
            self.source.close()
        except Exception as error:
            return [error]
        return []

    def _failure(self) -> BaseException | None:
        if self.control.failure is None:
            return None
        return stage_failure(*self.control.failure)

    def _stage(
        self,
        name: str,
        work: Callable[[Packet], None],
        inbox: Channel | Lanes,
        outbox: Channel | None,
    ) -> Stage:
        """A stage that applies ``work`` to each packet from ``inbox`` and passes it on."""

        def body() -> None:
            while (packet := inbox.get()) is not None:
                if packet is END:
                    if outbox is not None:
                        outbox.put(END)
                    return
                started = time.perf_counter()
                work(packet)
                self.stats.add_time(name, time.perf_counter() - started)
                if outbox is not None and not outbox.put(packet):
                    return

        return Stage(name, body, self.control, inbox, outbox)

    def _capture(self) -> None:
        """Read frames and letterbox them for the model until the input ends or we stop."""
        while self._reading and not self.control.stopping and not self.control.failed:
            started = time.perf_counter()
            frame = self.source.read()
            if frame is None:
                break
            blob, letterbox = self._preprocess(frame.image)
            self.stats.add_time("capture", time.perf_counter() - started)
            if not self._to_infer.put(Packet(frame, blob, letterbox)):
                return
        self._to_infer.put(END)

    def _run_infer(self, packet: Packet) -> None:
        packet.outputs = self._infer(packet.blob)
        packet.blob = None

    def _post(self, packet: Packet) -> None:
        """Decode detections and masks, track, count zones and lines (in frame order, on this
        one thread)."""
        detections = self._decode(packet.outputs, packet.letterbox)
        packet.outputs = None
        if self.tracker is not None:
            detections = self.tracker.update(detections, frames_skipped=self._skipped(packet.frame))
        if self.analytics is not None:
            detections = self.analytics.update(packet.frame, detections)
        packet.detections = detections

    def _skipped(self, frame: Frame) -> int:
        """Source frames between the previous processed frame and this one (stride, drops)."""
        previous, self._last_index = self._last_index, frame.index
        return 0 if previous is None else max(0, frame.index - previous - 1)

    def _render(self, packet: Packet) -> None:
        """Write every sink; a sink failure stops reading (what was read is still written)."""
        frame, detections = packet.frame, packet.detections
        if (failure := self.renderer.render(frame, detections)) is not None:
            self.control.fail("render", failure)
        track_ids = detections.tracker_id if detections.tracker_id is not None else ()
        self.stats.frame_done(frame.captured_at, track_ids)
        if self.renderer.stop_requested:
            self.stop()

    def _status_lines(self) -> list[str]:
        fps, (p50, p95, _) = self.stats.recent()
        lines = [f"{fps:.1f} fps", f"latency {p50:.0f}/{p95:.0f} ms"]
        if self.dropped:
            lines.append(f"dropped {self.dropped}")
        return lines
