"""RtspSink against a real RTSP server process: what it publishes is read back with OpenCV.

The server (GStreamer, see tests/rtsp_server.py) relays what is published to ``/in`` to
readers of ``/out``; the tests start, kill and restart it. Time limits are hang guards only.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import supervision as sv

from rtseg.errors import RtsegError
from rtseg.sinks import RtspSink
from rtseg.sources import Frame, VideoFileSource
from rtseg.sources.reconnect import ReconnectPolicy
from tests.rtsp_server import PUBLISH_PASSWORD, PUBLISH_USER, RtspServer, running_server

HANG_GUARD_S = 60.0
NO_DETECTIONS = sv.Detections.empty()


@pytest.fixture
def server() -> Iterator[RtspServer]:
    yield from running_server()


@pytest.fixture
def clip_frames(highway_clip) -> list[Frame]:
    with VideoFileSource(highway_clip) as source:
        return list(itertools.islice(source, 50))


def wait_for(condition, limit_s: float = HANG_GUARD_S) -> None:
    """Poll ``condition`` until true; fail (not hang) if it never becomes true."""
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.02)


def read_back(url: str, count: int) -> list[np.ndarray]:
    """``count`` frames of the stream at ``url``, read with OpenCV (FFmpeg) like any viewer."""
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 20_000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 5_000]
    capture = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
    try:
        assert capture.isOpened(), f"cannot read {url}"
        frames = [capture.read()[1] for _ in range(count)]
    finally:
        capture.release()
    assert all(frame is not None for frame in frames), "the stream stopped"
    return frames


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(cv2.PSNR(a, b))


def test_publishes_the_frame_it_is_given(server, clip_frames):
    frame = clip_frames[0]
    sink = RtspSink(server.url("/in"), fps=25)
    try:
        sink.write(frame, None, NO_DETECTIONS)  # one frame: the sink keeps repeating it
        wait_for(lambda: sink.connected)
        received = read_back(server.url("/out"), 10)
    finally:
        sink.close()
    assert all(image.shape == (540, 960, 3) for image in received)
    assert psnr(received[-1], frame.image) > 30  # H.264 of the same picture
    assert sink.outages == [] and not sink.connected


def test_annotated_frames_are_published_when_given(server, clip_frames):
    frame = clip_frames[0]
    marked = cv2.rectangle(frame.image.copy(), (0, 0), (480, 270), (0, 0, 255), -1)
    sink = RtspSink(server.url("/in"), fps=25)
    try:
        sink.write(frame, marked, NO_DETECTIONS)
        wait_for(lambda: sink.connected)
        (received,) = read_back(server.url("/out"), 1)
    finally:
        sink.close()
    assert psnr(received, marked) > psnr(received, frame.image)


def test_publishing_resumes_after_the_server_restarts(server, clip_frames):
    sink = RtspSink(server.url("/in"), fps=25, policy=ReconnectPolicy(initial_s=0.2, max_s=1.0))
    stop = threading.Event()

    def feed() -> None:  # a pipeline handing over frames at about 25 fps
        for frame in clip_frames * 100:
            if stop.wait(0.04):
                return
            sink.write(frame, None, NO_DETECTIONS)

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        wait_for(lambda: sink.connected)
        assert len(read_back(server.url("/out"), 5)) == 5
        server.kill()
        wait_for(lambda: not sink.connected)
        time.sleep(2.0)  # the server stays down a while
        server.start()
        wait_for(lambda: sink.connected)
        received = read_back(server.url("/out"), 10)
    finally:
        stop.set()
        feeder.join(HANG_GUARD_S)
        sink.close()
    assert all(image.shape == (540, 960, 3) for image in received)
    (outage,) = sink.outages
    assert outage.seconds > 2.0 and outage.frames_lost > 0


def with_userinfo(url: str, user: str, password: str) -> str:
    return url.replace("rtsp://", f"rtsp://{user}:{password}@", 1)


def command_lines() -> dict[int, bytes]:
    """The command line of every process on the machine, by process ID (Linux /proc)."""
    lines = {}
    for process in Path("/proc").iterdir():
        if process.name.isdigit():
            with suppress(OSError):  # ended since it was listed
                lines[int(process.name)] = (process / "cmdline").read_bytes()
    return lines


def test_the_password_is_on_no_command_line(server, clip_frames):
    """/in-auth takes only the right user and password, so publishing there proves the
    password reached the server; meanwhile no process shows it on its command line."""
    url = with_userinfo(server.url("/in-auth"), PUBLISH_USER, PUBLISH_PASSWORD)
    frame = clip_frames[0]
    sink = RtspSink(url, fps=25)
    try:
        sink.write(frame, None, NO_DETECTIONS)
        wait_for(lambda: sink.connected)
        received = read_back(server.url("/out"), 5)
        publisher = sink._publisher.process
        assert publisher.poll() is None  # the publishing child is among the processes scanned
        lines = command_lines()
    finally:
        sink.close()
    assert publisher.pid in lines and b"rtsp_publisher.py" in lines[publisher.pid]
    assert [line for line in lines.values() if PUBLISH_PASSWORD.encode() in line] == []
    assert psnr(received[-1], frame.image) > 30


def test_a_refused_password_is_retried_and_never_logged(server, clip_frames, caplog):
    wrong = "wrong-9f2a61"
    url = with_userinfo(server.url("/in-auth"), PUBLISH_USER, wrong)
    sink = RtspSink(url, fps=25, policy=ReconnectPolicy(initial_s=0.2, max_s=0.2))
    try:
        with caplog.at_level(logging.INFO):
            sink.write(clip_frames[0], None, NO_DETECTIONS)
            wait_for(lambda: "401 Unauthorized" in caplog.text)
            assert not sink.connected
    finally:
        sink.close()
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 1  # one warning for the outage, not one per retry
    assert f"rtsp://{PUBLISH_USER}:***@" in warnings[0] and wrong not in caplog.text


def test_a_hung_server_is_noticed_and_close_still_returns(server, clip_frames):
    sink = RtspSink(server.url("/in"), fps=25)
    try:
        sink.write(clip_frames[0], None, NO_DETECTIONS)
        wait_for(lambda: sink.connected)
        server.freeze()
        for frame in clip_frames:  # random-looking pixels: fills the socket buffers fast
            noise = np.random.default_rng(frame.index).integers(0, 256, frame.image.shape)
            sink.write(frame, noise.astype(np.uint8), NO_DETECTIONS)
        wait_for(lambda: not sink.connected)
        sink.close()
        assert not sink._thread.is_alive()  # ffmpeg was cut off, not waited for
    finally:
        server.thaw()


def test_odd_and_changing_sizes_are_fitted(server, clip_frames):
    frame = clip_frames[0]
    odd = Frame(0, frame.image[:539, :959].copy(), None, time.monotonic())
    sink = RtspSink(server.url("/in"), fps=25)
    try:
        sink.write(odd, None, NO_DETECTIONS)  # sets the stream size: 958x538
        small = cv2.resize(frame.image, (320, 180))
        sink.write(Frame(1, small, None, time.monotonic()), None, NO_DETECTIONS)
        wait_for(lambda: sink.connected)
        (received,) = read_back(server.url("/out"), 1)
    finally:
        sink.close()
    assert received.shape == (538, 958, 3)


def test_close_without_frames_and_twice():
    sink = RtspSink("rtsp://127.0.0.1:9/in")
    sink.close()
    sink.close()
    assert not sink.connected


@pytest.mark.parametrize("url", ["http://127.0.0.1/x", "out.mp4", "rtsp://"])
def test_rejects_urls_that_are_not_rtsp(url):
    with pytest.raises(RtsegError, match="rtsp://host/path") as caught:
        RtspSink(url)
    assert "\n" not in str(caught.value)


def test_pyav_without_libx264_is_one_clear_line(monkeypatch):
    monkeypatch.setattr("av.codecs_available", av.codecs_available - {"libx264"})
    with pytest.raises(RtsegError, match="libx264") as caught:
        RtspSink("rtsp://127.0.0.1:8554/in")
    assert "\n" not in str(caught.value)
