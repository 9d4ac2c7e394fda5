"""A file played as live (``realtime``): paced at its frame rate, newest frame only, looping."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from rtseg.errors import RtsegError
from rtseg.sources import LiveSource, open_source
from rtseg.sources.realtime import PacedCapture
from tests.waiting import wait_until

FPS = 50
FRAMES = 20
HANG_GUARD_S = 60.0


@pytest.fixture
def short_clip(tmp_path):
    """FRAMES frames at FPS; frame k is flat gray level 10 * k."""
    path = tmp_path / "short.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (64, 48))
    for k in range(FRAMES):
        writer.write(np.full((48, 64, 3), 10 * k, np.uint8))
    writer.release()
    return path


def level(frame) -> int:
    """Which clip frame this is (see ``short_clip``)."""
    return round(float(frame.image.mean()) / 10)


def test_plays_at_the_files_frame_rate(short_clip):
    with open_source(short_clip, realtime=True) as source:
        assert isinstance(source, LiveSource) and source.is_live and source.fps == FPS
        frames = list(source)
    assert len(frames) + source.dropped == FRAMES
    assert [frame.index for frame in frames] == sorted({frame.index for frame in frames})
    assert all(level(frame) == frame.index for frame in frames)
    span = frames[-1].captured_at - frames[0].captured_at
    assert span >= (frames[-1].index - frames[0].index) / FPS * 0.99  # never faster than live


def test_another_pace_than_the_files(short_clip):
    with LiveSource(PacedCapture(short_clip, fps=2 * FPS), "fast camera") as source:
        assert source.fps == 2 * FPS
        frames = list(source)
    span = frames[-1].captured_at - frames[0].captured_at
    assert span >= (frames[-1].index - frames[0].index) / (2 * FPS) * 0.99


def test_a_slow_consumer_gets_the_newest_frame_and_drops_are_counted(short_clip):
    with open_source(short_clip, realtime=True) as source:
        first = source.read()
        # The clip plays on to its end meanwhile, as a camera would, however slow the machine.
        wait_until(lambda: not source._thread.is_alive(), HANG_GUARD_S, "the clip to end")
        newest = source.read()
        assert source.read() is None
    assert first.index < newest.index == FRAMES - 1
    assert source.dropped == FRAMES - 2  # all but the two delivered


def test_loop_keeps_counting(short_clip):
    with open_source(short_clip, realtime=True, loop=True) as source:
        frames = [source.read() for _ in range(2 * FRAMES)]
    indices = [frame.index for frame in frames]
    assert indices == sorted(set(indices)) and indices[-1] >= 2 * FRAMES - 1
    assert all(level(frame) == frame.index % FRAMES for frame in frames)


def test_realtime_needs_a_video_file(tmp_path, short_clip):
    cv2.imwrite(str(tmp_path / "still.png"), np.zeros((4, 4, 3), np.uint8))
    for spec in (tmp_path, tmp_path / "still.png", tmp_path / "missing.mp4"):
        with pytest.raises(RtsegError, match="realtime"):
            open_source(spec, realtime=True)


def test_transport_is_checked_and_only_applies_to_rtsp(short_clip):
    """Other sources ignore it (the command line's --transport also sets --rtsp-out's)."""
    with pytest.raises(RtsegError, match="unknown transport"):
        open_source(short_clip, transport="sctp")
    with open_source(short_clip, transport="udp") as source:
        assert not source.is_live and len(list(source)) == FRAMES
