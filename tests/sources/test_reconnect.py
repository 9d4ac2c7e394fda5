"""Telling a finite stream's end from a drop: the rule, and a really truncated file that claims
more frames than it holds (it must not be replayed forever)."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

import av
import pytest

from rtseg.sources import LiveSource, open_capture
from rtseg.sources.reconnect import ReconnectPolicy, end_slack, stream_finished

CLIP_FRAMES = 221


@pytest.mark.parametrize(
    ("announced", "fps", "slack"),
    [
        (221, 25.0, 25),  # a short clip: one second's worth
        (90_000, 25.0, 1_800),  # an hour of playback: 2 % (nominal rates drift)
        (221, None, 25),  # no frame rate announced: 25 fps assumed
        (100, 60.0, 60),
    ],
)
def test_slack_is_a_second_or_two_percent_whichever_is_more(announced, fps, slack):
    assert end_slack(announced, fps) == slack


@pytest.mark.parametrize(
    ("delivered", "finished"),
    [(221, True), (230, True), (196, True), (195, False), (75, False), (0, False)],
)
def test_a_stream_has_ended_only_near_its_announced_length(delivered, finished):
    assert stream_finished(delivered, CLIP_FRAMES, 25.0) is finished


def faststart_copy(source: Path, target: Path) -> None:
    """``source``'s video stream remuxed with its index (moov) at the front."""
    with (
        av.open(str(source)) as clip,
        av.open(str(target), "w", options={"movflags": "faststart"}) as copy,
    ):
        video = copy.add_stream_from_template(clip.streams.video[0])
        for packet in clip.demux(clip.streams.video[0]):
            if packet.dts is not None:  # skip the demuxer's flush packet
                packet.stream = video
                copy.mux(packet)


def test_a_file_shorter_than_it_claims_ends_when_it_stops_short_twice(
    highway_clip, tmp_path, caplog
):
    """The clip with its index at the front, cut at half its bytes: it still declares 221."""
    faststart_copy(highway_clip, tmp_path / "clip.mp4")
    data = (tmp_path / "clip.mp4").read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 2])
    reopen = partial(open_capture, str(truncated), "truncated")
    fast = ReconnectPolicy(initial_s=0.05, max_s=0.05)
    with (
        caplog.at_level(logging.INFO),
        LiveSource(reopen(), "truncated", reopen=reopen, policy=fast) as source,
    ):
        assert source.announced_frames == CLIP_FRAMES
        indices = [frame.index for frame in iter(source.read, None)]
        assert len(source.outages) == 1  # one reconnect, then the same stop is its end
    assert indices == sorted(set(indices))  # replayed from the start, the index still climbs
    messages = [record.getMessage() for record in caplog.records]
    stopped = [message for message in messages if "stopped again after" in message]
    assert len(stopped) == 1 and f"of its {CLIP_FRAMES} announced frames" in stopped[0]
    assert any(message.startswith("truncated ended after") for message in messages)
