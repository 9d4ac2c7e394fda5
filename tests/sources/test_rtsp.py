"""RTSP ingest against a real RTSP server process: transports, outages, reconnects, shutdown.

The server (GStreamer, see tests/rtsp_server.py) is started, killed and restarted by the tests.
Time limits below are hang guards only, never performance assertions.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest

from rtseg.pipeline.plan import load_segmenter
from rtseg.sinks import JsonlSink
from rtseg.sources import Frame, FrameSource, open_source
from rtseg.sources.reconnect import ReconnectPolicy, end_slack
from rtseg.tracking import Tracker
from tests.pipeline.fakes import one_stream
from tests.rtsp_server import FILE_DOWN_S, RESTART_AFTER_S, RtspServer, running_server

HANG_GUARD_S = 90.0
CLIP_FRAMES = 221


@pytest.fixture
def server(highway_clip, encoded_highway_clip) -> Iterator[RtspServer]:
    yield from running_server(highway_clip, encoded_highway_clip)


def wait_for(condition, limit_s: float = HANG_GUARD_S) -> None:
    """Poll ``condition`` until true; fail (not hang) if it never becomes true."""
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.02)


@contextmanager
def hang_guard(source: FrameSource, limit_s: float = HANG_GUARD_S) -> Iterator[None]:
    """Close ``source`` if the block runs past ``limit_s``: a pending read returns None."""
    timer = threading.Timer(limit_s, source.close)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def read_frames(source: FrameSource, count: int) -> list[Frame]:
    frames = [source.read() for _ in range(count)]
    assert None not in frames, "the stream ended or the hang guard closed it"
    return frames


def own_udp_sockets() -> set[str]:
    """Inodes of this process's UDP sockets (Linux /proc)."""
    own = set()
    for fd in os.listdir("/proc/self/fd"):
        with suppress(FileNotFoundError):  # closed since it was listed
            own.add(os.readlink(f"/proc/self/fd/{fd}"))
    inodes = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        with open(table) as rows:
            inodes.update(row.split()[9] for row in list(rows)[1:])
    return {inode for inode in inodes if f"socket:[{inode}]" in own}


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_reads_the_stream_over_each_transport(server, transport):
    with open_source(server.url("/cam"), transport=transport) as source, hang_guard(source):
        frames = read_frames(source, 10)
        assert bool(own_udp_sockets()) == (transport == "udp")  # RTP really went that way
        assert source.is_live and source.connected and source.fps == 25.0
        assert source.size == (960, 540)
    assert all(frame.image.shape == (540, 960, 3) for frame in frames)
    indices = [frame.index for frame in frames]
    assert indices == sorted(set(indices))


def test_reconnects_after_the_server_restarts(server):
    with open_source(server.url("/cam")) as source, hang_guard(source):
        seen = read_frames(source, 25)
        server.kill()
        wait_for(lambda: not source.connected)
        time.sleep(RESTART_AFTER_S)
        server.start()
        while not source.outages or seen[-1].captured_at < source.outages[0].end:
            seen += read_frames(source, 1)  # frames from before the outage may still be waiting
        seen += read_frames(source, 10)
        assert source.connected
        (outage,) = source.outages
    before = [frame for frame in seen if frame.captured_at <= outage.start][-1]
    after = next(frame for frame in seen if frame.captured_at >= outage.end)
    assert outage.seconds > RESTART_AFTER_S
    assert abs(outage.frames_lost - outage.seconds * 25) <= 2
    assert after.index - before.index - 1 >= outage.frames_lost  # the gap shows in the index
    assert after.time_ms - before.time_ms >= outage.seconds * 1000
    indices = [frame.index for frame in seen]
    assert indices == sorted(set(indices))


