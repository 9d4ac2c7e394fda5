"""End-to-end runs of ``rtseg run`` on live input: an RTSP camera that drops out, RTSP out, and a
file played as live. The RTSP server is a real process (tests/rtsp_server.py) that the test kills
and restarts; time limits are hang guards only, never performance assertions."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import pytest

from rtseg.sources.reconnect import end_slack
from tests.conftest import SHORT_CLIP_FRAMES
from tests.rtsp_server import FILE_DOWN_S, RESTART_AFTER_S, RtspServer, running_server
from tests.sources.test_rtsp import car_track_ids
from tests.test_cli import (
    clean_env,
    free_port,
    http_get,
    read_jsonl,
    rtseg,
    rtseg_command,
    run_args,
)

HANG_GUARD_S = 120.0
CLIP_FRAMES = 221


@pytest.fixture
def server(highway_clip, encoded_highway_clip) -> Iterator[RtspServer]:
    yield from running_server(highway_clip, encoded_highway_clip)


def wait_for(condition: Callable[[], bool], process: subprocess.Popen, log: Path) -> None:
    """Poll ``condition`` while rtseg runs; fail (not hang) if rtseg ends or time runs out."""
    deadline = time.monotonic() + HANG_GUARD_S
    while not condition():
        assert process.poll() is None, f"rtseg ended early:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"condition never became true:\n{log.read_text()}"
        time.sleep(0.05)


def start_rtseg(log: Path, *args: object) -> subprocess.Popen:
    """``rtseg *args`` in the background, in the folder of ``log``, which gets its stderr."""
    with log.open("w") as stderr:
        return subprocess.Popen(
            rtseg_command(*args),
            cwd=log.parent,
            env=clean_env(),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def line_count(path: Path) -> int:
    return path.read_text().count("\n") if path.exists() else 0


def read_back(url: str, count: int) -> list:
    """``count`` frames of the stream at ``url``, read with OpenCV like any viewer would."""
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 20_000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 5_000]
    capture = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
    try:
        assert capture.isOpened(), f"cannot read {url}"
        return [capture.read()[1] for _ in range(count)]
    finally:
        capture.release()


def test_rtsp_camera_outage_with_rtsp_out_and_live_view(tmp_path, fp32_model, server):
    """rtseg reads an RTSP camera, publishes over RTSP and serves a live view; the server dies
    and comes back; rtseg reconnects both ways by itself, keeps tracking, and exits cleanly."""
    jsonl, log = tmp_path / "out.jsonl", tmp_path / "stderr.txt"
    port = free_port()
    process = start_rtseg(
        log,
        *run_args(server.url("/cam"), fp32_model, "--transport", "tcp", "--jsonl", jsonl),
        *("--rtsp-out", server.url("/in"), "--serve", f"127.0.0.1:{port}"),
    )
    try:
        wait_for(
            lambda: line_count(jsonl) >= 10 and "publishing to" in log.read_text(), process, log
        )
        published = read_back(server.url("/out"), 5)
        assert all(image is not None and image.shape == (540, 960, 3) for image in published)

        server.kill()
        wait_for(lambda: "lost; reconnecting" in log.read_text(), process, log)
        time.sleep(RESTART_AFTER_S)
        server.start()
        wait_for(lambda: "back after" in log.read_text(), process, log)
        resumed_at = line_count(jsonl)
        wait_for(lambda: line_count(jsonl) >= resumed_at + 10, process, log)
        wait_for(lambda: "publishing again" in log.read_text(), process, log)
        status = json.loads(http_get(f"http://127.0.0.1:{port}/api/status")[1])
        assert status["source_connected"] == 1 and status["source_outages"] == 1
        metrics = http_get(f"http://127.0.0.1:{port}/metrics")[1].decode()
        assert "rtseg_source_outages 1" in metrics

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=HANG_GUARD_S) == 128 + signal.SIGINT, log.read_text()
    finally:
        process.kill()
    text = log.read_text()
    assert "Traceback" not in text
    assert text.count("lost; reconnecting") == 1
    assert "source outages: 1 (" in text  # the summary reports the one outage
    assert "latency p50/p95/max" in text

    records = read_jsonl(jsonl)
    frames = [record["frame"] for record in records]
    assert frames == sorted(set(frames))
    largest_gap = max(b - a - 1 for a, b in itertools.pairwise(frames))
    assert largest_gap >= RESTART_AFTER_S * 25  # the outage shows as a jump in frame numbers
    car_tracks = car_track_ids(records[resumed_at:])
    assert car_tracks and None not in car_tracks


def test_served_file_killed_midway_reconnects_and_ends_by_itself(tmp_path, fp32_model, server):
    """A file served over RTSP (its SDP announces 221 frames) whose server dies mid-way and is
    back 2 s later: rtseg reports one outage, reconnects, and ends by itself, exit 0,
    once the replayed file has been delivered whole."""
    jsonl, log = tmp_path / "out.jsonl", tmp_path / "stderr.txt"
    process = start_rtseg(log, *run_args(server.url("/file"), fp32_model, "--jsonl", jsonl))
    try:
        wait_for(lambda: line_count(jsonl) >= 5, process, log)  # early: a slow machine too
        server.kill()
        wait_for(lambda: "lost; reconnecting" in log.read_text(), process, log)
        time.sleep(FILE_DOWN_S)
        server.start()
        assert process.wait(timeout=HANG_GUARD_S) == 0, log.read_text()
    finally:
        process.kill()
    text = log.read_text()
    assert "Traceback" not in text
    assert text.count("lost; reconnecting") == 1 and text.count("back after") == 1
    assert "ended after" in text and "stopped again" not in text
    assert "source outages: 1 (" in text

    frames = [record["frame"] for record in read_jsonl(jsonl)]
    assert frames == sorted(set(frames))
    gaps = [b - a - 1 for a, b in itertools.pairwise(frames)]
    resumed = gaps.index(max(gaps)) + 1  # the outage is the largest jump in frame numbers
    assert max(gaps) >= FILE_DOWN_S * 25
    assert frames[resumed - 1] < CLIP_FRAMES - end_slack(CLIP_FRAMES, 25.0)  # killed mid-way
    # The replay after the outage spans (nearly) the whole file; frames dropped while the
    # pipeline catches up after the reconnect show as small gaps, so allow two slacks.
    replayed = frames[-1] - frames[resumed] + 1
    assert replayed >= CLIP_FRAMES - 2 * end_slack(CLIP_FRAMES, 25.0)


def test_realtime_plays_a_file_at_its_frame_rate(tmp_path, fp32_model, short_clip):
    """A file played as live: paced at its frame rate, every frame either processed or counted
    as dropped (on the clip's first 2 s: pacing and accounting do not need all of it)."""
    jsonl = tmp_path / "out.jsonl"
    done = rtseg(
        *("run", "--model", fp32_model, "--device", "cpu", "--source", short_clip),
        *("--realtime", "--jsonl", jsonl),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    records = read_jsonl(jsonl)
    frames = [record["frame"] for record in records]
    assert frames == sorted(set(frames)) and frames[-1] < SHORT_CLIP_FRAMES
    # Paced like a camera: frame n arrives about n / 25 s after the first one.
    for record in records[1:]:
        assert record["time_ms"] >= record["frame"] * 40 * 0.9
    dropped = int(done.stderr.split("dropped frames: ")[1].split()[0])
    assert len(records) + dropped == SHORT_CLIP_FRAMES
    assert "latency p50/p95/max" in done.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--rtsp-out", "http://example.com/live"], "rtsp://host/path"),
        (["--realtime", "--source", "{still}"], "realtime plays a video file"),
    ],
)
def test_live_flag_errors_give_one_clear_line(tmp_path, fp32_model, highway_clip, flags, message):
    still = highway_clip.parent / "urban_waymo_1920x1280.jpg"
    source = [] if "--source" in flags else ["--source", highway_clip]
    flags = [flag.format(still=still) for flag in flags]
    done = rtseg(*("run", "--model", fp32_model, "--device", "cpu", *source, *flags), cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rtseg: error: "), done.stderr
    assert message in lines[0]
