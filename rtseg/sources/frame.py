"""The unit every source yields, and the interface all sources share."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rtseg.closeable import Closeable
from rtseg.sources.reconnect import Outage

DEFAULT_FPS = 30.0  # the rate taken for a source that reports none (outputs, tracking)


@dataclass(frozen=True)
class Frame:
    """One captured image and where it sits in its source.

    ``index`` counts every frame of the source, skipped ones included, so gaps show strides and
    drops; ``time_ms`` is the source's own timestamp (None where it has none, e.g. images);
    ``captured_at`` is ``time.monotonic()`` when the frame was read, for latency measurements.
    """

    index: int
    image: np.ndarray
    time_ms: float | None
    captured_at: float


@dataclass(frozen=True)
class SourceFacts:
    """What opening a source's outputs needs to know of it (a Ray worker sends it across)."""

    fps: float | None
    is_live: bool


class FrameSource(Closeable):
    """A blocking stream of frames; :meth:`read` returns None at the end or once closed."""

    name: str
    is_live: bool
    fps: float | None = None
    frame_count: int | None = None
    size: tuple[int, int] | None = None
    dropped: int = 0
    lost_since: float | None = None  # time.monotonic() of the last frame before a lost link
    undecodable: int | None = None  # recorded input skipped as damaged (None: not counted)

    @property
    def connected(self) -> bool:
        """False while a network stream is lost and being reconnected."""
        return self.lost_since is None

    @property
    def facts(self) -> SourceFacts:
        return SourceFacts(self.fps, self.is_live)

    @property
    def outages(self) -> list[Outage]:
        """Finished interruptions of a network stream, oldest first (none for other sources)."""
        return []

    @abstractmethod
    def read(self) -> Frame | None:
        """The next frame (recorded) or the newest one (live); None when the input is over."""

    @abstractmethod
    def close(self) -> None:
        """Release the input; idempotent, and a pending :meth:`read` returns None."""

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.read()) is not None:
            yield frame
