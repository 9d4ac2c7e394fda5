"""``--mqtt mqtt://host:port/prefix``: analytics events and zone occupancy to an MQTT broker,
without ever holding up the frames.

Topics: every event (the ``--events`` JSON) at QoS 1 to ``prefix/events``; each zone's
occupancy, retained, to ``prefix/<stream>/<zone>/occupancy`` (when it changes, and again after
each reconnect); ``online``/``offline``, retained, to ``prefix/status``, with ``offline`` as the
last will. paho-mqtt's own network thread sends, reconnects and resends unacknowledged
messages; the frame thread only hands messages to its bounded queue. When the queue is full
(the broker gone for long) an event is counted as dropped instead of queued, and events still
unacknowledged when the sink closes are counted dropped too: every event is either delivered
(acknowledged by the broker) or dropped, never lost silently.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import supervision as sv

from rtseg.errors import RtsegError
from rtseg.sinks.events import analytics_result
from rtseg.sources import Frame

logger = logging.getLogger(__name__)

DEFAULT_PORT = 1883
DEFAULT_PREFIX = "rtseg"
QUEUE_LIMIT = 10_000  # messages paho keeps while the broker is away; more are dropped
CLOSE_WAIT_S = 5.0  # how long close waits for the broker to acknowledge what is queued


@dataclass(frozen=True)
class MqttTarget:
    """A broker address and the topic prefix, from ``mqtt://host[:port][/prefix]``."""

    host: str
    port: int
    prefix: str


def parse_mqtt_url(url: str) -> MqttTarget:
    """The broker and prefix of an ``--mqtt`` URL; RtsegError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise RtsegError(f"--mqtt {url}: expected mqtt://host[:port][/prefix]")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError as exc:
        raise RtsegError(f"--mqtt {url}: the port is not a number from 1 to 65535") from exc
    prefix = parts.path.strip("/") or DEFAULT_PREFIX
    if "+" in prefix or "#" in url:
        raise RtsegError(f"--mqtt {url}: the prefix may not hold MQTT wildcards (# or +)")
    return MqttTarget(parts.hostname, port, prefix)


class MqttSink:
    """Publishes analytics to one broker; thread-safe, so streams may share it (each through
    a :class:`~rtseg.sinks.events.StreamView`; the owner closes it once)."""

    needs_annotation = False

    def __init__(
        self, url: str, *, queue_limit: int = QUEUE_LIMIT, close_wait_s: float = CLOSE_WAIT_S
    ) -> None:
        try:
            from paho.mqtt import client as mqtt
        except ImportError as exc:
            raise RtsegError("--mqtt needs paho-mqtt: pip install 'rtseg[mqtt]'") from exc
        self.target = parse_mqtt_url(url)
        self.close_wait_s = close_wait_s
        self.published = 0  # events handed to the client
        self.delivered = 0  # events the broker acknowledged
        self.dropped = 0  # events refused by the full queue, or unacknowledged at close
        self._queue_full = mqtt.MQTT_ERR_QUEUE_SIZE
        # Message ids handed to paho and not yet acknowledged (True: an event), and ids
        # acknowledged before the publishing thread recorded them. paho calls on_publish
        # holding its own lock, so this one is never held while calling paho.
        self._unacked: dict[int, bool] = {}
        self._acked_early: set[int] = set()
        self._occupancy: dict[str, str] = {}  # topic -> last payload queued
        self._lock = threading.Lock()
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self._client.max_queued_messages_set(queue_limit)
        self._client.reconnect_delay_set(min_delay=0.2, max_delay=2)
        self._status = f"{self.target.prefix}/status"
        self._client.will_set(self._status, "offline", qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_publish = self._on_publish
        self._client.connect_async(self.target.host, self.target.port, keepalive=10)
        self._client.loop_start()

    def write(self, frame: Frame, annotated: np.ndarray | None, detections: sv.Detections) -> None:
        result = analytics_result(detections)
        if result is None:
            return
        for event in result.events:
            payload = json.dumps(event.to_dict(), separators=(",", ":"))
            self._publish(f"{self.target.prefix}/events", payload, retain=False, event=True)
        stream = result.stream or "default"
        for zone, count in result.zones_record().items():
            topic = f"{self.target.prefix}/{stream}/{zone}/occupancy"
            if self._occupancy.get(topic) != str(count) and self._publish(
                topic, str(count), retain=True, event=False
            ):  # a refused one is tried again next frame
                with self._lock:
                    self._occupancy[topic] = str(count)

    def close(self) -> None:
        """Wait up to ``close_wait_s`` for queued events, say ``offline``, disconnect; events
        still unacknowledged then are counted dropped."""
        deadline = time.monotonic() + self.close_wait_s
        while self.unacknowledged() and time.monotonic() < deadline:
            time.sleep(0.05)
        self._client.publish(self._status, "offline", qos=1, retain=True)
        self._client.disconnect()
        self._client.loop_stop()
        with self._lock:
            self.dropped += sum(self._unacked.values())
            self._unacked.clear()
        if self.dropped:
            target = f"{self.target.host}:{self.target.port}"
            logger.warning(
                "MQTT %s: %d of %d events not delivered", target, self.dropped, self.published
            )

    def unacknowledged(self) -> int:
        """Events queued or sent that the broker has not acknowledged yet."""
        with self._lock:
            return sum(self._unacked.values())

    def _publish(self, topic: str, payload: str, *, retain: bool, event: bool) -> bool:
        """Queue one QoS 1 message (never waits for the network); False when the queue is full."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        with self._lock:
            if info.rc == self._queue_full:
                self.dropped += event
                return False
            self.published += event
            if info.mid in self._acked_early:
                self._acked_early.discard(info.mid)
                self.delivered += event
            else:
                self._unacked[info.mid] = event
        return True

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        """The broker acknowledged message ``mid`` (paho's network thread)."""
        with self._lock:
            if mid in self._unacked:
                self.delivered += self._unacked.pop(mid)
            else:
                self._acked_early.add(mid)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        """On every (re)connect: online, and the occupancy again (a restarted broker may have
        lost what was retained)."""
        if reason.is_failure:
            return
        self._publish(self._status, "online", retain=True, event=False)
        with self._lock:
            occupancy = dict(self._occupancy)
        for topic, payload in occupancy.items():
            self._publish(topic, payload, retain=True, event=False)
