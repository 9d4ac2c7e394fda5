"""Frames and tracked detections with exactly known footpoints, for the counting rules."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import supervision as sv

from rtseg.analytics import Analytics, Event, parse_site
from rtseg.sources import Frame

WIDTH, HEIGHT = 640, 360
FPS = 30.0


def frame(
    index: int, time_ms: float | None = -1.0, size: tuple[int, int] = (WIDTH, HEIGHT)
) -> Frame:
    """Frame ``index`` of a ``size`` stream at 30 fps (``time_ms`` -1: index / fps); its image
    is a read-only view of one black pixel, all analytics reads of it is its size."""
    width, height = size
    image = np.broadcast_to(np.zeros((1, 1, 3), dtype=np.uint8), (height, width, 3))
    stamp = index * 1000.0 / FPS if time_ms == -1.0 else time_ms
    return Frame(index, image, stamp, 0.0)


def objects(
    feet: Sequence[tuple[float, float]], ids: Sequence[int], classes: Sequence[int] | None = None
) -> sv.Detections:
    """Box-only tracked detections (20 x 40 boxes) whose footpoints are ``feet``."""
    feet_array = np.asarray(feet, dtype=np.float64).reshape(-1, 2)
    x, y = feet_array[:, 0], feet_array[:, 1]
    return sv.Detections(
        xyxy=np.stack([x - 10, y - 40, x + 10, y], axis=1),
        confidence=np.full(len(feet_array), 0.9),
        class_id=np.asarray(classes if classes is not None else [0] * len(feet_array), dtype=int),
        tracker_id=np.asarray(ids, dtype=int),
    )


GATE = {"name": "gate", "points": [[100, 200], [540, 200]], "in_side": [320, 300]}
"""A horizontal line at y = 200 across most of the frame; "in" is downwards."""


def site(lines: list[dict] | None = None, zones: list[dict] | None = None):
    return parse_site({"lines": lines or [], "zones": zones or []}, "test")


def run(analytics: Analytics, steps: Sequence[sv.Detections], start: int = 0) -> list[Event]:
    """Feed one detections per frame from frame ``start`` on; every event, in order."""
    events: list[Event] = []
    for offset, detections in enumerate(steps):
        result = analytics.update(frame(start + offset), detections).metadata["analytics"]
        events += result.events
    return events


def kinds(events: Sequence[Event]) -> list[tuple[str, str | None]]:
    """(event, direction or zone) of each event."""
    return [(e.event, e.direction or e.zone) for e in events]
