"""--events JSON Lines and the --jsonl frame keys of analytics: exact schema, same totals."""

from __future__ import annotations

import json

from rtseg.analytics import Analytics
from rtseg.sinks import JsonlSink
from rtseg.sinks.events import EventsJsonlSink, StreamView
from tests.analytics.helpers import GATE, frame, objects, site

ZONE = {"name": "crossing", "polygon": [[100, 100], [300, 100], [300, 300], [100, 300]]}
EVENT_KEYS = ["stream", "frame", "time_ms", "track_id", "class_id", "class_name"]


def counted(steps):
    analytics = Analytics(site([GATE], [ZONE]), "cam", names={0: "person"})
    for index, detections in enumerate(steps):
        yield frame(index), analytics.update(frame(index), detections)


def test_events_have_exactly_the_documented_keys(tmp_path) -> None:
    path = tmp_path / "events.jsonl"
    sink = EventsJsonlSink(path)
    steps = [objects([(200, y)], [7]) for y in (150, 250, 250, 330)]
    view = StreamView(sink)  # as one of several streams sharing the file
    for current, detections in counted(steps):
        view.write(current, None, detections)
    sink.close()
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert [list(event) for event in events] == [
        ["event", "zone", *EVENT_KEYS],
        ["event", "line", "direction", *EVENT_KEYS],
        ["event", "zone", *EVENT_KEYS, "dwell_s"],
    ]
    assert events[1] == {
        "event": "line_cross",
        "line": "gate",
        "direction": "in",
        "stream": "cam",
        "frame": 2,
        "time_ms": 2000 / 30,
        "track_id": 7,
        "class_id": 0,
        "class_name": "person",
    }
    assert events[2]["dwell_s"] == 0.1


def test_jsonl_frames_gain_zones_and_lines_only_with_analytics(tmp_path) -> None:
    plain, counted_path = tmp_path / "plain.jsonl", tmp_path / "counted.jsonl"
    plain_sink, counted_sink = JsonlSink(plain), JsonlSink(counted_path)
    steps = [objects([(200, y)], [7]) for y in (150, 250, 250)]
    for current, detections in counted(steps):
        counted_sink.write(current, None, detections)
        bare = objects(detections.xyxy[:, [0, 3]] + [10, 0], detections.tracker_id)
        plain_sink.write(current, None, bare)
    plain_sink.close()
    counted_sink.close()
    last = json.loads(counted_path.read_text().splitlines()[-1])
    assert list(last)[-2:] == ["zones", "lines"]
    assert last["zones"] == {"crossing": 1} and last["lines"] == {"gate": {"in": 1, "out": 0}}
    assert all("zones" not in json.loads(line) for line in plain.read_text().splitlines())
