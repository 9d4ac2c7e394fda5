"""The one hand-over between threads: a bounded queue whose waits end when the run stops.

Every place where one thread hands items to another uses it: the pipeline's stages, a source's
capture thread, the preview window, a Ray worker's results and the Python API's loop. Two ways
in: :meth:`Handover.put` waits for room (recorded input: every item, back-pressure) and
:meth:`Handover.offer` never waits, replacing the oldest item not taken yet (live input: only
the newest counts). No wait outlives ``stop`` (checked every ``POLL_S``) or :meth:`close`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Generic, TypeVar

POLL_S = 0.05  # how often a wait re-checks the stop event

T = TypeVar("T")


class Handover(Generic[T]):
    """At most ``size`` items from producers to a consumer; ``stop`` (an event) ends every wait
    at once, :meth:`close` ends the input (what is queued can still be taken)."""

    def __init__(self, size: int = 1, stop: threading.Event | None = None) -> None:
        if size < 1:
            raise ValueError("a hand-over holds at least one item")
        self.size = size
        self.dropped = 0  # items replaced by offer() before anyone took them
        self._stop = stop or threading.Event()
        self._items: deque[T] = deque()
        self._changed = threading.Condition()
        self._closed = False

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._items)

    def close(self) -> None:
        """No more items: producers get False, the consumer gets what is left, then None."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def put(self, item: T) -> bool:
        """Hand ``item`` over, waiting for room; False when stopped or closed first."""
        with self._changed:
            while len(self._items) >= self.size:
                if self._closed or self.stopping:
                    return False
                self._changed.wait(POLL_S)
            return self._append(item)

    def offer(self, item: T) -> bool:
        """Hand ``item`` over without waiting: when full, the oldest item not taken yet goes
        (counted in ``dropped``). False when stopped or closed."""
        with self._changed:
            if len(self._items) >= self.size and not self._closed:
                self._items.popleft()
                self.dropped += 1
            return self._append(item)

    def _append(self, item: T) -> bool:
        if self._closed or self.stopping:
            return False
        self._items.append(item)
        self._changed.notify_all()
        return True

    def get(self, timeout: float | None = None) -> T | None:
        """The next item; None once stopped, once closed and empty, or after ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while not self._items:
                left = POLL_S if deadline is None else min(POLL_S, deadline - time.monotonic())
                if self._closed or self.stopping or left <= 0:
                    return None
                self._changed.wait(left)
            if self.stopping:
                return None
            item = self._items.popleft()
            self._changed.notify_all()
            return item

    def take(self) -> T | None:
        """The next item if one is there, else None (never waits)."""
        return self.get(timeout=0)
