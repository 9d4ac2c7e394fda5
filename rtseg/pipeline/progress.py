"""Progress while a run goes on: a tqdm bar for recorded sources, a status line for live ones.

Both are driven by the pipeline's monitor loop (the caller's thread), never by a stage thread.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Protocol, TextIO

from tqdm import tqdm

from rtseg.pipeline.stats import Stats, outage_text
from rtseg.sources import FrameSource

STATUS_EVERY_S = 2.0


class Progress(Protocol):
    def update(self) -> None: ...

    def close(self) -> None: ...


class ProgressBar:
    """tqdm bar of frames done, with fps and ETA when the frame count is known."""

    def __init__(self, stats: Stats, total: int | None, name: str, stream: TextIO) -> None:
        self._stats = stats
        self._bar = tqdm(total=total, desc=name, unit="frame", file=stream, dynamic_ncols=True)

    def update(self) -> None:
        self._bar.update(self._stats.frames - self._bar.n)

    def close(self) -> None:
        self.update()
        self._bar.close()


def status_text(stats: Stats, dropped: int, source: FrameSource) -> str:
    """Frames so far, current fps, latency p50/p95/max, drops and the source's link, as one
    status line."""
    fps, (p50, p95, worst) = stats.recent()
    text = (
        f"{stats.frames} frames, {fps:.1f} fps, latency p50/p95/max"
        f" {p50:.0f}/{p95:.0f}/{worst:.0f} ms, dropped {dropped}"
    )
    if source.lost_since is not None:
        text += f", source lost {time.monotonic() - source.lost_since:.0f} s ago: reconnecting"
    if outages := source.outages:
        text += f", outages {outage_text(outages)}"
    return text


class Every:
    """True from :meth:`due` once every ``seconds`` (the first time after one period)."""

    def __init__(self, seconds: float = STATUS_EVERY_S) -> None:
        self._seconds = seconds
        self._next_at = time.monotonic() + seconds

    def due(self) -> bool:
        now = time.monotonic()
        if now < self._next_at:
            return False
        self._next_at = now + self._seconds
        return True


class StatusLine:
    """Every few seconds: current fps, latency, frames dropped so far and the source's link."""

    def __init__(
        self, stats: Stats, dropped: Callable[[], int], source: FrameSource, stream: TextIO
    ) -> None:
        self._stats = stats
        self._dropped = dropped
        self._source = source
        self._stream = stream
        self._every = Every()

    def update(self) -> None:
        if not self._every.due():
            return
        print(
            status_text(self._stats, self._dropped(), self._source),
            file=self._stream,
            flush=True,
        )

    def close(self) -> None:
        """Nothing to tear down: the summary follows."""


def make_progress(
    stats: Stats,
    source: FrameSource,
    dropped: Callable[[], int],
    stream: TextIO | None = None,
) -> Progress:
    """The right progress display for the source kind, writing to ``stream`` (stderr)."""
    stream = stream or sys.stderr
    if source.is_live:
        return StatusLine(stats, dropped, source, stream)
    return ProgressBar(stats, source.frame_count, source.name, stream)
