import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import cv2
import numpy as np
import pytest

from rtseg.errors import RtsegError
from rtseg.serve import LiveViewSink
from rtseg.sources import Frame
from tests.serve.helpers import MjpegReader, detections, frame, raw_get

TOKEN = "s3cret"
ROUTES = ["/", "/stream.mjpg", "/api/status", "/metrics", "/healthz"]
OUTSIDE = [
    "/../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/etc/passwd",
    "/index.html",
    "/stream.mjpg/",
    "/api/status/",
    "/API/STATUS",
    "/./metrics",
    "//",
    "/healthz/../metrics",
    "/rtseg/serve/page.py",
]


def wait_until(predicate, timeout=10.0):
    """Poll until ``predicate()``; a deadlock guard, not a speed check."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached")
        time.sleep(0.01)


@pytest.fixture
def sink():
    live = LiveViewSink("127.0.0.1:0", status=lambda: {"dropped_frames": 7, "frames": -1})
    yield live
    live.close()


@pytest.fixture
def secured():
    live = LiveViewSink("0", token=TOKEN)
    yield live
    live.close()


def get(url, headers=None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as response:
        return response.status, response.headers, response.read()


def test_page_status_metrics_health(sink):
    sink.write(frame(0), None, detections(["car", "car", "bus"], [4, 5, 6]))
    status, headers, body = get(sink.url)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'id="stream"' in body and b"api/status" in body
    assert b"http://" not in body and b"https://" not in body  # no external assets
    assert headers["Cache-Control"] == "no-store"

    _, headers, body = get(sink.url + "api/status")
    assert headers["Content-Type"] == "application/json"
    status = json.loads(body)
    assert status["frames"] == 1  # the pipeline's extras cannot override the sink's own fields
    assert status["dropped_frames"] == 7
    assert status["objects"] == {"bus": 1, "car": 2}
    assert status["active_tracks"] == 3 and status["viewers"] == 0

    _, headers, body = get(sink.url + "metrics")
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert b"rtseg_dropped_frames_total 7" in body

    assert get(sink.url + "healthz")[2] == b"ok\n"


@pytest.mark.parametrize("target", OUTSIDE)
def test_nothing_outside_the_routes_is_served(sink, secured, target):
    assert raw_get(sink.url, target)[0] == 404
    assert raw_get(secured.url, target, {"Authorization": f"Bearer {TOKEN}"})[0] == 404
    assert raw_get(secured.url, target)[0] == 404


def test_other_methods_are_refused(sink):
    request = urllib.request.Request(sink.url + "api/status", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    assert info.value.code == 501


@pytest.mark.parametrize("route", [r for r in ROUTES if r != "/healthz"])
def test_token_is_required(secured, route):
    assert raw_get(secured.url, route)[0] == 401
    assert raw_get(secured.url, route + "?token=wrong")[0] == 401
    assert raw_get(secured.url, route, {"Authorization": "Bearer wrong"})[0] == 401
    if route != "/stream.mjpg":  # the stream does not end by itself
        assert raw_get(secured.url, f"{route}?token={TOKEN}")[0] == 200
        assert raw_get(secured.url, route, {"Authorization": f"Bearer {TOKEN}"})[0] == 200


def test_unauthorized_response_names_the_scheme(secured):
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(secured.url + "metrics")
    assert info.value.code == 401
    assert info.value.headers["WWW-Authenticate"].startswith("Bearer")


def test_health_is_open_for_probes(secured):
    assert raw_get(secured.url, "/healthz") == (200, b"ok\n")


def test_stream_with_token_sends_each_new_frame(secured):
    secured.write(frame(0, value=30), None, detections([]))
    reader = MjpegReader(secured.url, f"/stream.mjpg?token={TOKEN}")
    try:
        content_type = reader.response.getheader("Content-Type")
        assert content_type == "multipart/x-mixed-replace; boundary=frame"
        first = decode(reader.next_part())
        secured.write(frame(1, value=220), None, detections([]))
        second = decode(reader.next_part())
    finally:
        reader.close()
    assert abs(first.mean() - 30) < 3 and abs(second.mean() - 220) < 3


def decode(jpeg: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)


def test_a_viewer_that_never_reads_does_not_hold_up_the_pipeline(sink):
    noise = np.random.default_rng(0).integers(0, 64, (540, 960, 3), dtype=np.uint8)
    images = [noise + np.uint8(index % 4 * 60) for index in range(200)]
    sink.write(Frame(0, images[0], None, time.monotonic()), None, detections([]))
    stalled = socket.create_connection(("127.0.0.1", urlsplit(sink.url).port))
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n")  # and never reads
    try:
        wait_until(lambda: sink.snapshot()["viewers"] == 1)
        writer = threading.Thread(
            target=lambda: [
                sink.write(Frame(i, image, None, time.monotonic()), None, detections([]))
                for i, image in enumerate(images[1:], start=1)
            ]
        )
        writer.start()
        writer.join(timeout=60)  # deadlock guard: write() must never wait for a viewer
        assert not writer.is_alive()
        assert sink.snapshot()["frames"] == 200
        reader = MjpegReader(sink.url)
        try:
            newest = decode(reader.next_part()).astype(float)
        finally:
            reader.close()
        assert abs(newest.mean() - images[-1].mean()) < 3  # the newest frame, not a queued one
        assert sink.snapshot()["viewers"] >= 1  # the stalled viewer is still connected
    finally:
        stalled.close()


def test_close_ends_streams_and_stops_serving():
    live = LiveViewSink("127.0.0.1:0")
    live.write(frame(0), None, detections([]))
    reader = MjpegReader(live.url)
    try:
        assert reader.next_part()
        live.close()
        while reader.next_part():  # parts already in flight, then the end of the stream
            pass
    finally:
        reader.close()
    live.close()  # idempotent
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(live.url + "healthz", timeout=5)


def test_busy_port_is_a_one_line_error(sink):
    with pytest.raises(RtsegError, match=r"^cannot serve on 127\.0\.0\.1:") as info:
        LiveViewSink(urlsplit(sink.url).netloc)
    assert "\n" not in str(info.value)


def test_empty_token_is_refused():
    with pytest.raises(RtsegError, match="empty"):
        LiveViewSink("127.0.0.1:0", token=" ")


def test_open_to_the_network_without_token_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="rtseg.serve"):
        live = LiveViewSink("0.0.0.0:0")
        live.close()
    assert "set --serve-token" in caplog.text
