"""Run statistics: per-stage timings, end-to-end latency, fps, drops and tracks → ``Summary``."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rtseg.sources.reconnect import Outage

WINDOW = 100_000  # samples kept per series: percentiles cover the most recent frames
RECENT = 60  # frames behind the "current" fps and latency of the live status line


def percentiles(samples: Iterable[float]) -> tuple[float, float]:
    """(p50, p95) of ``samples``; zeros when there are none."""
    p50, p95, _ = latency_figures(samples)
    return p50, p95


def latency_figures(samples: Iterable[float]) -> tuple[float, float, float]:
    """(p50, p95, max) of ``samples``; zeros when there are none."""
    values = np.fromiter(samples, dtype=np.float64)
    if not values.size:
        return 0.0, 0.0, 0.0
    p50, p95 = np.percentile(values, (50, 95))
    return float(p50), float(p95), float(values.max())


def outage_text(outages: Sequence[Outage]) -> str:
    """``1 (4.6 s, ~115 frames lost)`` or ``3 (12.1 s, ~302 frames lost in all)``."""
    seconds = sum(outage.seconds for outage in outages)
    lost = sum(outage.frames_lost for outage in outages)
    in_all = " in all" if len(outages) > 1 else ""
    return f"{len(outages)} ({seconds:.1f} s, ~{lost} frames lost{in_all})"


@dataclass(frozen=True)
class Summary:
    """What a finished run did; ``format()`` gives the lines printed at the end."""

    frames: int
    seconds: float
    dropped: int
    tracks: int | None
    stage_ms: dict[str, tuple[float, float]]
    latency_ms: tuple[float, float, float]
    stopped_early: bool = False
    outages: tuple[Outage, ...] = ()
    undecodable: int | None = None  # recorded frames skipped as damaged; None: live input
    analytics: tuple[str, ...] = ()  # the counts of its lines and zones

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def format(self) -> str:
        stopped = " (stopped early)" if self.stopped_early else ""
        stages = ", ".join(
            f"{name} {p50:.1f}/{p95:.1f}" for name, (p50, p95) in self.stage_ms.items()
        )
        lines = [
            f"{self.frames} frames in {self.seconds:.1f} s, {self.fps:.1f} fps{stopped}",
            "latency p50/p95/max {:.1f}/{:.1f}/{:.1f} ms".format(*self.latency_ms),
            f"per stage p50/p95 ms: {stages}",
            f"dropped frames: {self.dropped}",
        ]
        if self.undecodable is not None:
            lines.append(f"undecodable frames: {self.undecodable}")
        if self.outages:
            lines.append(f"source outages: {outage_text(self.outages)}")
        if self.tracks is not None:
            lines.append(f"tracks: {self.tracks}")
        return "\n".join([*lines, *self.analytics])


@dataclass
class Stats:
    """Thread-safe counters the stages write and the monitor reads while the run goes on."""

    stages: tuple[str, ...]
    started: float = field(default_factory=time.perf_counter)
    frames: int = 0
    _stage_ms: dict[str, deque[float]] = field(init=False)
    _latency_ms: deque[float] = field(init=False)
    _done_at: deque[float] = field(init=False)
    _track_ids: set[int] = field(init=False, default_factory=set)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._stage_ms = {name: deque(maxlen=WINDOW) for name in self.stages}
        self._latency_ms = deque(maxlen=WINDOW)
        self._done_at = deque(maxlen=RECENT)

    def add_time(self, stage: str, seconds: float) -> None:
        with self._lock:
            self._stage_ms[stage].append(seconds * 1e3)

    def frame_done(self, captured_at: float, track_ids: Iterable[int] = ()) -> None:
        """Count one frame through every sink; ``captured_at`` is its ``time.monotonic()``."""
        now = time.monotonic()
        with self._lock:
            self.frames += 1
            self._latency_ms.append((now - captured_at) * 1e3)
            self._done_at.append(now)
            self._track_ids.update(int(i) for i in track_ids)

    def recent(self) -> tuple[float, tuple[float, float, float]]:
        """Current fps and latency (p50, p95, max) over the last few frames, for live status."""
        with self._lock:
            done = list(self._done_at)
            latency = list(self._latency_ms)[-RECENT:]
        span = done[-1] - done[0] if done else 0.0
        fps = (len(done) - 1) / span if span > 0 else 0.0
        return fps, latency_figures(latency)

    def summary(
        self,
        dropped: int,
        tracking: bool,
        stopped_early: bool,
        outages: Sequence[Outage] = (),
        undecodable: int | None = None,
        analytics: tuple[str, ...] = (),
    ) -> Summary:
        with self._lock:
            stage_ms = {name: percentiles(self._stage_ms[name]) for name in self.stages}
            return Summary(
                frames=self.frames,
                seconds=time.perf_counter() - self.started,
                dropped=dropped,
                tracks=len(self._track_ids) if tracking else None,
                stage_ms=stage_ms,
                latency_ms=latency_figures(self._latency_ms),
                stopped_early=stopped_early,
                outages=tuple(outages),
                undecodable=undecodable,
                analytics=analytics,
            )


@dataclass(frozen=True)
class StreamResult:
    """How one stream of a run went. ``summary`` is its pipeline's (None when its Ray actor was
    lost before reporting one); ``error`` is what ended it early, if anything did. On Ray,
    ``written`` counts the frames the driver wrote and ``restarts`` the actor restarts the
    stream resumed after."""

    name: str
    live: bool
    summary: Summary | None
    error: BaseException | str | None = None
    written: int | None = None
    restarts: int = 0

    @property
    def frames(self) -> int:
        if self.written is not None:
            return self.written
        return self.summary.frames if self.summary is not None else 0

    def format(self) -> str:
        """The stream's lines, each starting with its name (indented under a Ray line)."""
        lines = []
        if self.written is not None:
            restarted = f", resumed after {self.restarts} actor restart(s)"
            lines.append(f"{self.written} frames written{restarted if self.restarts else ''}")
        indent = "  " if self.written is not None else ""
        stats = self.summary.format().splitlines() if self.summary is not None else []
        named = [f"{self.name}: {line}" for line in lines]
        named += [f"{indent}{self.name}: {line}" for line in stats]
        if self.error is not None:
            named.append(f"{self.name}: failed: {self.error}")
        return "\n".join(named)


