"""Turn the first SIGINT/SIGTERM into a clean pipeline stop instead of an abrupt exit."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class Caught:
    """The signal that asked for the stop, if any."""

    signum: int | None = None

    @property
    def exit_code(self) -> int:
        """The shell convention for a signal ending a program: 128 + signal number."""
        return 128 + self.signum if self.signum is not None else 0


@contextmanager
def stop_on_signals(stop: Callable[[], None]) -> Iterator[Caught]:
    """Call ``stop`` on the first SIGINT/SIGTERM; the handlers in place before come back at
    once, so a second Ctrl-C interrupts as usual. Does nothing off the main thread."""
    caught = Caught()
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    def handle(signum: int, _frame: FrameType | None) -> None:
        caught.signum = signum
        restore()
        stop()

    for signum in SIGNALS:
        signal.signal(signum, handle)
    try:
        yield caught
    finally:
        restore()
