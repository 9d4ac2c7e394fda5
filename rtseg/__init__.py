"""rtseg: real-time instance segmentation with stable track IDs.

The public names load on first use (PEP 562): ``import rtseg`` alone imports none of the heavy
libraries, only what a program uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rtseg.errors import RtsegError

if TYPE_CHECKING:
    from rtseg.analytics import Analytics
    from rtseg.app.api import Result, segment, track
    from rtseg.engine import Segmenter
    from rtseg.pipeline import Pipeline
    from rtseg.tracking import Tracker

__all__ = [
    "Analytics",
    "Pipeline",
    "Result",
    "RtsegError",
    "Segmenter",
    "Tracker",
    "segment",
    "track",
]

_HOMES = {
    "Analytics": "rtseg.analytics",
    "Pipeline": "rtseg.pipeline",
    "Result": "rtseg.app.api",
    "Segmenter": "rtseg.engine",
    "Tracker": "rtseg.tracking",
    "segment": "rtseg.app.api",
    "track": "rtseg.app.api",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'rtseg' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