def test_a_served_file_that_drops_midway_reconnects_and_ends_once_delivered(server, caplog):
    """/file announces 221 frames: killed after 25 of them it is an outage, not the end; the
    restarted server plays it from its start, and the source ends once it has delivered it."""
    with caplog.at_level(logging.INFO), open_source(server.url("/file")) as source:
        with hang_guard(source):
            assert source.announced_frames == CLIP_FRAMES
            seen = read_frames(source, 25)
            server.kill()
            wait_for(lambda: not source.connected)
            time.sleep(FILE_DOWN_S)
            server.start()
            seen += iter(source.read, None)  # until the source ends by itself
        (outage,) = source.outages
    messages = [record.getMessage() for record in caplog.records]
    assert sum("lost; reconnecting" in message for message in messages) == 1
    assert any(" ended after " in message for message in messages)  # not closed by the guard
    assert not any("stopped again" in message for message in messages)
    assert outage.seconds > FILE_DOWN_S
    after = [frame for frame in seen if frame.captured_at >= outage.end]
    assert len(after) + source.dropped >= CLIP_FRAMES - end_slack(CLIP_FRAMES, 25.0)
    indices = [frame.index for frame in seen]
    assert indices == sorted(set(indices))  # the replay from the start keeps counting up
    before = [frame for frame in seen if frame.captured_at <= outage.start][-1]
    assert after[0].index - before.index - 1 >= outage.frames_lost


def test_a_hung_server_is_noticed_by_the_read_timeout(server):
    with open_source(server.url("/cam")) as source, hang_guard(source):
        read_frames(source, 1)
        server.freeze()
        wait_for(lambda: not source.connected)
        server.thaw()
        wait_for(lambda: len(source.outages) == 1)
        assert source.connected


def test_close_interrupts_the_backoff_wait(server):
    hour = ReconnectPolicy(initial_s=3600.0)
    source = open_source(server.url("/cam"), reconnect=hour)
    with hang_guard(source):
        read_frames(source, 1)
        server.kill()
        wait_for(lambda: not source.connected)
        source.close()
    assert not source._thread.is_alive()
    assert source.read() is None


def test_gives_up_when_the_policy_says_so(server):
    brief = ReconnectPolicy(initial_s=0.1, max_s=0.2, give_up_s=1.0)
    with open_source(server.url("/cam"), reconnect=brief) as source, hang_guard(source):
        read_frames(source, 1)
        server.kill()
        while source.read() is not None:
            pass
        (outage,) = source.outages
    assert outage.frames_lost > 0 and not source.connected


def test_without_reconnect_a_lost_stream_ends(server):
    with open_source(server.url("/cam"), reconnect=None) as source, hang_guard(source):
        read_frames(source, 1)
        server.kill()
        while source.read() is not None:
            pass
    assert source.outages == []


def test_pipeline_tracks_through_an_outage(server, fp32_model, tmp_path):
    """The real pipeline and tracker keep running and writing JSON Lines across a restart."""
    path = tmp_path / "out.jsonl"
    segmenter, _ = load_segmenter(fp32_model, live=True, device="cpu")
    source = open_source(server.url("/cam"))
    pipeline = one_stream(source, segmenter, Tracker(frame_rate=25), sinks=[JsonlSink(path)])
    summaries = []
    runner = threading.Thread(target=lambda: summaries.append(pipeline.run().streams["fake"]))
    runner.start()

    def lines() -> int:
        return path.read_text().count("\n") if path.exists() else 0

    try:
        wait_for(lambda: lines() >= 10)
        server.kill()
        wait_for(lambda: not source.connected)
        time.sleep(RESTART_AFTER_S)
        server.start()
        wait_for(lambda: len(source.outages) == 1)
        after_outage = lines()
        wait_for(lambda: lines() >= after_outage + 10)
    finally:
        pipeline.stop()
        runner.join(HANG_GUARD_S)
    assert not runner.is_alive()
    (result,) = summaries
    assert result.error is None and result.summary.stopped_early and result.summary.tracks
    records = [json.loads(line) for line in path.read_text().splitlines()]
    frames = [record["frame"] for record in records]
    assert frames == sorted(set(frames))
    (outage,) = source.outages
    gaps = [b - a - 1 for a, b in itertools.pairwise(frames)]
    assert max(gaps) >= outage.frames_lost  # the tracker was told about the gap
    track_ids = car_track_ids(records[after_outage:])
    assert track_ids and None not in track_ids


def car_track_ids(records: list[dict]) -> set[int | None]:
    """Track IDs of the cars in JSON Lines records."""
    return {
        detection["track_id"]
        for record in records
        for detection in record["detections"]
        if detection["class_name"] == "car"
    }
