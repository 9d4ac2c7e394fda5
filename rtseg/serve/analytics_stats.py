"""Analytics totals for ``/metrics``: line crossings, zone occupancy and zone events per stream,
zone and class, and a dwell histogram, fed from ``detections.metadata["analytics"]``. Labels
never carry a track id (one series per line, zone and class, however many objects pass)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rtseg.analytics.events import ZONE_EXIT, AnalyticsResult

DWELL_BUCKETS_S = (1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)


class AnalyticsTally:
    """Totals over a run; not thread-safe on its own (LiveStats holds its lock around it)."""

    def __init__(self) -> None:
        self._crossings: dict[tuple[str, str, str, str], int] = {}
        self._occupancy: dict[tuple[str, str, str], int] = {}
        self._events: Counter[tuple[str, str, str]] = Counter()
        self._dwell: dict[tuple[str, str], list[float]] = {}  # bucket counts, then sum, count

    def add(self, result: AnalyticsResult) -> None:
        stream = result.stream
        for line, directions in result.crossings.items():
            for direction, by_class in directions.items():
                for name, count in by_class.items():
                    self._crossings[stream, line, direction, name] = count
        for key in self._occupancy:
            if key[0] == stream:
                self._occupancy[key] = 0  # a class no longer in a zone reads 0
        for zone, by_class in result.occupancy.items():
            for name, count in by_class.items():
                self._occupancy[stream, zone, name] = count
        for event in result.events:
            if event.zone is None:
                continue
            self._events[stream, event.zone, event.event] += 1
            if event.event == ZONE_EXIT and event.dwell_s is not None:
                tally = self._dwell.setdefault(
                    (stream, event.zone), [0.0] * (len(DWELL_BUCKETS_S) + 2)
                )
                for i, bound in enumerate(DWELL_BUCKETS_S):
                    tally[i] += event.dwell_s <= bound
                tally[-2] += event.dwell_s
                tally[-1] += 1

    def status(self) -> dict[str, list[dict[str, Any]]] | None:
        """The totals as JSON-ready lists (``/api/status``'s ``analytics``); None before any."""
        if not (self._crossings or self._occupancy or self._events or self._dwell):
            return None
        return {
            "crossings": [
                {"stream": s, "line": line, "direction": d, "class": c, "count": n}
                for (s, line, d, c), n in sorted(self._crossings.items())
            ],
            "occupancy": [
                {"stream": s, "zone": zone, "class": c, "count": n}
                for (s, zone, c), n in sorted(self._occupancy.items())
            ],
            "zone_events": [
                {"stream": s, "zone": zone, "event": e, "count": n}
                for (s, zone, e), n in sorted(self._events.items())
            ],
            "dwell": [
                {
                    "stream": s,
                    "zone": zone,
                    "buckets": dict(zip(DWELL_BUCKETS_S, tally[:-2], strict=True)),
                    "sum": tally[-2],
                    "count": int(tally[-1]),
                }
                for (s, zone), tally in sorted(self._dwell.items())
            ],
        }