@dataclass(frozen=True)
class RunSummary:
    """What a run did: each stream's result (in stream order) and the whole run's throughput.
    ``frames_per_call`` is above 1 when streams shared batches; ``actors`` is set for a run on
    Ray. ``per_stream`` False reports a one-stream run as that stream alone."""

    streams: dict[str, StreamResult]
    seconds: float
    frames_per_call: float = 1.0
    stopped_early: bool = False
    actors: int | None = None
    per_stream: bool = True

    @property
    def frames(self) -> int:
        return sum(result.frames for result in self.streams.values())

    @property
    def fps(self) -> float:
        """Frames per second over all streams together."""
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    @property
    def undecodable(self) -> int:
        """Recorded frames skipped as damaged, over all streams."""
        return sum(
            result.summary.undecodable or 0
            for result in self.streams.values()
            if result.summary is not None
        )

    @property
    def failed(self) -> dict[str, BaseException | str]:
        """The streams that ended with an error, and the error."""
        return {
            name: result.error for name, result in self.streams.items() if result.error is not None
        }

    def format(self) -> str:
        if not self.per_stream and len(self.streams) == 1:
            (result,) = self.streams.values()
            if result.summary is not None:
                return result.summary.format()
        stopped = " (stopped early)" if self.stopped_early else ""
        head = f"{len(self.streams)} streams"
        if self.actors is not None:
            restarts = sum(result.restarts for result in self.streams.values())
            head += f" on {self.actors} Ray actors"
            tail = f"{restarts} actor restarts"
        else:
            tail = f"{self.frames_per_call:.2f} frames per model call"
        head += f": {self.frames} frames in {self.seconds:.1f} s, {self.fps:.1f} fps in all, {tail}"
        return "\n".join([head + stopped, *(result.format() for result in self.streams.values())])
