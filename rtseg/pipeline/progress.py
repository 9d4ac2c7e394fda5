"""Progress while a run goes on: a tqdm bar for recorded sources, a status line for live ones.

Both are driven by the pipeline's waiting loop (the caller's thread), never by a stage thread.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
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


class StatusLines:
    """Every few seconds, one line per stream still running: current fps, latency, frames
    dropped so far and the source's link (prefixed with the stream's name when several)."""

    def __init__(self, runs: Sequence[Running], stream: TextIO) -> None:
        self._runs = runs
        self._stream = stream
        self._every = Every()

    def update(self) -> None:
        if not self._every.due():
            return
        for run in self._runs:
            if run.alive:
                text = status_text(run.stats, run.dropped, run.source)
                name = f"{run.name}: " if len(self._runs) > 1 else ""
                print(f"{name}{text}", file=self._stream, flush=True)

    def close(self) -> None:
        """Nothing to tear down: the summary follows."""


class Running(Protocol):
    """What progress reads of a running stream."""

    name: str
    stats: Stats
    source: FrameSource

    @property
    def alive(self) -> bool: ...

    @property
    def dropped(self) -> int: ...


def make_progress(runs: Sequence[Running], stream: TextIO | None = None) -> Progress:
    """A tqdm bar for one recorded stream, else status lines, written to ``stream`` (stderr)."""
    stream = stream or sys.stderr
    if len(runs) == 1 and not runs[0].source.is_live:
        run = runs[0]
        return ProgressBar(run.stats, run.source.frame_count, run.source.name, stream)
    return StatusLines(runs, stream)
