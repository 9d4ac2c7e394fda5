"""JsonlSink: exact schema, one flushed line per frame, RLE masks that decode back."""

from __future__ import annotations

import json

import numpy as np
import supervision as sv
from pycocotools import mask as mask_utils

from rtseg.sinks import JsonlSink, frame_record
from rtseg.sources import Frame

H, W = 48, 64
RECORD_KEYS = ["frame", "time_ms", "width", "height", "detections"]
DETECTION_KEYS = ["track_id", "class_id", "class_name", "confidence", "box_xyxy", "mask"]


def detections(tracked: bool = True, with_masks: bool = True) -> sv.Detections:
    mask = np.zeros((2, H, W), dtype=bool)
    mask[0, 5:20, 10:30] = True
    mask[0, 8, 12] = False  # a hole, so the RLE is not a plain rectangle
    mask[1, 30:47, 40:63] = True
    return sv.Detections(
        xyxy=np.array([[10.123, 5.0, 30.0, 20.456], [40, 30, 63, 47]], dtype=np.float32),
        mask=mask if with_masks else None,
        confidence=np.array([0.876543, 0.5], dtype=np.float32),
        class_id=np.array([2, 7]),
        tracker_id=np.array([4, 9]) if tracked else None,
        data={"class_name": np.array(["car", "truck"])},
    )


def frame(index: int, time_ms: float | None = 40.0) -> Frame:
    return Frame(index, np.zeros((H, W, 3), dtype=np.uint8), time_ms, 0.0)


def test_lines_match_the_schema_and_masks_round_trip(tmp_path):
    path = tmp_path / "out.jsonl"
    sink = JsonlSink(path)
    dets = detections()
    sink.write(frame(0, 0.0), None, dets)
    assert len(path.read_text().splitlines()) == 1  # flushed before close
    sink.write(frame(2, None), None, sv.Detections.empty())
    sink.close()
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    assert list(first) == RECORD_KEYS
    assert (first["frame"], first["time_ms"], first["width"], first["height"]) == (0, 0.0, W, H)
    assert second == {"frame": 2, "time_ms": None, "width": W, "height": H, "detections": []}
    car, truck = first["detections"]
    assert list(car) == DETECTION_KEYS
    assert (car["track_id"], car["class_id"], car["class_name"]) == (4, 2, "car")
    assert car["confidence"] == 0.8765 and truck["confidence"] == 0.5
    assert car["box_xyxy"] == [10.12, 5.0, 30.0, 20.46]
    assert all(isinstance(v, float) for v in car["box_xyxy"])
    for record, mask in zip(first["detections"], dets.mask, strict=True):
        assert record["mask"]["size"] == [H, W] and isinstance(record["mask"]["counts"], str)
        assert np.array_equal(mask_utils.decode(record["mask"]).astype(bool), mask)


def test_untracked_and_maskless_detections_use_nulls():
    record = frame_record(frame(1), detections(tracked=False, with_masks=False))
    assert [d["track_id"] for d in record["detections"]] == [None, None]
    assert [d["mask"] for d in record["detections"]] == [None, None]


def test_class_names_fall_back_to_the_names_mapping():
    dets = detections()
    del dets.data["class_name"]
    record = frame_record(frame(0), dets, names={2: "auto"})
    assert [d["class_name"] for d in record["detections"]] == ["auto", "7"]
