"""Live sources: newest-frame delivery, drop counting and shutdown, on the real clip played live."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from rtseg.sources import LiveSource, VideoFileSource, open_capture

CLIP_FRAMES = 221


@pytest.fixture
def live_clip(highway_clip):
    source = LiveSource(open_capture(str(highway_clip), "clip"), "clip")
    yield source
    source.close()


def wait_for(condition, limit_s: float = 60.0) -> None:
    """Poll ``condition`` until true; fail (not hang) if it never becomes true."""
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.01)


def test_metadata_from_the_capture(live_clip):
    assert live_clip.is_live and live_clip.fps == 25.0 and live_clip.size == (960, 540)
    assert live_clip.frame_count is None


def test_slow_consumer_gets_newest_frames_and_drops_are_counted(live_clip, highway_clip):
    first = live_clip.read()
    wait_for(lambda: live_clip.dropped > 0)  # consumer stalls while capture runs ahead
    frames = [first, *iter(live_clip.read, None)]
    indices = [f.index for f in frames]
    assert indices == sorted(set(indices))
    assert indices[-1] == CLIP_FRAMES - 1  # the newest frame is delivered before the end
    assert len(frames) + live_clip.dropped == CLIP_FRAMES  # every frame delivered or dropped
    assert len(frames) < CLIP_FRAMES
    times = [f.time_ms for f in frames]
    assert times[0] >= 0 and times == sorted(times)
    with VideoFileSource(highway_clip) as recorded:
        reference = {f.index: f.image for f in recorded}
    assert all(np.array_equal(f.image, reference[f.index]) for f in frames)


def test_read_after_close_returns_none(live_clip):
    assert live_clip.read() is not None
    live_clip.close()
    live_clip.close()
    assert live_clip.read() is None
    assert not live_clip._thread.is_alive()


class StalledCapture:
    """A capture whose read() blocks until released by the test (a camera that sends nothing)."""

    def __init__(self) -> None:
        self.gate = threading.Event()

    def get(self, prop: int) -> float:
        return 0.0

    def read(self) -> tuple[bool, None]:
        self.gate.wait()
        return False, None

    def release(self) -> None:
        pass


def test_close_unblocks_a_pending_read():
    capture = StalledCapture()
    source = LiveSource(capture, "stalled")
    results = []

    def consume() -> None:
        results.append(source.read())
        capture.gate.set()

    consumer = threading.Thread(target=consume)
    consumer.start()
    source.close()
    consumer.join()
    assert results == [None]
    assert not source._thread.is_alive()
    assert source.fps is None and source.size is None
