"""The analytics families of /metrics: counters and gauges per stream/line/zone/class, a dwell
histogram, and no track id in any label."""

from __future__ import annotations

from dataclasses import asdict

from prometheus_client.parser import text_string_to_metric_families

from rtseg.analytics import Analytics
from rtseg.serve.metrics import render_metrics
from rtseg.serve.stats import LiveStats
from tests.analytics.helpers import GATE, frame, objects, site

ZONE = {"name": "pad", "polygon": [[100, 100], [300, 100], [300, 300], [100, 300]]}


def test_crossings_occupancy_events_and_dwell_histogram() -> None:
    analytics = Analytics(site([GATE], [ZONE]), "cam", names={0: "person"})
    stats = LiveStats()
    ys = [150] * 10 + [250] * 60 + [340]  # in the pad from frame 0, over the gate, out at 70
    for index, y in enumerate(ys):
        detections = analytics.update(frame(index), objects([(200, y)], [9]))
        stats.add(index, 0.0, detections)
    text = render_metrics(asdict(stats.snapshot()))
    families = {f.name: f for f in text_string_to_metric_families(text)}
    (crossing,) = families["rtseg_line_crossings"].samples
    assert crossing.labels == {
        "stream": "cam",
        "line": "gate",
        "direction": "in",
        "class": "person",
    }
    assert crossing.value == 1
    assert [s.value for s in families["rtseg_zone_occupancy"].samples] == [0]
    events = {s.labels["event"]: s.value for s in families["rtseg_zone_events"].samples}
    assert events == {"zone_enter": 1, "zone_exit": 1}
    dwell = {
        (s.name, s.labels.get("le")): s.value for s in families["rtseg_zone_dwell_seconds"].samples
    }
    assert dwell[("rtseg_zone_dwell_seconds_bucket", "1.0")] == 0  # 70 frames: 2.33 s
    assert dwell[("rtseg_zone_dwell_seconds_bucket", "5.0")] == 1
    assert dwell[("rtseg_zone_dwell_seconds_count", None)] == 1
    assert all("track" not in key for f in families.values() for s in f.samples for key in s.labels)
