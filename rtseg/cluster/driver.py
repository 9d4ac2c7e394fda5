"""``RayHost``: the engine on Ray actors, results written by the driver.

Each actor (a :class:`~rtseg.cluster.worker.StreamGroupWorker`) runs the engine on its group of
streams with its own model session; the driver polls every actor and writes each stream's
outputs through the same :class:`~rtseg.pipeline.render.Renderer` as a run in this process
(drawing where an output needs it, dropping an output that fails), so outputs live in one
place whatever the cluster does. When
an actor crashes, Ray restarts it (``max_restarts``); the driver sees a worker that has not
been started, starts it again with each recorded stream resuming at the frame after the last
one written, and shifts the new tracker's IDs past those already used. Nothing already
written is lost or repeated.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from rtseg.annotate import FrameAnnotator
from rtseg.cluster.transfer import FrameResult
from rtseg.cluster.worker import Poll, StreamGroupWorker
from rtseg.errors import RtsegError
from rtseg.pipeline.progress import Every
from rtseg.pipeline.render import Renderer
from rtseg.pipeline.stages import stage_failure
from rtseg.pipeline.stats import RunSummary, StreamResult
from rtseg.pipeline.stream_plan import ModelPlan, StreamPlan
from rtseg.sinks import Sink
from rtseg.sources import SourceFacts

logger = logging.getLogger(__name__)

POLL_TIMEOUT_S = 0.5
PROBE_S = 10.0  # to reach a cluster's address
RETRY_S = 0.5  # wait before polling an actor that Ray is restarting
UNAVAILABLE_LIMIT_S = 60.0  # an actor unreachable this long counts as lost for good

OutputFactory = Callable[[StreamPlan, SourceFacts], Sequence[Sink]]


@dataclass
class StreamProgress:
    """What the driver has written for one stream, and how (its outputs, once the worker
    reported its source's facts)."""

    frames: int = 0
    next_index: int = 0  # where a restarted worker resumes a recorded source
    id_offset: int = 0  # added to the tracker IDs of the current worker run
    max_id: int = 0
    restarts: int = 0
    live: bool = False
    renderer: Renderer | None = None
    error: BaseException | None = None  # an output that failed here


@dataclass
class ActorState:
    """One actor, its streams, and the poll in flight."""

    handle: Any
    streams: list[str]
    pending: Any = None
    started: bool = False
    finished: bool = False
    unavailable_since: float | None = None
    summaries: list[RunSummary] = field(default_factory=list)
    error: str | None = None


def import_ray() -> Any:
    try:
        import ray
    except ImportError as error:
        raise RtsegError("--ray needs Ray: pip install 'rtseg[ray]'") from error
    return ray


def connect(ray: Any, address: str | None) -> None:
    """Join the cluster at ``address``, or start a local one; RtsegError when that fails."""
    if address:
        check_reachable(address)
    with native_stderr_captured() as native_log:
        try:
            ray.init(
                address=address,
                log_to_driver=False,
                include_dashboard=False,
                logging_level=logging.WARNING,
            )
            return
        except (ConnectionError, RuntimeError, ValueError) as error:
            failure = error
        native_log.seek(0)
        refused_token = "InvalidAuthToken" in native_log.read()
    where = f"the Ray cluster at {address}" if address else "a local Ray"
    reason = str(failure).strip().splitlines()[0] if str(failure).strip() else "failed"
    if refused_token:
        reason = "it requires an authentication token (run with RAY_AUTH_MODE=token)"
    raise RtsegError(f"cannot start or reach {where}: {reason}") from failure


@contextmanager
def native_stderr_captured() -> Iterator[TextIO]:
    """Inside the block, what is written to file descriptor 2 (Ray's C++ client logs a line
    per connection retry) goes to a temporary file instead of the terminal."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+", errors="replace") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield capture
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def check_reachable(address: str) -> None:
    """RtsegError unless something listens at ``[ray://]host:port`` (Ray itself would wait
    for an absent cluster for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not port.isdigit():
        return  # "auto" and other forms Ray resolves itself
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), PROBE_S).close()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise RtsegError(f"cannot reach the Ray cluster at {address}: {reason}") from error


def groups(names: Sequence[str], count: int) -> list[list[str]]:
    """``names`` dealt round-robin into ``count`` non-empty groups (fewer if names run out)."""
    count = max(1, min(count, len(names)))
    return [list(names[i::count]) for i in range(count)]


