"""What analytics reports: events (one JSON object each) and each frame's result, attached to
``detections.metadata["analytics"]`` for the sinks and annotators downstream."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

METADATA_KEY = "analytics"
"""Key of ``sv.Detections.metadata`` holding a frame's :class:`AnalyticsResult`."""

LINE_CROSS = "line_cross"
ZONE_ENTER = "zone_enter"
ZONE_EXIT = "zone_exit"
ZONE_LOITER = "zone_loiter"
DIRECTIONS = ("in", "out")


@dataclass(frozen=True)
class Event:
    """One event. ``line``/``direction`` belong to line crossings, ``zone`` to zone events,
    ``dwell_s`` to exits and loiters, ``reason`` to exits of a track lost inside."""

    event: str
    stream: str
    frame: int
    time_ms: float
    track_id: int
    class_id: int
    class_name: str
    line: str | None = None
    direction: str | None = None
    zone: str | None = None
    dwell_s: float | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The event's JSON object, keys in the documented order, unset keys left out."""
        place = {"line": self.line, "direction": self.direction, "zone": self.zone}
        record: dict[str, Any] = {"event": self.event}
        record.update((key, value) for key, value in place.items() if value is not None)
        record.update(
            stream=self.stream,
            frame=self.frame,
            time_ms=self.time_ms,
            track_id=self.track_id,
            class_id=self.class_id,
            class_name=self.class_name,
        )
        if self.dwell_s is not None:
            record["dwell_s"] = round(self.dwell_s, 3)
        if self.reason is not None:
            record["reason"] = self.reason
        return record


@dataclass(frozen=True)
class AnalyticsResult:
    """One frame's analytics: its events, each zone's occupancy now and each line's crossings
    so far (both per class name), and for drawing, per detection row, its footpoint and which
    zones it is inside.

    ``occupancy`` counts the tracks inside a zone, a lost one until its ``zone_exit``, so it
    always equals enters minus exits."""

    stream: str
    frame: int
    time_ms: float
    events: tuple[Event, ...]
    occupancy: dict[str, dict[str, int]]
    crossings: dict[str, dict[str, dict[str, int]]]
    footpoints: np.ndarray = field(repr=False)
    inside: dict[str, np.ndarray] = field(repr=False)

    def zones_record(self) -> dict[str, int]:
        """``{"zone": occupancy}``, the JSON Lines frame key ``zones``."""
        return {zone: sum(counts.values()) for zone, counts in self.occupancy.items()}

    def lines_record(self) -> dict[str, dict[str, int]]:
        """``{"line": {"in": n, "out": m}}``, the JSON Lines frame key ``lines``."""
        return {
            line: {direction: sum(by_class.values()) for direction, by_class in counts.items()}
            for line, counts in self.crossings.items()
        }
