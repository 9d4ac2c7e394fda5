"""A real run on the shared clip through the Python API: callback, order, tracking, workers."""

from __future__ import annotations

from collections import Counter

import numpy as np
import supervision as sv

from rtseg.pipeline.plan import load_segmenter
from rtseg.sources import Frame, open_source
from rtseg.tracking import Tracker
from tests.pipeline.fakes import one_stream, run_one

CLIP_FRAMES = 221


def run_clip(clip, model, workers: int) -> list[tuple[int, sv.Detections]]:
    results: list[tuple[int, sv.Detections]] = []

    def on_frame(frame: Frame, detections: sv.Detections) -> None:
        assert frame.image.shape == (540, 960, 3)
        results.append((frame.index, detections))

    segmenter, _ = load_segmenter(model, live=False, device="cpu")
    source = open_source(clip)
    summary = run_one(
        one_stream(
            source,
            segmenter,
            Tracker(frame_rate=source.fps),
            on_frame=on_frame,
            infer_workers=workers,
        )
    )
    assert summary.frames == CLIP_FRAMES
    assert summary.dropped == 0
    assert not summary.stopped_early
    return results


def test_clip_through_the_python_api(fp32_model, highway_clip):
    parallel = run_clip(highway_clip, fp32_model, workers=2)
    assert [index for index, _ in parallel] == list(range(CLIP_FRAMES))
    car_ids = Counter(
        int(track_id)
        for _, detections in parallel
        for track_id, name in zip(detections.tracker_id, detections.data["class_name"], strict=True)
        if name == "car"
    )
    assert car_ids.most_common(1)[0][1] >= 0.6 * CLIP_FRAMES  # a car keeps its id
    detections = next(d for _, d in parallel if len(d))
    assert detections.mask.shape[1:] == (540, 960)
    assert len(detections.data["detection_index"]) == len(detections)

    serial = run_clip(highway_clip, fp32_model, workers=1)
    for (_, one), (_, other) in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(one.tracker_id, other.tracker_id)
        np.testing.assert_allclose(one.xyxy, other.xyxy, atol=1e-3)