class RayHost:
    """Run ``streams`` on ``actors`` Ray actors (default: one per stream, at most the
    cluster's CPUs / ``cpus_per_actor``), each running the engine with its own session of
    ``model`` (its ``path`` resolved), tracked when ``track``. Each stream's results are
    written here through ``outputs(stream, facts)`` (its sinks, opened once its worker reports
    the source's facts) and drawn with ``annotator(stream)``, as in-process.

    ``address``: a running cluster's address, or None for a local ``ray.init()`` (Ray already
    initialised in this process is used as is). Each actor declares ``cpus_per_actor`` CPUs and,
    when the cluster has GPUs and ``model.device`` is not "cpu" or OpenVINO, its share of them
    (at most one).
    ``max_restarts``: how often Ray may restart each crashed actor. The host owns the sinks
    that ``outputs`` opens: :meth:`run` closes them.
    """

    def __init__(
        self,
        streams: Sequence[StreamPlan],
        model: ModelPlan,
        *,
        track: bool = True,
        outputs: OutputFactory,
        annotator: Callable[[StreamPlan], FrameAnnotator],
        address: str | None = None,
        actors: int | None = None,
        cpus_per_actor: int = 1,
        max_restarts: int = 3,
        progress: bool = False,
    ) -> None:
        names = [stream.name for stream in streams]
        if not names or len(set(names)) < len(names):
            raise ValueError(f"streams need unique names, got {names}")
        if cpus_per_actor < 1 or (actors is not None and actors < 1):
            raise RtsegError("Ray actors and CPUs per actor must be at least 1")
        self.streams = {stream.name: stream for stream in streams}
        self.model = model
        self.track = track
        self.outputs = outputs
        self.annotator = annotator
        self.address = address
        self.actor_count = actors
        self.cpus_per_actor = cpus_per_actor
        self.max_restarts = max_restarts
        self.progress = progress
        self.actors: list[ActorState] = []
        self._progress = {name: StreamProgress() for name in names}
        self._stopping = False
        self._ray: Any = None

    def stop(self) -> None:
        """Ask every actor to end its streams (safe from signal handlers)."""
        self._stopping = True

    def run(self) -> RunSummary:
        """Run until every stream has ended or :meth:`stop`; then close every sink."""
        ray = self._ray = import_ray()
        own_init = not ray.is_initialized()
        if own_init:
            connect(ray, self.address)
        started = time.perf_counter()
        try:
            self._start_actors()
            self._loop()
        finally:
            self._close()
            if own_init:
                ray.shutdown()
        return self._summary(time.perf_counter() - started)

    def _start_actors(self) -> None:
        ray = self._ray
        resources = ray.cluster_resources()
        count = self.actor_count or max(1, int(resources.get("CPU", 1)) // self.cpus_per_actor)
        grouped = groups(list(self.streams), count)
        cpu_only = self.model.device == "cpu" or self.model.device.startswith("openvino")
        gpus = 0.0 if cpu_only else resources.get("GPU", 0.0)
        worker = ray.remote(StreamGroupWorker).options(
            num_cpus=self.cpus_per_actor,
            num_gpus=min(1.0, gpus / len(grouped)) if gpus else 0,
            max_restarts=self.max_restarts,
            max_task_retries=0,
        )
        for names in grouped:
            streams = [self.streams[name] for name in names]
            draws = frozenset(stream.name for stream in streams if stream.draws)
            handle = worker.remote(self.model, streams, self.track, self.cpus_per_actor, draws)
            self.actors.append(ActorState(handle, names))
        logger.info("%d streams on %d Ray actors", len(self.streams), len(self.actors))

    def _loop(self) -> None:
        """Poll every actor until all have finished, writing results as they come."""
        ray = self._ray
        shown = Every() if self.progress else None
        stop_sent = False
        while running := [actor for actor in self.actors if not actor.finished]:
            if self._stopping and not stop_sent:
                stop_sent = True
                for actor in running:
                    actor.handle.stop.remote()
            for actor in running:
                if actor.pending is None:
                    actor.pending = actor.handle.poll.remote(POLL_TIMEOUT_S)
            ready, _ = ray.wait([actor.pending for actor in running], num_returns=1)
            for actor in running:
                if actor.pending in ready:
                    self._answer(actor)
            if shown is not None and shown.due():
                self._print_status()

    def _answer(self, actor: ActorState) -> None:
        """Handle one finished poll of ``actor``."""
        ray = self._ray
        reference, actor.pending = actor.pending, None
        try:
            poll: Poll = ray.get(reference)
        except ray.exceptions.RayActorError as error:
            self._unavailable(actor, error)
            return
        actor.unavailable_since = None
        if not poll.started:
            self._start(actor)
            return
        for result in poll.results:
            self._write(actor, result)
        if poll.finished:
            actor.finished = True
            if poll.summary is not None:
                actor.summaries.append(poll.summary)
            actor.error = poll.error

    def _unavailable(self, actor: ActorState, error: Exception) -> None:
        """The actor crashed or is being restarted: wait and poll again; give its streams up
        when it stays unreachable (Ray ran out of restarts)."""
        now = time.monotonic()
        if actor.unavailable_since is None:
            actor.unavailable_since = now
            logger.warning("Ray actor of %s unavailable", ", ".join(actor.streams))
        if now - actor.unavailable_since > UNAVAILABLE_LIMIT_S:
            actor.finished = True
            actor.error = f"Ray actor lost: {str(error).splitlines()[0]}"
            return
        time.sleep(RETRY_S)

    def _start(self, actor: ActorState) -> None:
        """Start a fresh worker (first run or after a restart), resuming where writing stopped."""
        if self._stopping:
            actor.finished = True
            return
        if actor.started:
            for name in actor.streams:
                progress = self._progress[name]
                progress.restarts += 1
                progress.id_offset = progress.max_id
            logger.warning(
                "Ray actor of %s restarted; resuming at frames %s",
                ", ".join(actor.streams),
                ", ".join(str(self._progress[name].next_index) for name in actor.streams),
            )
        resume = {name: self._progress[name].next_index for name in actor.streams}
        try:
            facts = self._ray.get(actor.handle.start.remote(resume))
        except self._ray.exceptions.RayActorError as error:
            self._unavailable(actor, error)
            return
        except self._ray.exceptions.RayTaskError as error:
            if not isinstance(error.cause, RtsegError):  # a bug, not a source or the model
                raise
            if not actor.started:  # at startup, as without Ray: the run cannot go on
                raise RtsegError(str(error.cause)) from None
            actor.finished = True  # after a restart: only this actor's streams end
            actor.error = f"could not resume: {error.cause}"
            return
        actor.started = True
        for name, source_facts in facts.items():
            progress = self._progress[name]
            progress.live = source_facts.is_live
            if progress.renderer is None:
                sinks = self.outputs(self.streams[name], source_facts)
                progress.renderer = Renderer(sinks, self.annotator(self.streams[name]))

    def _write(self, actor: ActorState, result: FrameResult) -> None:
        """One frame to its stream's outputs, track IDs shifted past earlier worker runs. An
        output that fails is dropped and ends the stream, as in-process: reading stops, the
        other outputs get every frame already read."""
        progress = self._progress[result.stream]
        frame, detections = result.frame, result.detections
        if detections.tracker_id is not None and len(detections):
            detections.tracker_id = detections.tracker_id + progress.id_offset
            progress.max_id = max(progress.max_id, int(np.max(detections.tracker_id)))
        failure = progress.renderer.render(frame, detections)
        if failure is not None and progress.error is None:
            progress.error = stage_failure("render", failure)
            logger.warning("stream %s stopped: %s", result.stream, progress.error)
            actor.handle.stop_reading.remote(result.stream)
        progress.frames += 1
        progress.next_index = frame.index + 1

    def _print_status(self) -> None:
        for name, progress in self._progress.items():
            restarts = f", {progress.restarts} actor restarts" if progress.restarts else ""
            print(f"{name}: {progress.frames} frames{restarts}", file=sys.stderr, flush=True)

    def _close(self) -> None:
        """Close every output opened, then end the actors."""
        for progress in self._progress.values():
            failures = progress.renderer.close() if progress.renderer is not None else []
            if failures and progress.error is None:
                progress.error = stage_failure("render", failures[0])
        for actor in self.actors:
            self._ray.kill(actor.handle, no_restart=True)

    def _summary(self, seconds: float) -> RunSummary:
        """Each stream as its last worker run saw it, with what was written here."""
        reported = {
            name: result
            for actor in self.actors
            for summary in actor.summaries
            for name, result in summary.streams.items()
        }
        lost = {name: actor.error for actor in self.actors if actor.error for name in actor.streams}
        streams = {}
        for name, progress in self._progress.items():
            worker = reported.get(name)
            streams[name] = StreamResult(
                name,
                progress.live,
                worker.summary if worker is not None else None,
                progress.error or lost.get(name) or (worker.error if worker else None),
                written=progress.frames,
                restarts=progress.restarts,
            )
        return RunSummary(streams, seconds, stopped_early=self._stopping, actors=len(self.actors))
