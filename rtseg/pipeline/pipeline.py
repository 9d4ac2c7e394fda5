"""``Pipeline``: the one engine. One or more streams, one model session serving all of them.

Each stream runs its own threads (:class:`~rtseg.pipeline.stream.StreamRun`: capture,
inference lanes, post-processing + tracking, render), so a stalled source or a slow sink holds
back only its own stream. A single stream calls the model directly; several share it through an
:class:`~rtseg.pipeline.batcher.InferenceBatcher` (live streams offer their newest frame,
recorded ones every frame in order, and waiting frames run as one batch on models with a
dynamic batch axis). The caller's thread waits for them all, prints progress and drives the
preview window (GUI toolkits want that thread).

Anything that goes wrong in one stream — its source failing, a sink or callback error — ends
that stream only, after every frame it already read is written, and is reported in its
:class:`~rtseg.pipeline.stats.StreamResult`; a failure of the shared inference ends every
stream the same way and is raised by :meth:`Pipeline.run`.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import supervision as sv

from rtseg.errors import RtsegError
from rtseg.pipeline.batcher import InferenceBatcher, detection_filter, filtered
from rtseg.pipeline.progress import Progress, make_progress
from rtseg.pipeline.stages import StageError
from rtseg.pipeline.stats import RunSummary, StreamResult
from rtseg.pipeline.stream import QUEUE_SIZE, Stream, StreamRun

if TYPE_CHECKING:
    from rtseg.engine import Segmenter
    from rtseg.sources import Frame

logger = logging.getLogger(__name__)

JOIN_POLL_S = 0.1  # how often the caller's thread updates progress while waiting
PUMP_POLL_S = 1 / 60  # how often it drives a preview window: a display's refresh rate

StreamCallback = Callable[[str, "Frame", sv.Detections], None]


class Pipeline:
    """Segment (and track) every frame of ``streams`` with one shared ``segmenter`` and hand
    the results to each stream's sinks.

    ``on_frame(stream_name, frame, detections)`` is called for each frame after the sinks,
    from that stream's render thread; it may call :meth:`stop`. ``overlay`` draws the
    fps/latency lines on live streams' annotated frames; ``progress`` shows a tqdm bar
    (one recorded stream) or status lines (live, or several streams) on stderr.
    ``infer_workers`` > 1 runs that many frames through the model at once (recorded sources;
    results keep their order): on a CPU, single-threaded sessions running frames side by side
    outrun one session spread over all cores (see :mod:`rtseg.pipeline.plan`). The pipeline
    owns the streams' sources and sinks: :meth:`run` closes them. It runs once.
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
        self.progress = progress
        self._batcher = None
        infer = segmenter.infer
        if len(streams) > 1:
            self._batcher = InferenceBatcher(
                segmenter, workers=infer_workers, batch=segmenter.spec.dynamic_batch
            )
            infer = self._batcher.infer
        self.runs = {
            stream.name: StreamRun(
                stream,
                segmenter.preprocess,
                infer,
                filtered(segmenter.postprocess, detection_filter(stream.conf, stream.classes)),
                None if on_frame is None else functools.partial(on_frame, stream.name),
                lanes=infer_workers,
                queue_size=queue_size,
                overlay=overlay and stream.source.is_live,
            )
            for stream in streams
        }
        self._stopped = False
        self._started = False

    @property
    def dropped(self) -> dict[str, int]:
        """Stale live frames discarded so far, per stream."""
        return {name: run.dropped for name, run in self.runs.items()}

    def status(self, name: str) -> dict[str, int]:
        """Live counters of stream ``name`` for status pages and metrics."""
        return self.runs[name].status()

    def stop(self) -> None:
        """Ask every stream to finish now (safe from signal handlers and other threads)."""
        self._stopped = True
        for run in self.runs.values():
            run.stop()

    def run(self) -> RunSummary:
        """Run every stream until all have ended or :meth:`stop`; then close everything.
        Raises the shared inference's failure (``RtsegError`` as is, else ``StageError``) and
        ``KeyboardInterrupt`` after the same clean shutdown; stream failures are reported."""
        if self._started:
            raise RuntimeError("a Pipeline runs once; build a new one")
        self._started = True
        started = time.perf_counter()
        results: dict[str, StreamResult] = {}
        shown = None
        if self._batcher is not None:
            self._batcher.start()
        try:
            for run in self.runs.values():
                run.start()
            shown = make_progress(list(self.runs.values())) if self.progress else None
            self._wait(results, shown)
        finally:
            if len(results) < len(self.runs):  # left early: Ctrl-C in this thread
                self.stop()
            for name, run in self.runs.items():
                if name not in results:
                    results[name] = self._finish(run)
            if self._batcher is not None:
                self._batcher.close()
            if shown is not None:
                shown.close()
        self._raise_failure(results)
        calls = self._batcher.calls if self._batcher is not None else 0
        frames = self._batcher.frames if self._batcher is not None else 0
        return RunSummary(
            streams={name: results[name] for name in self.runs},
            seconds=time.perf_counter() - started,
            frames_per_call=frames / calls if calls else 1.0,
            stopped_early=self._stopped,
            per_stream=len(self.runs) > 1,
        )

    def _wait(self, results: dict[str, StreamResult], shown: Progress | None) -> None:
        """Wait in the caller's thread (so Ctrl-C reaches it), driving the sinks' user
        interfaces up to each stream's last frame and finishing each stream as it ends. After a
        shared inference failure every stream ends draining what it holds: recorded ones fail
        at their next inference, live ones stop reading (one waiting for a lost camera would
        never get there)."""
        interactive = any(run.renderer.interactive for run in self.runs.values())
        poll_s = PUMP_POLL_S if interactive else JOIN_POLL_S
        while running := [run for name, run in self.runs.items() if name not in results]:
            if self._batcher is not None and self._batcher.failure is not None:
                for run in running:
                    if run.source.is_live:
                        run.source.close()
            running[0].wait(poll_s)
            for run in running:
                ended = not run.alive
                run.renderer.pump()
                if run.renderer.stop_requested:
                    run.stop()
                if ended:
                    results[run.name] = self._finish(run)
            if shown is not None:
                shown.update()

    def _finish(self, run: StreamRun) -> StreamResult:
        """Close one stream; its failure ends it alone (said at once when others go on)."""
        result = run.finish()
        shared_failed = self._batcher is not None and self._batcher.failure is not None
        if result.error is not None and len(self.runs) > 1 and not shared_failed:
            logger.warning("stream %s stopped: %s", run.name, result.error)
        return result

    def _raise_failure(self, results: dict[str, StreamResult]) -> None:
        """Ctrl-C inside a stream (a callback) or the shared inference's failure, raised once
        everything is closed."""
        for result in results.values():
            if isinstance(result.error, BaseException) and not isinstance(result.error, Exception):
                raise result.error
        failure = self._batcher.failure if self._batcher is not None else None
        if failure is None:
            return
        if isinstance(failure, RtsegError):
            raise failure
        raise StageError("infer", failure) from failure


def _check_streams(streams: Sequence[Stream]) -> None:
    """At least one stream, unique names, and no tracker shared by two streams."""
    if not streams:
        raise ValueError("a Pipeline needs at least one stream")
    names = [stream.name for stream in streams]
    if len(set(names)) < len(names):
        raise ValueError(f"stream names must be unique, got {names}")
    trackers = [id(stream.tracker) for stream in streams if stream.tracker is not None]
    if len(set(trackers)) < len(trackers):
        raise ValueError("each stream needs its own Tracker")
