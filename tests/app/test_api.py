"""rtseg.track / rtseg.segment on the shared clip: every frame in order, tracks, outputs, and a
loop left early (break, an error, Ctrl-C) that leaves no thread behind and a playable file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import av
import numpy as np
import pytest

import rtseg
from rtseg.errors import RtsegError
from rtseg.tracking import LOW_THRESH
from tests.conftest import SHORT_CLIP_FRAMES

CLIP_FRAMES = 221
CTRL_C_SCRIPT = Path(__file__).with_name("track_until_ctrl_c.py")
HANG_GUARD_S = 300  # only here so that a hang fails instead of blocking the run


def rtseg_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("rtseg")]


@pytest.fixture(autouse=True)
def no_leftover_threads():
    yield
    assert rtseg_threads() == []


def test_track_yields_every_frame_in_order_with_track_ids(fp32_model, highway_clip):
    results = list(rtseg.track(highway_clip, model=fp32_model, device="cpu", conf=0.3))
    assert [result.frame.index for result in results] == list(range(CLIP_FRAMES))
    assert {result.stream for result in results} == {"highway-dashcam-960x540"}
    assert results[0].image.shape == (540, 960, 3)
    found = [result.detections for result in results]
    assert all(d.tracker_id is not None for d in found)
    masks = [d.mask for d in found if len(d)]  # the caller reads plain (N, H, W) bool arrays
    assert all(isinstance(m, np.ndarray) and m.dtype == bool for m in masks)
    assert all(m.shape[1:] == (540, 960) and m.any(axis=(1, 2)).all() for m in masks)
    # conf=0.3 keeps and starts tracks; weaker detections only carry them on (the tracker's
    # low-confidence association).
    assert LOW_THRESH <= min(float(d.confidence.min()) for d in found if len(d)) < 0.3
    cars = Counter(
        int(track_id)
        for d in found
        for track_id, name in zip(d.tracker_id, d.data["class_name"], strict=True)
        if name == "car"
    )
    assert cars.most_common(1)[0][1] >= 0.6 * CLIP_FRAMES  # one car keeps its id


def test_breaking_the_loop_stops_the_run_and_leaves_a_playable_video(
    tmp_path, fp32_model, highway_clip
):
    video = tmp_path / "out.mp4"
    seen = []
    for result in rtseg.track(highway_clip, model=fp32_model, device="cpu", output=str(video)):
        seen.append(result.frame.index)
        if len(seen) == 10:
            break
    assert seen == list(range(10))
    assert rtseg_threads() == []  # stopped and joined as the loop ended
    with av.open(str(video)) as container:
        written = sum(1 for _ in container.decode(video=0))
    assert 10 <= written < CLIP_FRAMES  # the frames in flight when the loop ended, no more


def test_ctrl_c_in_a_loop_over_openvino_stops_the_run_cleanly(tmp_path, fp32_model, highway_clip):
    """Ctrl-C in a script looping over ``rtseg.track(..., device="openvino")``, in a process
    where OpenVINO ran before and was freed off the main thread (tests/app/track_until_ctrl_c.py):
    KeyboardInterrupt leaves the loop, which stops the run and closes the outputs, and the
    process ends by SIGINT, as Python ends on an uncaught KeyboardInterrupt. (It used to end
    by SIGSEGV: see the note in rtseg/engine/ov_runtime.py.)"""
    video, jsonl = tmp_path / "out.mp4", tmp_path / "out.jsonl"
    command = [sys.executable, "-X", "faulthandler", CTRL_C_SCRIPT, fp32_model, highway_clip]
    process = subprocess.Popen(
        [*map(str, command), str(video), str(jsonl)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    guard = threading.Timer(HANG_GUARD_S, process.kill)
    guard.start()
    try:
        assert process.stdout is not None
        seen = []
        for line in process.stdout:  # the loop's frame indices, one a line
            seen.append(int(line))
            if len(seen) == 5:
                process.send_signal(signal.SIGINT)
                break
        rest, stderr = process.communicate()
    finally:
        guard.cancel()
        process.kill()
    assert process.returncode == -signal.SIGINT, stderr
    assert stderr.rstrip().endswith("KeyboardInterrupt"), stderr
    seen += [int(line) for line in rest.split()]
    assert seen == list(range(len(seen)))

    records = [json.loads(line) for line in jsonl.read_text().splitlines()]  # each line whole
    assert len(seen) <= len(records) < CLIP_FRAMES  # every frame the loop saw, then it stopped
    assert [record["frame"] for record in records] == list(range(len(records)))
    with av.open(str(video)) as container:
        assert sum(1 for _ in container.decode(video=0)) == len(records)


def test_segment_has_no_track_ids_and_several_sources_are_named(
    fp32_model, highway_clip, short_clip
):
    stills = highway_clip.parent / "highway_*.png"
    results = list(rtseg.segment([short_clip, stills], model=fp32_model, device="cpu"))
    per_stream = Counter(result.stream for result in results)
    assert per_stream == {"highway-dashcam-960x540": SHORT_CLIP_FRAMES, "highway": 4}
    assert all(result.detections.tracker_id is None for result in results)
    assert min(float(r.detections.confidence.min()) for r in results if len(r.detections)) >= 0.25


def test_without_stream_the_run_goes_to_the_end_and_writes_its_outputs(
    tmp_path, fp32_model, short_clip
):
    jsonl = tmp_path / "out.jsonl"
    outcome = rtseg.track(
        short_clip, model=fp32_model, device="cpu", jsonl=str(jsonl), stream=False
    )
    assert outcome.exit_code == 0
    assert outcome.summary.frames == SHORT_CLIP_FRAMES
    assert len(jsonl.read_text().splitlines()) == SHORT_CLIP_FRAMES


def test_an_error_in_the_callers_loop_stops_the_run(fp32_model, highway_clip):
    with pytest.raises(KeyError):
        for result in rtseg.track(highway_clip, model=fp32_model, device="cpu"):
            if result.frame.index == 3:
                raise KeyError("caller's bug")


def test_bad_input_is_one_rtseg_error(fp32_model, tmp_path):
    with pytest.raises(RtsegError, match="source not found"):
        list(rtseg.track(tmp_path / "missing.mp4", model=fp32_model, device="cpu"))
    with pytest.raises(TypeError, match="unexpected keyword"):
        rtseg.track(tmp_path, model=fp32_model, colour="red")
    with pytest.raises(RtsegError, match="show=True needs stream=False"):
        rtseg.track(tmp_path, model=fp32_model, show=True)


def test_track_counts_a_site_into_each_results_metadata(fp32_model, short_clip, tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text("zones: [{name: road, polygon: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]}]\n")
    events = tmp_path / "events.jsonl"
    results = list(
        rtseg.track(short_clip, fp32_model, device="cpu", analytics=str(site), events=str(events))
    )
    assert len(results) == SHORT_CLIP_FRAMES
    counted = [result.detections.metadata["analytics"] for result in results]
    assert all(set(analytics.zones_record()) == {"road"} for analytics in counted)
    entered = [json.loads(line) for line in events.read_text().splitlines()]
    assert entered and {event["event"] for event in entered} <= {"zone_enter", "zone_exit"}
    assert sum(len(a.events) for a in counted) == len(entered)
