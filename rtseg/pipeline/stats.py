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
        return "\n".join(lines)


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
            )
