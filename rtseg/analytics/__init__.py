"""Zones, lines and events on tracked detections (``rtseg run --analytics site.yaml``).

:class:`Analytics` counts one stream: ``update(frame, detections)`` right after the tracker
attaches the frame's :class:`AnalyticsResult` to ``detections.metadata["analytics"]``, where the
sinks (events JSON Lines, MQTT, ``--jsonl``, metrics) and the annotator read it.
"""

from rtseg.analytics.analytics import Analytics
from rtseg.analytics.events import METADATA_KEY, AnalyticsResult, Event
from rtseg.analytics.site import LineSpec, Site, ZoneSpec, load_site, parse_site

__all__ = [
    "METADATA_KEY",
    "Analytics",
    "AnalyticsResult",
    "Event",
    "LineSpec",
    "Site",
    "ZoneSpec",
    "load_site",
    "parse_site",
]
