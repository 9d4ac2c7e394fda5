"""The Ray actor's side: the engine (:class:`~rtseg.pipeline.Pipeline`) running a group of
streams with one model session, each stream's sink handing its results to the driver.

:class:`StreamGroupWorker` is a plain class (Ray wraps it with ``ray.remote`` on the driver),
so it runs and is tested without Ray too. Results wait in one bounded hand-over that the
driver drains with :meth:`~StreamGroupWorker.poll`; a full hand-over holds the streams back
(recorded input waits, live input drops at capture), so a slow driver never makes a worker
run out of memory.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import supervision as sv

from rtseg.cluster.transfer import FrameResult, pack
from rtseg.handover import Handover
from rtseg.pipeline import Pipeline, RunSummary
from rtseg.pipeline.plan import load_model
from rtseg.pipeline.stream_plan import ModelPlan, StreamPlan
from rtseg.sources import Frame, FrameSource, SourceFacts

QUEUE_SIZE = 64  # frames waiting for the driver


@dataclass
class Poll:
    """One :meth:`StreamGroupWorker.poll` answer. ``started`` is False for a worker that has
    not been started (a fresh one, or one Ray restarted after a crash); ``summary`` and
    ``error`` are set once ``finished``."""

    started: bool
    results: list[FrameResult] = field(default_factory=list)
    finished: bool = False
    summary: RunSummary | None = None
    error: str | None = None


class DriverSink:
    """A worker stream's one sink: each result goes to the driver (with the frame's image when
    the driver draws), waiting while the hand-over is full."""

    needs_annotation = False

    def __init__(self, stream: str, results: Handover[FrameResult], image: bool) -> None:
        self.stream = stream
        self._results = results
        self._image = image

    def write(self, frame: Frame, annotated: np.ndarray | None, detections: sv.Detections) -> None:
        self._results.put(pack(self.stream, frame, detections, self._image))

    def close(self) -> None:
        """Nothing to release: the hand-over belongs to the worker."""


class StreamGroupWorker:
    """Runs ``streams`` with one session of ``model`` (its ``path`` resolved) on ``cores`` CPU
    cores, tracked when ``track``.

    ``images``: the streams whose frames travel with their results (the driver draws them).
    """

    def __init__(
        self,
        model: ModelPlan,
        streams: Sequence[StreamPlan],
        track: bool,
        cores: int | None,
        images: frozenset[str] = frozenset(),
    ) -> None:
        self.model = model
        self.streams = list(streams)
        self.track = track
        self.cores = cores
        self.images = images
        self._results: Handover[FrameResult] = Handover(QUEUE_SIZE)
        self._pipeline: Pipeline | None = None
        self._thread: threading.Thread | None = None
        self._summary: RunSummary | None = None
        self._error: str | None = None

    def start(self, resume: Mapping[str, int]) -> dict[str, SourceFacts]:
        """Open every stream (recorded ones from frame ``resume[name]`` on) and start running
        them; the facts of each source. RtsegError when a source or the model cannot be used."""
        sources: list[FrameSource] = []
        try:
            for plan in self.streams:
                sources.append(plan.open(resume.get(plan.name, 0)))
            segmenter, workers = load_model(
                self.model.path, self.model, self.streams, sources, self.track, self.cores
            )
        except Exception:
            for source in sources:
                source.close()
            raise
        streams = [
            plan.stream(
                source,
                self.track,
                segmenter.names,
                [DriverSink(plan.name, self._results, plan.name in self.images)],
            )
            for plan, source in zip(self.streams, sources, strict=True)
        ]
        self._pipeline = Pipeline(streams, segmenter, infer_workers=workers)
        self._thread = threading.Thread(target=self._run, name="rtseg-worker", daemon=True)
        self._thread.start()
        return {plan.name: source.facts for plan, source in zip(self.streams, sources, strict=True)}

    def _run(self) -> None:
        try:
            self._summary = self._pipeline.run()
        except Exception as error:  # reported to the driver with the last poll
            self._error = f"{type(error).__name__}: {error}"

    def poll(self, timeout_s: float = 0.5, limit: int = QUEUE_SIZE) -> Poll:
        """Results so far (waiting up to ``timeout_s`` for the first), at most ``limit``."""
        if self._thread is None:
            return Poll(started=False)
        results: list[FrameResult] = []
        result = self._results.get(timeout=timeout_s)
        while result is not None:
            results.append(result)
            result = self._results.take() if len(results) < limit else None
        finished = not self._thread.is_alive() and not len(self._results)
        if not finished:
            return Poll(started=True, results=results)
        return Poll(True, results, True, self._summary, self._error)

    def stop(self) -> None:
        """End every stream now; the run finishes and the last poll says so."""
        self._results.close()  # what is queued still goes to the driver
        if self._pipeline is not None:
            self._pipeline.stop()

    def stop_reading(self, stream: str) -> None:
        """Read no more of ``stream``: what was read still comes (an output of it failed)."""
        if self._pipeline is not None:
            self._pipeline.runs[stream].stop_reading()
