"""Waiting for a condition instead of for a time: a test that sleeps a fixed time before it
checks something assumes how fast the machine is, and fails at random on a slower one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
POLL_S = 0.05


def wait_until(
    condition: Callable[[], T | None],
    guard_s: float,
    what: str,
    alive: Callable[[], bool] | None = None,
    poll_s: float = POLL_S,
) -> T:
    """Poll ``condition`` until it returns something truthy (returned); fail after ``guard_s``
    (a hang guard: never a speed check) or as soon as ``alive()`` says the program under test
    has ended. ``poll_s``: between two tries (longer for a costly condition)."""
    deadline = time.monotonic() + guard_s
    while not (result := condition()):
        assert alive is None or alive(), f"the program ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(poll_s)
    return result
