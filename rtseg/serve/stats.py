"""Rolling live statistics fed once per frame by the live-view sink, read by HTTP handlers."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import supervision as sv

from rtseg.analytics.events import METADATA_KEY
from rtseg.pipeline.stats import latency_figures
from rtseg.serve.analytics_stats import AnalyticsTally

WINDOW_S = 5.0  # fps and latency percentiles cover the frames of the last few seconds


@dataclass(frozen=True)
class LiveSnapshot:
    """Stats at one instant. ``fps``/``latency_ms`` cover the last ``WINDOW_S`` seconds;
    ``objects``/``active_tracks`` the newest frame; ``frames``/``latency_seconds_sum``/
    ``total_tracks`` the whole run. ``frame_age_s`` is None before the first frame.
    ``analytics`` holds the line, zone and dwell totals (None unless the frames were counted;
    :class:`~rtseg.serve.analytics_stats.AnalyticsTally`)."""

    frames: int
    fps: float
    latency_ms: dict[str, float]
    latency_seconds_sum: float
    objects: dict[str, int]
    tracking: bool
    active_tracks: int
    total_tracks: int
    last_frame_index: int | None
    frame_age_s: float | None
    analytics: dict[str, list[dict[str, Any]]] | None = None


def class_counts(detections: sv.Detections) -> dict[str, int]:
    """Objects per class name (class id as text where detections carry no names)."""
    names = detections.data.get("class_name")
    if names is None:
        names = [] if detections.class_id is None else [str(c) for c in detections.class_id]
    return dict(sorted(Counter(str(name) for name in names).items()))


class LiveStats:
    """Thread-safe: :meth:`add` on the pipeline thread, :meth:`snapshot` from any thread.

    Latency is ``clock() - frame.captured_at``, so ``clock`` must be the clock that stamped
    the frames (``time.monotonic``); tests pass a fake one.
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, window_s: float = WINDOW_S
    ) -> None:
        self.clock = clock
        self.window_s = window_s
        self._recent: deque[tuple[float, float]] = deque()  # (added at, latency s)
        self._frames = 0
        self._latency_sum = 0.0
        self._objects: dict[str, int] = {}
        self._active_ids: frozenset[int] | None = None
        self._track_ids: set[int] = set()
        self._last_index: int | None = None
        self._last_added: float | None = None
        self._analytics = AnalyticsTally()
        self._lock = threading.Lock()

    def add(self, index: int, captured_at: float, detections: sv.Detections) -> None:
        """Record one processed frame (its source index, capture time and detections)."""
        now = self.clock()
        latency = max(0.0, now - captured_at)
        objects = class_counts(detections)
        ids = None if detections.tracker_id is None else frozenset(detections.tracker_id.tolist())
        analytics = detections.metadata.get(METADATA_KEY)
        with self._lock:
            if analytics is not None:
                self._analytics.add(analytics)
            self._recent.append((now, latency))
            self._prune(now)
            self._frames += 1
            self._latency_sum += latency
            self._objects = objects
            self._active_ids = ids
            self._track_ids.update(ids or ())
            self._last_index = index
            self._last_added = now

    def snapshot(self) -> LiveSnapshot:
        now = self.clock()
        with self._lock:
            self._prune(now)
            times = [t for t, _ in self._recent]
            latencies = np.array([latency for _, latency in self._recent], dtype=np.float64)
            snapshot = LiveSnapshot(
                frames=self._frames,
                fps=rate(times),
                latency_ms=latency_summary_ms(latencies),
                latency_seconds_sum=self._latency_sum,
                objects=dict(self._objects),
                tracking=self._active_ids is not None,
                active_tracks=len(self._active_ids or ()),
                total_tracks=len(self._track_ids),
                last_frame_index=self._last_index,
                frame_age_s=None if self._last_added is None else now - self._last_added,
                analytics=self._analytics.status(),
            )
        return snapshot

    def _prune(self, now: float) -> None:
        while self._recent and self._recent[0][0] < now - self.window_s:
            self._recent.popleft()


def rate(times: list[float]) -> float:
    """Events per second between the first and last of ``times``; 0 with fewer than two."""
    if len(times) < 2 or times[-1] <= times[0]:
        return 0.0
    return (len(times) - 1) / (times[-1] - times[0])


def latency_summary_ms(latencies_s: np.ndarray) -> dict[str, float]:
    """p50, p95 and max of ``latencies_s`` in milliseconds; zeros when empty."""
    return dict(zip(("p50", "p95", "max"), latency_figures(latencies_s * 1e3), strict=True))
