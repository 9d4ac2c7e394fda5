"""Progress while a run goes on: a tqdm bar for recorded sources, a status line for live ones.

Both are driven by the pipeline's monitor loop (the caller's thread), never by a stage thread.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Protocol, TextIO

from tqdm import tqdm

from rtseg.pipeline.stats import Stats

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


def status_text(stats: Stats, dropped: int) -> str:
    """Frames so far, current fps, latency p50/p95 and drops, as one status line."""
    fps, (p50, p95) = stats.recent()
    return (
        f"{stats.frames} frames, {fps:.1f} fps, latency p50/p95 {p50:.0f}/{p95:.0f} ms,"
        f" dropped {dropped}"
    )


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
    """Every few seconds: current fps, latency p50/p95 and frames dropped so far."""

    def __init__(self, stats: Stats, dropped: Callable[[], int], stream: TextIO) -> None:
        self._stats = stats
        self._dropped = dropped
        self._stream = stream
        self._every = Every()

    def update(self) -> None:
        if not self._every.due():
            return
        print(status_text(self._stats, self._dropped()), file=self._stream, flush=True)

    def close(self) -> None:
        """Nothing to tear down: the summary follows."""


def make_progress(
    stats: Stats,
    *,
    live: bool,
    total: int | None,
    name: str,
    dropped: Callable[[], int],
    stream: TextIO | None = None,
) -> Progress:
    """The right progress display for the source kind, writing to ``stream`` (stderr)."""
    stream = stream or sys.stderr
    if live:
        return StatusLine(stats, dropped, stream)
    return ProgressBar(stats, total, name, stream)
