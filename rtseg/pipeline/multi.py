"""``MultiPipeline``: several sources in one run, one model session for all of them.

Each stream runs the single-stream :class:`~rtseg.pipeline.Pipeline` — its own capture thread
(so a stalled source blocks only itself), queues, tracker, post-processing, render thread,
sinks and statistics — and only inference is shared, through an
:class:`~rtseg.pipeline.batcher.InferenceBatcher`: live streams offer their newest frame,
recorded ones every frame in order, and the waiting frames run as one batch on models with a
dynamic batch axis, else in turn. A slow sink throttles only its own stream (its pipeline stops
asking for inference while its queues are full).

Anything that goes wrong in one stream — its source ending or failing, a sink or callback
error — ends that stream only and is reported in its :class:`StreamResult`; a failure of the
shared inference ends every stream (each still writing the frames already past inference) and
is raised by :meth:`MultiPipeline.run`.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

import supervision as sv

from rtseg.errors import RtsegError
from rtseg.pipeline.batcher import InferenceBatcher, StreamSegmenter, detection_filter
from rtseg.pipeline.pipeline import JOIN_POLL_S, QUEUE_SIZE, Pipeline
from rtseg.pipeline.progress import Every, status_text
from rtseg.pipeline.stages import StageError
from rtseg.pipeline.stats import Summary

if TYPE_CHECKING:
    from rtseg.annotate import FrameAnnotator
    from rtseg.engine import Segmenter
    from rtseg.sinks import Sink
    from rtseg.sources import Frame, FrameSource
    from rtseg.tracking import Tracker

logger = logging.getLogger(__name__)

StreamCallback = Callable[[str, "Frame", sv.Detections], None]


@dataclass
class Stream:
    """One input of a multi-stream run with everything that is its own.

    ``conf``/``classes`` narrow the shared model's detections for this stream only (the
    segmenter must be at least as permissive). ``annotator`` defaults to a plain one.
    """

    name: str
    source: FrameSource
    sinks: Sequence[Sink] = ()
    tracker: Tracker | None = None
    annotator: FrameAnnotator | None = None
    conf: float | None = None
    classes: Sequence[int] | None = None


@dataclass(frozen=True)
class StreamResult:
    """How one stream's run went; ``error`` is what ended it early, if anything did."""

    name: str
    live: bool
    summary: Summary
    error: Exception | None = None

    def format(self) -> str:
        lines = self.summary.format().splitlines()
        if self.error is not None:
            lines.append(f"failed: {self.error}")
        return "\n".join(f"{self.name}: {line}" for line in lines)


@dataclass(frozen=True)
class MultiSummary:
    """Per-stream results (in stream order) and the whole run's throughput."""

    streams: dict[str, StreamResult]
    seconds: float
    frames_per_call: float  # frames per model call: above 1 when batching happened
    stopped_early: bool = False

    @property
    def frames(self) -> int:
        return sum(result.summary.frames for result in self.streams.values())

    @property
    def fps(self) -> float:
        """Frames per second over all streams together."""
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    @property
    def undecodable(self) -> int:
        """Recorded frames skipped as damaged, over all streams."""
        return sum(result.summary.undecodable or 0 for result in self.streams.values())

    @property
    def failed(self) -> dict[str, Exception]:
        return {
            name: result.error for name, result in self.streams.items() if result.error is not None
        }

    def format(self) -> str:
        stopped = " (stopped early)" if self.stopped_early else ""
        head = (
            f"{len(self.streams)} streams: {self.frames} frames in {self.seconds:.1f} s,"
            f" {self.fps:.1f} fps in all, {self.frames_per_call:.2f} frames per model call{stopped}"
        )
        return "\n".join([head, *(result.format() for result in self.streams.values())])


