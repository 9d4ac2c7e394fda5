"""``Pipeline``: capture → inference → post-processing + tracking → render/sinks, one thread each.

The stages are joined by bounded queues. OpenCV, onnxruntime and numpy release the GIL, so
reading and letterboxing the next frame, running the model on this one and decoding, tracking,
drawing and writing the previous ones all overlap. Recorded sources go through whole and in
order (a full queue blocks the reader); live sources keep only the newest frame.

A failure never throws away frames already read: the failed stage stops taking frames, the
capture stops reading, and every frame already past the failure is still written to the sinks
(a sink that fails is left out of the rest) before :meth:`Pipeline.run` raises.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import supervision as sv

from rtseg.annotate import FrameAnnotator, draw_status
from rtseg.errors import RtsegError
from rtseg.pipeline.progress import Progress, make_progress
from rtseg.pipeline.stages import END, Channel, Control, Lanes, Stage, StageError
from rtseg.pipeline.stats import Stats, Summary
from rtseg.sinks.base import Interactive

if TYPE_CHECKING:
    from rtseg.engine import Segmenter
    from rtseg.sinks import Sink
    from rtseg.sources import Frame, FrameSource
    from rtseg.tracking import Tracker

STAGES = ("capture", "infer", "post", "render")
QUEUE_SIZE = 1  # recorded sources: frames waiting between two stages, per lane (README, *Memory*)
JOIN_POLL_S = 0.1  # how often the caller's thread updates progress while waiting
PUMP_POLL_S = 1 / 60  # how often it drives a preview window: a display's refresh rate

FrameCallback = Callable[["Frame", sv.Detections], None]


@dataclass
class Packet:
    """One frame on its way through the stages; each stage fills in its part."""

    frame: Frame
    blob: np.ndarray | None = None
    letterbox: Any = None
    outputs: list[np.ndarray] | None = None
    detections: sv.Detections | None = None


class Pipeline:
    """Segment (and track) every frame of ``source`` and hand the results to ``sinks``.

    ``on_frame(frame, detections)`` is called for each frame after the sinks, from the render
    thread, with the tracked ``sv.Detections`` (untracked when ``tracker`` is None); it may call
    :meth:`stop`. ``annotator`` draws for sinks that want annotated frames (default
    ``FrameAnnotator(segmenter.names)``); ``overlay`` adds the fps/latency lines (live preview);
    ``progress`` shows a tqdm bar (recorded) or a periodic status line (live) on stderr.
    ``infer_workers`` > 1 runs that many frames through ``segmenter.infer`` at once (recorded
    sources only; results keep their order): on a CPU, single-threaded sessions running frames
    side by side outrun one session spread over all cores (see :mod:`rtseg.pipeline.plan`).
    The pipeline owns ``source`` and ``sinks``: :meth:`run` closes them. It runs once.
    """

    def __init__(
        self,
        source: FrameSource,
        segmenter: Segmenter,
        tracker: Tracker | None = None,
        sinks: Sequence[Sink] = (),
        annotator: FrameAnnotator | None = None,
        on_frame: FrameCallback | None = None,
        *,
        overlay: bool = False,
        progress: bool = False,
        infer_workers: int = 1,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        if infer_workers < 1 or queue_size < 1:
            raise ValueError("infer_workers and queue_size must be at least 1")
        self.source = source
        self.segmenter = segmenter
        self.tracker = tracker
        self.sinks = tuple(sinks)
        self._writing = list(self.sinks)  # the sinks that have not failed
        self.on_frame = on_frame
        self.overlay = overlay
        self.progress = progress
        self._annotate = any(sink.needs_annotation for sink in self.sinks)
        self.annotator = annotator or (FrameAnnotator(segmenter.names) if self._annotate else None)
        self._control = Control()
        self._stats = Stats(STAGES)  # restarted by run()
        live = source.is_live
        size = 1 if live else queue_size
        lanes = range(1 if live else infer_workers)
        self._to_infer = Lanes([Channel(self._control, size, latest_only=live) for _ in lanes])
        self._inferred = Lanes([Channel(self._control, size) for _ in lanes])
        self._tracked = Channel(self._control, size)
        self._last_index: int | None = None
        self._started = False

    @property
    def stats(self) -> Stats:
        """Live per-stage timings, latency and track counts of the current run."""
        return self._stats

    @property
    def dropped(self) -> int:
        """Live frames discarded as stale so far (by the source and by the pipeline)."""
        return self.source.dropped + self._to_infer.dropped

    def stop(self) -> None:
        """Ask every stage to finish now (safe from signal handlers and other threads)."""
        self._control.stop()

    def run(self) -> Summary:
        """Process the source until it ends or :meth:`stop`; then join all threads and close the
        source and sinks. Re-raises the first stage failure (``RtsegError`` as is, anything else
        as :class:`StageError`) and ``KeyboardInterrupt`` after the same clean shutdown."""
        if self._started:
            raise RuntimeError("a Pipeline runs once; build a new one")
        self._started = True
        self._stats = Stats(STAGES)
        stages = [
            Stage("capture", self._capture, self._control, outbox=self._to_infer),
            *(
                self._stage("infer", self._infer, inbox, outbox)
                for inbox, outbox in zip(
                    self._to_infer.channels, self._inferred.channels, strict=True
                )
            ),
            self._stage("post", self._post, self._inferred, self._tracked),
            self._stage("render", self._render, self._tracked, None),
        ]
        shown = self._make_progress() if self.progress else None
        stopped_early = True
        try:
            for stage in stages:
                stage.start()
            stopped_early = self._wait(stages, shown)
        finally:
            self._shutdown(stages)
            if shown is not None:
                shown.close()
        self._raise_failure()
        return self.summary(stopped_early)

    def summary(self, stopped_early: bool) -> Summary:
        """The run's summary so far (``stopped_early`` says the input did not reach its end)."""
        return self._stats.summary(
            self.dropped,
            self.tracker is not None,
            stopped_early,
            self.source.outages,
            self.source.undecodable,
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

    def _make_progress(self) -> Progress:
        return make_progress(self._stats, self.source, lambda: self.dropped)

    def _wait(self, stages: list[Stage], shown: Progress | None) -> bool:
        """Wait in the caller's thread (so Ctrl-C reaches it) until the stages finish or are
        told to stop, meanwhile driving the sinks' user interfaces (GUI toolkits want this
        thread), up to the last frame; True when the run was stopped rather than reaching the
        end of input."""
        interactive = [sink for sink in self.sinks if isinstance(sink, Interactive)]
        poll_s = PUMP_POLL_S if interactive else JOIN_POLL_S
        while not self._control.stopping and stages[-1].is_alive():
            stages[-1].join(poll_s)
            self._pump(interactive)
            if shown is not None:
                shown.update()
        self._pump(interactive)
        return self._control.stopping

    def _pump(self, interactive: list[Interactive]) -> None:
        for sink in interactive:
            sink.pump()
            if sink.stop_requested:
                self.stop()

    def _shutdown(self, stages: list[Stage]) -> None:
        """Stop and join every stage, then close the source and each sink (flushing files).
        A live source is closed first: that unblocks its pending read."""
        self._control.stop()
        if self.source.is_live:
            self.source.close()
        for stage in stages:
            stage.join()
        closers = [("capture", self.source.close)] + [("render", sink.close) for sink in self.sinks]
        for stage_name, close in closers:
            try:
                close()
            except Exception as error:  # every sink still gets closed
                self._control.fail(stage_name, error)

    def _raise_failure(self) -> None:
        if self._control.failure is None:
            return
        stage, error = self._control.failure
        if isinstance(error, RtsegError | KeyboardInterrupt):
            raise error
        raise StageError(stage, error) from error

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
                self._stats.add_time(name, time.perf_counter() - started)
                if outbox is not None and not outbox.put(packet):
                    return

        return Stage(name, body, self._control, inbox, outbox)

    def _capture(self) -> None:
        """Read frames and letterbox them for the model until the input ends or we stop."""
        while not self._control.stopping and not self._control.failed:
            started = time.perf_counter()
            frame = self.source.read()
            if frame is None:
                break
            blob, letterbox = self.segmenter.preprocess(frame.image)
            self._stats.add_time("capture", time.perf_counter() - started)
            if not self._to_infer.put(Packet(frame, blob, letterbox)):
                return
        self._to_infer.put(END)

    def _infer(self, packet: Packet) -> None:
        packet.outputs = self.segmenter.infer(packet.blob)
        packet.blob = None

    def _post(self, packet: Packet) -> None:
        """Decode detections and masks, then track (in frame order, on this one thread)."""
        detections = self.segmenter.postprocess(packet.outputs, packet.letterbox)
        packet.outputs = None
        if self.tracker is not None:
            detections = self.tracker.update(detections, frames_skipped=self._skipped(packet.frame))
        packet.detections = detections

    def _skipped(self, frame: Frame) -> int:
        """Source frames between the previous processed frame and this one (stride, drops)."""
        previous, self._last_index = self._last_index, frame.index
        return 0 if previous is None else max(0, frame.index - previous - 1)

    def _render(self, packet: Packet) -> None:
        """Annotate when a sink wants it, write every sink, then call ``on_frame``."""
        frame, detections = packet.frame, packet.detections
        annotated = self._draw(frame, detections) if self._annotate else None
        for sink in tuple(self._writing):
            try:
                sink.write(frame, annotated, detections)
            except Exception as error:  # the other sinks still get every frame read
                self._control.fail("render", error)
                self._writing.remove(sink)
        if self.on_frame is not None:
            self.on_frame(frame, detections)
        track_ids = detections.tracker_id if detections.tracker_id is not None else ()
        self._stats.frame_done(frame.captured_at, track_ids)
        if any(getattr(sink, "stop_requested", False) for sink in self.sinks):
            self.stop()

    def _draw(self, frame: Frame, detections: sv.Detections) -> np.ndarray:
        """Draw on the frame itself, or on a copy when ``on_frame`` will see the frame."""
        scene = frame.image.copy() if self.on_frame is not None else frame.image
        scene = self.annotator.annotate(scene, detections)
        if self.overlay:
            fps, (p50, p95, _) = self._stats.recent()
            lines = [f"{fps:.1f} fps", f"latency {p50:.0f}/{p95:.0f} ms"]
            if self.dropped:
                lines.append(f"dropped {self.dropped}")
            scene = draw_status(scene, lines)
        return scene
