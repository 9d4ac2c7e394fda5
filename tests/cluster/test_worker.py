"""The actor's side without Ray: a stream group run in-process and drained by polls."""

from __future__ import annotations

import time
from collections import defaultdict

import numpy as np
from supervision.detection.compact_mask import CompactMask

from rtseg.analytics import METADATA_KEY
from rtseg.cluster import StreamGroupWorker
from rtseg.cluster.driver import groups
from rtseg.pipeline import RunSummary, StreamResult
from rtseg.pipeline.stream_plan import ModelPlan, StreamPlan
from rtseg.tracking import LOW_THRESH

HANG_GUARD_S = 120.0


def drain(worker: StreamGroupWorker) -> tuple[dict[str, list], object]:
    """Poll until the worker has finished; results per stream and the last poll."""
    results = defaultdict(list)
    deadline = time.monotonic() + HANG_GUARD_S
    while True:
        poll = worker.poll(timeout_s=0.2, limit=5)
        for result in poll.results:
            results[result.stream].append(result)
        if poll.finished:
            return dict(results), poll
        assert time.monotonic() < deadline, "the worker never finished"


def test_runs_its_streams_and_resumes_recorded_ones(fp32_model, highway_clip):
    streams = [
        StreamPlan("a", str(highway_clip), vid_stride=10),
        StreamPlan("b", str(highway_clip), vid_stride=20),
    ]
    model = ModelPlan(str(fp32_model), device="cpu")
    worker = StreamGroupWorker(model, streams, True, 1, frozenset({"a"}))
    assert not worker.poll(timeout_s=0).started  # a fresh (or restarted) worker says so
    facts = worker.start({"a": 100})
    assert facts["a"].fps == 25 and not facts["a"].is_live
    results, last = drain(worker)
    assert last.error is None and last.summary is not None
    assert [r.frame.index for r in results["a"]] == list(range(100, 221, 10))
    assert [r.frame.index for r in results["b"]] == list(range(0, 221, 20))
    a_image, b_image = results["a"][0].frame.image, results["b"][0].frame.image
    assert a_image.any() and a_image.flags.writeable  # "a" draws: its frames travel
    assert b_image.strides[:2] == (0, 0) and not b_image.any()  # "b" does not: a placeholder
    masks = [r.detections.mask for r in results["b"] if len(r.detections)]
    assert masks and all(isinstance(m, CompactMask) for m in masks)  # box crops travel
    tracked = [r.detections.tracker_id for r in results["b"] if len(r.detections)]
    assert tracked and all(ids is not None and np.all(ids > 0) for ids in tracked)


def test_a_streams_tracker_carries_its_tracks_below_its_conf(fp32_model, short_clip):
    stream = StreamPlan("a", str(short_clip), conf=0.5)
    worker = StreamGroupWorker(ModelPlan(str(fp32_model), device="cpu"), [stream], True, 1)
    worker.start({})
    results, last = drain(worker)
    assert last.error is None
    found = [float(c) for result in results["a"] for c in result.detections.confidence]
    assert min(found) >= LOW_THRESH and any(c < 0.5 for c in found)


def test_streams_are_dealt_round_robin():
    assert groups(["a", "b", "c", "d", "e"], 2) == [["a", "c", "e"], ["b", "d"]]
    assert groups(["a", "b"], 5) == [["a"], ["b"]]


def test_summary_names_restarts_and_failures():
    front = StreamResult("front", False, None, written=221, restarts=1)
    rear = StreamResult("rear", False, None, "Ray actor lost: gone", written=100)
    summary = RunSummary({"front": front, "rear": rear}, seconds=10.0, actors=2)
    text = summary.format()
    assert text.startswith("2 streams on 2 Ray actors: 321 frames in 10.0 s, 32.1 fps in all,")
    assert "front: 221 frames written, resumed after 1 actor restart(s)" in text
    assert "rear: 100 frames written\n" in text and "rear: failed: Ray actor lost: gone" in text
    assert summary.failed == {"rear": "Ray actor lost: gone"}


def test_a_streams_site_is_counted_on_the_actor(fp32_model, short_clip, tmp_path):
    """The worker builds the stream as a local run does: its site counted after tracking, the
    frame's analytics travelling with each result to the driver."""
    site = tmp_path / "site.yaml"
    site.write_text("lines: [{name: gate, points: [[0.5, 0], [0.5, 1]], in_side: [1, 0.5]}]\n")
    stream = StreamPlan("a", str(short_clip), analytics=str(site))
    worker = StreamGroupWorker(ModelPlan(str(fp32_model), device="cpu"), [stream], True, 1)
    worker.start({})
    results, last = drain(worker)
    assert last.error is None
    counted = [r.detections.metadata.get(METADATA_KEY) for r in results["a"]]
    assert counted and all(result is not None for result in counted)
    assert set(counted[-1].lines_record()) == {"gate"}
    assert "line gate: in" in last.summary.format()
