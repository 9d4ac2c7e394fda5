"""The pipeline on the OpenVINO engine: recorded input on the THROUGHPUT hint with one lane per
infer request (frames in order), one live stream on the LATENCY hint, several streams sharing
one compiled model, and a Ray actor's stream group."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import supervision as sv

from rtseg import Segmenter
from rtseg.cluster import StreamGroupWorker
from rtseg.pipeline import Pipeline, Stream
from rtseg.pipeline.plan import load_segmenter
from rtseg.pipeline.stream_plan import ModelPlan, StreamPlan
from rtseg.sources import Frame, open_source
from tests.cluster.test_worker import drain
from tests.pipeline.fakes import one_stream, run_one

CLIP_FRAMES = 221
STRIDE = 8  # every 8th clip frame: 28 frames, enough lanes' worth to shuffle if order broke


def one_at_a_time(model: Path, clip: Path, stride: int) -> list[sv.Detections]:
    """The reference: one OpenVINO f32 request, frames in file order, no pipeline."""
    segmenter = Segmenter(model, device="openvino", precision="f32")
    with open_source(clip, vid_stride=stride) as frames:
        return [segmenter(frame.image) for frame in frames]


def assert_same(ours: list[sv.Detections], expected: list[sv.Detections]) -> None:
    assert len(ours) == len(expected)
    for index, (one, other) in enumerate(zip(ours, expected, strict=True)):
        assert one.class_id.tolist() == other.class_id.tolist(), f"frame {index}"
        np.testing.assert_allclose(one.xyxy, other.xyxy, atol=0.05, err_msg=f"frame {index}")


def test_recorded_input_runs_one_lane_per_infer_request_in_order(fp32_model, highway_clip):
    segmenter, workers = load_segmenter(fp32_model, live=False, device="openvino", precision="f32")
    compiled = segmenter.runtime.compiled
    assert compiled.get_property("PERFORMANCE_HINT") == "THROUGHPUT"
    assert (
        workers == segmenter.requests == compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")
    )
    results: list[tuple[int, sv.Detections]] = []

    def on_frame(frame: Frame, detections: sv.Detections) -> None:
        results.append((frame.index, detections))

    source = open_source(highway_clip, vid_stride=STRIDE)
    summary = run_one(one_stream(source, segmenter, on_frame=on_frame, infer_workers=workers))
    assert summary.frames == len(range(0, CLIP_FRAMES, STRIDE))
    assert [index for index, _ in results] == list(range(0, CLIP_FRAMES, STRIDE))
    assert_same([d for _, d in results], one_at_a_time(fp32_model, highway_clip, STRIDE))


def test_one_live_stream_runs_on_the_latency_hint(fp32_model, highway_clip):
    source = open_source(highway_clip, realtime=True)  # the file played as a live camera
    segmenter, workers = load_segmenter(fp32_model, live=source.is_live, device="openvino")
    assert source.is_live and workers == 1
    assert segmenter.runtime.compiled.get_property("PERFORMANCE_HINT") == "LATENCY"
    seen: list[int] = []
    pipeline: Pipeline

    def on_frame(frame: Frame, detections: sv.Detections) -> None:
        seen.append(frame.index)
        assert detections.mask is not None and detections.mask.shape[1:] == (540, 960)
        if len(seen) == 10:
            pipeline.stop()

    pipeline = one_stream(source, segmenter, on_frame=on_frame, infer_workers=workers)
    pipeline.run()
    assert len(seen) >= 10 and seen == sorted(set(seen))


def test_streams_share_one_openvino_model(fp32_model, highway_clip):
    segmenter, workers = load_segmenter(
        fp32_model, live=False, streams=2, device="openvino", precision="f32"
    )
    assert workers == segmenter.requests
    strides = {"a": 2 * STRIDE, "b": 3 * STRIDE}
    streams = [
        Stream(name, open_source(highway_clip, vid_stride=stride))
        for name, stride in strides.items()
    ]
    results: dict[str, list[sv.Detections]] = defaultdict(list)

    def on_frame(name: str, frame: Frame, detections: sv.Detections) -> None:
        results[name].append(detections)

    Pipeline(streams, segmenter, on_frame, infer_workers=workers).run()
    for name, stride in strides.items():
        assert_same(results[name], one_at_a_time(fp32_model, highway_clip, stride))


def test_ray_actor_stream_group_on_openvino(fp32_model, highway_clip):
    """What a Ray actor runs (here without Ray): its own OpenVINO model on its CPU share."""
    streams = [StreamPlan("a", str(highway_clip), vid_stride=4 * STRIDE)]
    model = ModelPlan(str(fp32_model), device="openvino", precision="f32")
    worker = StreamGroupWorker(model, streams, False, 1, frozenset())
    worker.start({})
    results, last = drain(worker)
    assert last.error is None, last.error
    assert [r.frame.index for r in results["a"]] == list(range(0, CLIP_FRAMES, 4 * STRIDE))
    assert_same(
        [r.detections for r in results["a"]], one_at_a_time(fp32_model, highway_clip, 4 * STRIDE)
    )
