"""Surviving a lost network stream: capped exponential backoff, the record of each outage, and
telling a finite stream's end from a drop."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from rtseg.errors import RtsegError

logger = logging.getLogger(__name__)

T = TypeVar("T")

END_SLACK_S = 1.0  # a finite stream may stop this much short of its announced length...
END_SLACK_SHARE = 0.02  # ...or this share of it, whichever is more, and still have ended
UNKNOWN_FPS = 25.0  # for the slack of a stream that announced no frame rate


@dataclass(frozen=True)
class Outage:
    """One interruption: ``start`` and ``end`` are ``time.monotonic()`` of the last frame before
    it and the first one after it (or of giving up), ``frames_lost`` what the gap cost."""

    start: float
    end: float
    frames_lost: int

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class ReconnectPolicy:
    """Retry after ``initial_s``, doubling up to ``max_s``; give up after ``give_up_s`` without
    success (None: retry until closed)."""

    initial_s: float = 0.5
    max_s: float = 8.0
    give_up_s: float | None = None

    def delays(self) -> Iterator[float]:
        """The waits before each retry: 0.5, 1, 2, 4, 8, 8, ... s by default."""
        delay = self.initial_s
        while True:
            yield delay
            delay = min(delay * 2.0, self.max_s)


def frames_lost(gap_s: float, fps: float) -> int:
    """Frames a camera at ``fps`` sent between two frames ``gap_s`` apart and we never saw."""
    return max(0, round(gap_s * fps) - 1)


def end_slack(announced: int, fps: float | None) -> int:
    """Frames a stream announcing ``announced`` frames may fall short by and still have ended:
    one second's worth or 2 % of its length, whichever is more. Announced lengths are estimates
    (duration x nominal fps; a camera's real rate drifts) and the last frames may be cut off."""
    per_second = math.ceil(END_SLACK_S * (fps or UNKNOWN_FPS))
    return max(per_second, math.ceil(END_SLACK_SHARE * announced))


def stream_finished(delivered: int, announced: int, fps: float | None) -> bool:
    """Whether a finite stream that stopped after ``delivered`` frames (counted from its
    beginning) of the ``announced`` ones has ended, rather than dropped mid-way."""
    return delivered >= announced - end_slack(announced, fps)


def retry(
    attempt: Callable[[], T], policy: ReconnectPolicy, stop: threading.Event, name: str
) -> T | None:
    """Call ``attempt`` after each backoff delay until it returns instead of raising RtsegError.

    None once ``stop`` is set (it interrupts a wait at once) or the policy gives up.
    """
    started, delays = time.monotonic(), policy.delays()
    while True:
        delay = next(delays)
        waited = time.monotonic() - started + delay
        if policy.give_up_s is not None and waited > policy.give_up_s:
            return None
        if stop.wait(delay):
            return None
        try:
            return attempt()
        except RtsegError as error:
            logger.debug("%s: still unavailable: %s", name, error)
