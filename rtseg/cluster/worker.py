"""The Ray actor's side: one model session running a group of streams, results kept for polls.

:class:`StreamGroupWorker` is a plain class (Ray wraps it with ``ray.remote`` on the driver),
so it runs and is tested without Ray too. It runs the group as a
:class:`~rtseg.pipeline.MultiPipeline` without sinks; every processed frame goes into a bounded
queue that the driver drains with :meth:`~StreamGroupWorker.poll` and writes to the sinks
itself. A full queue holds the pipeline back (recorded input waits, live input drops at
capture), so a slow driver never makes a worker run out of memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

import supervision as sv

from rtseg.cluster.transfer import FrameResult, pack
from rtseg.pipeline.multi import MultiPipeline, MultiSummary, Stream
from rtseg.pipeline.plan import load_segmenter
from rtseg.pipeline.stream_spec import StreamSpec
from rtseg.sources import Frame, FrameSource

QUEUE_SIZE = 64  # frames waiting for the driver


@dataclass(frozen=True)
class ModelSpec:
    """The model every worker loads, and what is done with its detections: ``conf`` is the
    run's ``--conf`` (a stream's own overrides it; the model keeps what every stream and its
    tracker need), ``classes`` the classes the model keeps."""

    path: str
    device: str = "auto"
    precision: str = "auto"
    conf: float = 0.25
    iou: float = 0.7
    classes: tuple[int, ...] | None = None
    track: bool = True


@dataclass(frozen=True)
class SourceFacts:
    """What the driver needs to open a stream's outputs."""

    fps: float | None
    is_live: bool


@dataclass
class Poll:
    """One :meth:`StreamGroupWorker.poll` answer. ``started`` is False for a worker that has
    not been started (a fresh one, or one Ray restarted after a crash); ``summary`` and
    ``error`` are set once ``finished``."""

    started: bool
    results: list[FrameResult] = field(default_factory=list)
    finished: bool = False
    summary: MultiSummary | None = None
    error: str | None = None


class StreamGroupWorker:
    """Runs ``streams`` with one session of ``model`` on ``cores`` CPU cores.

    ``images``: the streams whose frames travel with their results (the driver draws them).
    """

    def __init__(
        self,
        model: ModelSpec,
        streams: list[StreamSpec],
        cores: int | None,
        images: frozenset[str] = frozenset(),
    ) -> None:
        self.model = model
        self.streams = streams
        self.cores = cores
        self.images = images
        self._results: queue.Queue[FrameResult] = queue.Queue(QUEUE_SIZE)
        self._pipeline: MultiPipeline | None = None
        self._thread: threading.Thread | None = None
        self._summary: MultiSummary | None = None
        self._error: str | None = None
        self._stopping = threading.Event()

    def start(self, resume: Mapping[str, int]) -> dict[str, SourceFacts]:
        """Open every stream (recorded ones from frame ``resume[name]`` on) and start running
        them; the facts of each source. RtsegError when a source or the model cannot be used."""
        sources: dict[str, FrameSource] = {}
        try:
            for spec in self.streams:
                sources[spec.name] = spec.open(resume.get(spec.name, 0))
            segmenter, workers = load_segmenter(
                self.model.path,
                any(source.is_live for source in sources.values()),
                streams=len(sources),
                cores=self.cores,
                device=self.model.device,
                precision=self.model.precision,
                conf=min(
                    spec.kept_conf(self.model.conf, self.model.track) for spec in self.streams
                ),
                iou=self.model.iou,
                classes=None if self.model.classes is None else list(self.model.classes),
            )
        except Exception:
            for source in sources.values():
                source.close()
            raise
        streams = [
            Stream(
                spec.name,
                sources[spec.name],
                tracker=spec.tracker(self.model.conf, sources[spec.name].fps)
                if self.model.track
                else None,
                conf=spec.kept_conf(self.model.conf, self.model.track),
                classes=spec.classes,
            )
            for spec in self.streams
        ]
        self._pipeline = MultiPipeline(streams, segmenter, self._collect, infer_workers=workers)
        self._thread = threading.Thread(target=self._run, name="rtseg-worker", daemon=True)
        self._thread.start()
        return {name: SourceFacts(source.fps, source.is_live) for name, source in sources.items()}

    def _collect(self, stream: str, frame: Frame, detections: sv.Detections) -> None:
        """on_frame of the streams: queue the result for the driver (waits while it is full)."""
        result = pack(stream, frame, detections, stream in self.images)
        while not self._put(result):
            if self._stopping.is_set():
                return

    def _put(self, result: FrameResult) -> bool:
        try:
            self._results.put(result, timeout=0.1)
        except queue.Full:
            return False
        return True

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
        try:
            results.append(self._results.get(timeout=timeout_s))
            while len(results) < limit:
                results.append(self._results.get_nowait())
        except queue.Empty:
            pass
        finished = not self._thread.is_alive() and self._results.empty()
        if not finished:
            return Poll(started=True, results=results)
        return Poll(True, results, True, self._summary, self._error)

    def stop(self) -> None:
        """End every stream now; the run finishes and the last poll says so."""
        self._stopping.set()
        if self._pipeline is not None:
            self._pipeline.stop()