class MultiPipeline:
    """Segment (and track) several streams at once with one shared ``segmenter``.

    ``on_frame(stream_name, frame, detections)`` is called from that stream's render thread.
    ``infer_workers`` inference threads serve all streams (see :mod:`rtseg.pipeline.plan`);
    ``progress`` prints one status line per running stream every few seconds on stderr. The
    pipeline owns every stream's source and sinks: :meth:`run` closes them. It runs once.
    """

    def __init__(
        self,
        streams: Sequence[Stream],
        segmenter: Segmenter,
        on_frame: StreamCallback | None = None,
        *,
        overlay: bool = False,
        progress: bool = False,
        infer_workers: int = 1,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        _check_streams(streams)
        self.streams = tuple(streams)
        self.progress = progress
        self._batcher = InferenceBatcher(
            segmenter, workers=infer_workers, batch=segmenter.spec.dynamic_batch
        )
        self._pipelines = {
            stream.name: Pipeline(
                stream.source,
                StreamSegmenter(  # the part of a Segmenter that Pipeline uses
                    segmenter, self._batcher, detection_filter(stream.conf, stream.classes)
                ),
                stream.tracker,
                stream.sinks,
                stream.annotator,
                functools.partial(on_frame, stream.name) if on_frame is not None else None,
                overlay=overlay,
                infer_workers=infer_workers,
                queue_size=queue_size,
            )
            for stream in streams
        }
        self._results: dict[str, StreamResult] = {}
        self._stopped = threading.Event()
        self._started = False

    @property
    def dropped(self) -> dict[str, int]:
        """Stale live frames discarded so far, per stream."""
        return {name: pipeline.dropped for name, pipeline in self._pipelines.items()}

    def stop(self) -> None:
        """Ask every stream to finish now (safe from signal handlers and other threads)."""
        self._stopped.set()
        for pipeline in self._pipelines.values():
            pipeline.stop()

    def run(self) -> MultiSummary:
        """Run every stream until all have ended or :meth:`stop`; then close everything.
        Raises the shared inference's failure (``RtsegError`` as is, else ``StageError``) and
        ``KeyboardInterrupt`` after the same clean shutdown; stream failures are reported."""
        if self._started:
            raise RuntimeError("a MultiPipeline runs once; build a new one")
        self._started = True
        started = time.perf_counter()
        runners = [
            threading.Thread(
                target=self._run_stream, args=(name,), name=f"rtseg-stream-{name}", daemon=True
            )
            for name in self._pipelines
        ]
        self._batcher.start()
        try:
            for runner in runners:
                runner.start()
            self._wait(runners, MultiStatus(self._pipelines, runners) if self.progress else None)
        finally:
            if any(runner.is_alive() for runner in runners):
                self.stop()
            for runner in runners:
                runner.join()
            self._batcher.close()
        self._raise_failure()
        return MultiSummary(
            streams={name: self._results[name] for name in self._pipelines},
            seconds=time.perf_counter() - started,
            frames_per_call=self._batcher.frames / max(self._batcher.calls, 1),
            stopped_early=self._stopped.is_set(),
        )

    def _wait(self, runners: list[threading.Thread], shown: MultiStatus | None) -> None:
        """Wait in the caller's thread (so Ctrl-C reaches it). After a shared inference
        failure every stream ends draining what it holds: recorded ones fail at their next
        inference, live ones stop reading (one waiting for a lost camera would never get
        there)."""
        while alive := [runner for runner in runners if runner.is_alive()]:
            if self._batcher.failure is not None:
                for pipeline in self._pipelines.values():
                    if pipeline.source.is_live:
                        pipeline.source.close()
            alive[0].join(JOIN_POLL_S)
            if shown is not None:
                shown.update()

    def _run_stream(self, name: str) -> None:
        """Run one stream's pipeline; its failure ends it alone and goes into its result."""
        pipeline = self._pipelines[name]
        error: Exception | None = None
        try:
            summary = pipeline.run()
        except Exception as failure:  # reported per stream, never raised across streams
            error = failure
            summary = pipeline.summary(stopped_early=True)
            if self._batcher.failure is None:
                logger.warning("stream %s stopped: %s", name, failure)
        self._results[name] = StreamResult(name, pipeline.source.is_live, summary, error)

    def _raise_failure(self) -> None:
        failure = self._batcher.failure
        if failure is None:
            return
        if isinstance(failure, RtsegError):
            raise failure
        raise StageError("infer", failure) from failure


class MultiStatus:
    """Every few seconds, one status line per stream still running."""

    def __init__(
        self,
        pipelines: dict[str, Pipeline],
        runners: Sequence[threading.Thread],
        stream: TextIO | None = None,
    ) -> None:
        self._rows = list(zip(pipelines.items(), runners, strict=True))
        self._stream = stream or sys.stderr
        self._every = Every()

    def update(self) -> None:
        if not self._every.due():
            return
        for (name, pipeline), runner in self._rows:
            if runner.is_alive():
                text = status_text(pipeline.stats, pipeline.dropped, pipeline.source)
                print(f"{name}: {text}", file=self._stream, flush=True)


def _check_streams(streams: Sequence[Stream]) -> None:
    """At least one stream, unique names, and no tracker shared by two streams."""
    if not streams:
        raise ValueError("a MultiPipeline needs at least one stream")
    names = [stream.name for stream in streams]
    if len(set(names)) < len(names):
        raise ValueError(f"stream names must be unique, got {names}")
    trackers = [id(stream.tracker) for stream in streams if stream.tracker is not None]
    if len(set(trackers)) < len(trackers):
        raise ValueError("each stream needs its own Tracker")
