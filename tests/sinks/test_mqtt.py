"""MqttSink against a real mosquitto: every event arrives or is counted dropped, also when
the broker is killed mid-run and started again; occupancy retained; online/offline status."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from paho.mqtt import client as mqtt

from rtseg.analytics import Analytics, Event
from rtseg.errors import RtsegError
from rtseg.sinks.mqtt import MqttSink, parse_mqtt_url
from tests.analytics.helpers import GATE, frame, objects, site
from tests.mqtt_broker import Mosquitto

ZONE = {"name": "hall", "polygon": [[0, 0], [640, 0], [640, 200], [0, 200]]}
TRACKS = 8


class Subscriber:
    """A persistent-session QoS 1 subscriber to ``prefix/#`` that keeps what it receives."""

    def __init__(self, port: int, client_id: str = "test-subscriber") -> None:
        self.messages: list[tuple[str, str, bool]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False
        )
        self.client.reconnect_delay_set(0.1, 0.5)
        self.client.on_connect = lambda c, u, f, r, p: c.subscribe("site/#", qos=1)
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.on_message = self._keep
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self._subscribed.wait(10)

    def _keep(self, client, userdata, message) -> None:
        with self._lock:
            self.messages.append((message.topic, message.payload.decode(), message.retain))

    def wait_for(self, topic: str, count: int, timeout_s: float = 15.0) -> None:
        """Until ``count`` distinct payloads arrived on ``topic`` (QoS 1 may repeat one), or
        ``timeout_s``: a subscriber coming back after an outage gets its backlog then."""
        deadline = time.monotonic() + timeout_s
        while len(set(self.received(topic))) < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def received(self, topic: str) -> list[str]:
        with self._lock:
            return [payload for t, payload, _ in self.messages if t == topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def broker(tmp_path) -> Iterator[Mosquitto]:
    server = Mosquitto(tmp_path)
    server.start()
    yield server
    server.stop()


def key(event: dict) -> tuple:
    return (
        event["event"],
        event.get("line") or event.get("zone"),
        event["frame"],
        event["track_id"],
    )


def frames(count: int) -> Iterator[tuple[int, object]]:
    """``TRACKS`` tracks crossing the gate back and forth every 5 frames: many events."""
    for index in range(count):
        y = 150 if (index // 5) % 2 == 0 else 250
        yield index, objects([(40 + 70 * k, y) for k in range(TRACKS)], list(range(1, TRACKS + 1)))


def feed(sink: MqttSink, analytics: Analytics, start: int, stop: int, sent: list[Event]) -> None:
    for index, detections in frames(stop):
        if index >= start:
            analytics.update(frame(index), detections)
            sent += detections.metadata["analytics"].events
            sink.write(frame(index), None, detections)
            time.sleep(0.005)


def test_every_event_is_delivered_or_counted_dropped_across_a_broker_restart(broker) -> None:
    subscriber = Subscriber(broker.port)
    sink = MqttSink(f"mqtt://127.0.0.1:{broker.port}/site", close_wait_s=20)
    analytics = Analytics(site([GATE], [ZONE]), "cam")
    sent: list[Event] = []
    feed(sink, analytics, 0, 100, sent)
    broker.stop()  # killed mid-run: the frames go on
    feed(sink, analytics, 100, 200, sent)
    broker.start()
    feed(sink, analytics, 200, 300, sent)
    sink.close()
    subscriber.wait_for("site/events", sink.delivered)
    subscriber.close()

    assert sink.published + sink.dropped == len(sent) > 500
    assert sink.delivered + sink.dropped == len(sent)
    assert sink.dropped == 0  # the default queue holds a 1 s outage
    received = {key(json.loads(p)) for p in subscriber.received("site/events")}
    assert received == {key(event.to_dict()) for event in sent}
    occupancy = subscriber.received("site/cam/hall/occupancy")
    final = analytics.update(frame(300), objects([], [])).metadata["analytics"].zones_record()
    assert occupancy[-1] == str(final["hall"])
    assert subscriber.received("site/status")[-1] == "offline"


def test_events_beyond_the_queue_while_the_broker_is_away_are_counted_dropped(broker) -> None:
    sink = MqttSink(f"mqtt://127.0.0.1:{broker.port}/site", queue_limit=20, close_wait_s=20)
    analytics = Analytics(site([GATE]), "cam")
    sent: list[Event] = []
    feed(sink, analytics, 0, 20, sent)
    broker.stop()
    feed(sink, analytics, 20, 120, sent)
    broker.start()
    feed(sink, analytics, 120, 140, sent)
    sink.close()
    assert sink.dropped > 0
    assert sink.published + sink.dropped == len(sent)
    assert sink.delivered + sink.dropped == len(sent)


def test_occupancy_is_retained_for_late_subscribers(broker) -> None:
    sink = MqttSink(f"mqtt://127.0.0.1:{broker.port}/site")
    analytics = Analytics(site(zones=[ZONE]), "cam")
    feed(sink, analytics, 0, 3, [])
    sink.close()
    late = Subscriber(broker.port, "late")
    time.sleep(0.5)
    assert late.received("site/cam/hall/occupancy") == [str(TRACKS)]
    assert late.received("site/status") == ["offline"]
    late.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://broker", ("broker", 1883, "rtseg")),
        ("mqtt://10.0.0.2:1884/plant/bay-3", ("10.0.0.2", 1884, "plant/bay-3")),
    ],
)
def test_mqtt_urls(url, expected) -> None:
    target = parse_mqtt_url(url)
    assert (target.host, target.port, target.prefix) == expected


@pytest.mark.parametrize("url", ["http://broker", "mqtt://", "mqtt://h:99999", "mqtt://h/a/#"])
def test_bad_mqtt_urls_are_one_line_errors(url) -> None:
    with pytest.raises(RtsegError, match="--mqtt"):
        parse_mqtt_url(url)
