"""The real model and tracker over a clip with exactly known crossings and stays
(tests/analytics/clip.py): exact counts, and the same totals from --events, the per-frame
JSON Lines, the metrics and an MQTT subscriber."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict

import cv2
from prometheus_client.parser import text_string_to_metric_families

from rtseg import Analytics, Tracker
from rtseg.analytics import parse_site
from rtseg.serve.metrics import render_metrics
from rtseg.serve.stats import LiveStats
from rtseg.sinks import JsonlSink
from rtseg.sinks.events import EventsJsonlSink
from rtseg.sinks.mqtt import MqttSink
from rtseg.sources import Frame
from tests.analytics import clip
from tests.conftest import SHARED
from tests.mqtt_broker import Mosquitto
from tests.sinks.test_mqtt import Subscriber

MEDIA = SHARED / "media"


def test_the_known_clip_gives_exact_counts_everywhere(segmenter, known_clip, tmp_path) -> None:
    broker = Mosquitto(tmp_path)
    broker.start()
    subscriber = Subscriber(broker.port)
    mqtt_sink = MqttSink(f"mqtt://127.0.0.1:{broker.port}/site")
    events_path, frames_path = tmp_path / "events.jsonl", tmp_path / "frames.jsonl"
    sinks = [EventsJsonlSink(events_path), JsonlSink(frames_path, segmenter.names), mqtt_sink]
    stats = LiveStats()
    tracker = Tracker.for_conf(0.25, clip.FPS)
    analytics = Analytics(
        parse_site(clip.SITE),
        "cam",
        lost_buffer=tracker.max_missed,
        fps=clip.FPS,
        names=segmenter.names,
    )
    capture = cv2.VideoCapture(str(known_clip))
    index = 0
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frame = Frame(index, image, index * 1000.0 / clip.FPS, time.monotonic())
        detections = analytics.update(frame, tracker.update(segmenter(image)))
        for sink in sinks:
            sink.write(frame, None, detections)
        stats.add(frame.index, frame.captured_at, detections)
        index += 1
    capture.release()
    for sink in sinks:
        sink.close()
    time.sleep(0.5)
    subscriber.close()
    broker.stop()

    events = [json.loads(line) for line in events_path.read_text().splitlines()]
    kinds = Counter((e["event"], e.get("direction") or e.get("zone")) for e in events)
    truth = clip.TRUTH
    assert kinds == {
        ("line_cross", "in"): truth["gate"]["in"],
        ("line_cross", "out"): truth["gate"]["out"],
        ("zone_enter", "pad"): truth["pad_enter"],
        ("zone_exit", "pad"): truth["pad_exit"],
        ("zone_loiter", "pad"): truth["pad_loiter"],
    }
    (exit_event,) = [e for e in events if e["event"] == "zone_exit"]
    assert exit_event["class_name"] == "person" and abs(exit_event["dwell_s"] - 2.84) <= 0.2
    last = json.loads(frames_path.read_text().splitlines()[-1])
    assert last["lines"] == {"gate": truth["gate"]}
    assert last["zones"] == {"pad": 0}
    metrics = {
        family.name: family.samples
        for family in text_string_to_metric_families(render_metrics(asdict(stats.snapshot())))
    }
    crossings = Counter()
    for sample in metrics["rtseg_line_crossings"]:
        crossings[sample.labels["direction"]] += sample.value
    assert crossings == truth["gate"]
    zone_events = {s.labels["event"]: s.value for s in metrics["rtseg_zone_events"]}
    assert zone_events == {"zone_enter": 1, "zone_exit": 1, "zone_loiter": 1}
    assert [s.value for s in metrics["rtseg_zone_occupancy"]] == [0]
    published = [json.loads(p) for p in subscriber.received("site/events")]
    assert Counter(e["event"] for e in published) == Counter(e["event"] for e in events)
    assert mqtt_sink.delivered == len(events) and mqtt_sink.dropped == 0
