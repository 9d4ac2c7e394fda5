"""Exact-output tests of the engine on tiny ONNX models with known outputs."""

from __future__ import annotations

import numpy as np
import pytest

from rtseg import Segmenter
from tests.engine.tiny_models import anchor_head, end2end_head, seg_model

ONES = (1.0, 0.0)  # mask logit +1 everywhere: the mask is exactly the box
LEFT_HALF = (0.0, 1.0)  # +1 on the left half of the prototypes, -1 on the right


def rectangle(
    frame_hw: tuple[int, int], rows: tuple[int, int], cols: tuple[int, int]
) -> np.ndarray:
    mask = np.zeros(frame_hw, dtype=bool)
    mask[rows[0] : rows[1], cols[0] : cols[1]] = True
    return mask


def frame(height: int, width: int) -> np.ndarray:
    return np.full((height, width, 3), 90, dtype=np.uint8)


@pytest.fixture
def one_car(tmp_path):
    head = anchor_head([(100.5, 80.25, 40, 20)], [{0: 0.9}], [ONES], num_classes=3)
    return Segmenter(seg_model(tmp_path / "m.onnx", head), device="cpu")


def test_single_detection_exact_box_mask_and_fields(one_car):
    dets = one_car(frame(320, 320))
    np.testing.assert_array_equal(dets.xyxy, [[80.5, 70.25, 120.5, 90.25]])
    np.testing.assert_allclose(dets.confidence, [0.9], rtol=1e-6)
    assert dets.class_id.tolist() == [0]
    assert dets.data["class_name"].tolist() == ["car"]
    assert dets.mask.dtype == bool and dets.mask.shape == (1, 320, 320)
    # Ultralytics' crop keeps pixels p with x1 <= p < x2 (and y likewise).
    np.testing.assert_array_equal(dets.mask[0], rectangle((320, 320), (71, 91), (81, 121)))
    assert one_car.names == {0: "car", 1: "truck", 2: "person"}
    assert one_car.imgsz == (320, 320)
    assert one_car.provider == "CPUExecutionProvider"


def test_no_detections_gives_empty_detections_with_frame_sized_masks(tmp_path):
    head = anchor_head([(100, 100, 40, 40)], [{0: 0.2}], [ONES], num_classes=3)
    dets = Segmenter(seg_model(tmp_path / "m.onnx", head), device="cpu")(frame(240, 320))
    assert len(dets) == 0
    assert dets.mask.shape == (0, 240, 320)
    assert dets.data["class_name"].shape == (0,)


def test_mask_logits_interpolated_not_blocky(tmp_path):
    head = anchor_head([(160, 100, 80, 40)], [{0: 0.9}], [LEFT_HALF], num_classes=3)
    dets = Segmenter(seg_model(tmp_path / "m.onnx", head), device="cpu")(frame(320, 320))
    # Prototype columns 39 (+1) and 40 (-1) meet at frame x = 159.5: pixels < 160 are in.
    np.testing.assert_array_equal(dets.mask[0], rectangle((320, 320), (80, 120), (120, 160)))


def test_box_touching_border_is_clipped(tmp_path):
    head = anchor_head(
        [(10, 10, 40, 40), (310, 310, 40, 40)], [{0: 0.9}, {1: 0.8}], [ONES, ONES], num_classes=3
    )
    dets = Segmenter(seg_model(tmp_path / "m.onnx", head), device="cpu")(frame(320, 320))
    np.testing.assert_array_equal(dets.xyxy, [[0, 0, 30, 30], [290, 290, 320, 320]])
    np.testing.assert_array_equal(dets.mask[0], rectangle((320, 320), (0, 30), (0, 30)))
    np.testing.assert_array_equal(dets.mask[1], rectangle((320, 320), (290, 320), (290, 320)))


def test_overlapping_boxes_nms_per_class_and_agnostic(tmp_path):
    head = anchor_head(
        [(100, 100, 50, 50), (102, 100, 50, 50), (104, 100, 50, 50), (250, 250, 20, 20)],
        [{0: 0.9}, {0: 0.8}, {1: 0.85}, {0: 0.7}],
        [ONES] * 4,
        num_classes=3,
    )
    path = seg_model(tmp_path / "m.onnx", head)
    per_class = Segmenter(path, device="cpu")(frame(320, 320))
    assert per_class.class_id.tolist() == [0, 1, 0]
    np.testing.assert_allclose(per_class.confidence, [0.9, 0.85, 0.7], rtol=1e-6)
    agnostic = Segmenter(path, device="cpu", agnostic=True)(frame(320, 320))
    assert agnostic.class_id.tolist() == [0, 0]
    np.testing.assert_allclose(agnostic.confidence, [0.9, 0.7], rtol=1e-6)
    loose = Segmenter(path, device="cpu", iou=0.95)(frame(320, 320))
    assert len(loose) == 4


def test_class_filter_conf_threshold_and_max_det(tmp_path):
    head = anchor_head(
        [(50, 50, 20, 20), (150, 50, 20, 20), (250, 50, 20, 20)],
        [{0: 0.9}, {1: 0.6}, {2: 0.4}],
        [ONES] * 3,
        num_classes=3,
    )
    path = seg_model(tmp_path / "m.onnx", head)
    assert Segmenter(path, device="cpu", classes=[1, 2])(frame(320, 320)).class_id.tolist() == [
        1,
        2,
    ]
    assert Segmenter(path, device="cpu", conf=0.5)(frame(320, 320)).class_id.tolist() == [0, 1]
    assert Segmenter(path, device="cpu", max_det=1)(frame(320, 320)).class_id.tolist() == [0]


def test_tall_frame_letterbox_mapping(tmp_path):
    # 640x160 frame: gain 0.5, resized to 320x80, 120 pixels of padding on the left.
    head = anchor_head(
        [(140, 40, 20, 40), (160, 160, 80, 320)],
        [{0: 0.9}, {1: 0.8}],
        [ONES, LEFT_HALF],
        num_classes=3,
    )
    dets = Segmenter(seg_model(tmp_path / "m.onnx", head), device="cpu")(frame(640, 160))
    np.testing.assert_allclose(dets.xyxy, [[20, 40, 60, 120], [0, 0, 160, 640]], atol=1e-4)
    np.testing.assert_array_equal(dets.mask[0], rectangle((640, 160), (40, 120), (20, 60)))
    # Un-padded prototype columns 30..49 span the frame; their +/- boundary lands at x = 79.5.
    np.testing.assert_array_equal(dets.mask[1], rectangle((640, 160), (0, 640), (0, 80)))


def test_wide_frame_letterbox_mapping(tmp_path):
    # 160x640 frame: gain 0.5, resized to 80x320, 120 pixels of padding on top.
    head = anchor_head([(40, 140, 40, 20)], [{2: 0.9}], [ONES], num_classes=3)
    dets = Segmenter(seg_model(tmp_path / "m.onnx", head), device="cpu")(frame(160, 640))
    np.testing.assert_allclose(dets.xyxy, [[40, 20, 120, 60]], atol=1e-4)
    assert dets.data["class_name"].tolist() == ["person"]
    np.testing.assert_array_equal(dets.mask[0], rectangle((160, 640), (20, 60), (40, 120)))


def test_one_pixel_frame(tmp_path):
    head = anchor_head([(160, 160, 320, 320)], [{0: 0.9}], [ONES], num_classes=3)
    dets = Segmenter(seg_model(tmp_path / "m.onnx", head), device="cpu")(frame(1, 1))
    np.testing.assert_allclose(dets.xyxy, [[0, 0, 1, 1]])
    np.testing.assert_array_equal(dets.mask, [[[True]]])


def test_4k_frame_masks_at_full_resolution(tmp_path):
    # 2160x3840 frame: gain 1/12, resized to 180x320, 70 pixels of padding on top.
    head = anchor_head(
        [(48, 90, 32, 20), (160, 160, 320, 180)],
        [{0: 0.9}, {1: 0.8}],
        [ONES, LEFT_HALF],
        num_classes=3,
    )
    dets = Segmenter(seg_model(tmp_path / "m.onnx", head), device="cpu")(frame(2160, 3840))
    np.testing.assert_allclose(dets.xyxy, [[384, 120, 768, 360], [0, 0, 3840, 2160]], atol=1e-3)
    assert dets.mask.shape == (2, 2160, 3840)
    x1, y1, x2, y2 = np.ceil(dets.xyxy[0]).astype(int)
    np.testing.assert_array_equal(dets.mask[0], rectangle((2160, 3840), (y1, y2), (x1, x2)))
    # Smooth logits: the boundary sits at x = 1919.5, not on a 12-pixel block edge.
    np.testing.assert_array_equal(dets.mask[1], rectangle((2160, 3840), (0, 2160), (0, 1920)))


def test_float16_model_matches_float32(tmp_path):
    head = anchor_head([(100.5, 80.25, 40, 20)], [{0: 0.75}], [ONES], num_classes=3)
    path = seg_model(tmp_path / "m16.onnx", head, float16=True)
    seg = Segmenter(path, device="cpu")
    assert seg.spec.input_dtype == np.float16
    dets = seg(frame(320, 320))
    np.testing.assert_array_equal(dets.xyxy, [[80.5, 70.25, 120.5, 90.25]])
    np.testing.assert_allclose(dets.confidence, [0.75])
    np.testing.assert_array_equal(dets.mask[0], rectangle((320, 320), (71, 91), (81, 121)))


def test_output_order_does_not_matter(tmp_path):
    head = anchor_head([(100.5, 80.25, 40, 20)], [{1: 0.9}], [ONES], num_classes=3)
    normal = Segmenter(seg_model(tmp_path / "a.onnx", head), device="cpu")(frame(320, 320))
    swapped = Segmenter(seg_model(tmp_path / "b.onnx", head, protos_first=True), device="cpu")(
        frame(320, 320)
    )
    np.testing.assert_array_equal(normal.xyxy, swapped.xyxy)
    np.testing.assert_array_equal(normal.mask, swapped.mask)
    assert swapped.class_id.tolist() == [1]


@pytest.mark.parametrize("metadata", [{"end2end": "True"}, {}])
def test_yolo26_end2end_layout(tmp_path, metadata):
    head = end2end_head(
        [
            (80.5, 70.25, 120.5, 90.25, 0.9, 1, *ONES),
            (10, 10, 50, 50, 0.2, 0, *ONES),
            (100, 200, 300, 240, 0.6, 2, *LEFT_HALF),
        ]
    )
    seg = Segmenter(seg_model(tmp_path / "e2e.onnx", head, metadata=metadata), device="cpu")
    assert seg.spec.layout == "end2end"
    dets = seg(frame(320, 320))
    np.testing.assert_array_equal(dets.xyxy, [[80.5, 70.25, 120.5, 90.25], [100, 200, 300, 240]])
    assert dets.class_id.tolist() == [1, 2]
    assert dets.data["class_name"].tolist() == ["truck", "person"]
    np.testing.assert_array_equal(dets.mask[0], rectangle((320, 320), (71, 91), (81, 121)))
    np.testing.assert_array_equal(dets.mask[1], rectangle((320, 320), (200, 240), (100, 160)))
    filtered = Segmenter(seg_model(tmp_path / "f.onnx", head), device="cpu", classes=[2])
    assert filtered(frame(320, 320)).class_id.tolist() == [2]


def test_detection_with_empty_mask_is_dropped_like_ultralytics(tmp_path):
    # The second box lies right of x = 160, where the LEFT_HALF logit is -1 everywhere.
    head = anchor_head(
        [(100, 100, 40, 40), (250, 100, 40, 40)], [{0: 0.9}, {0: 0.8}], [ONES, LEFT_HALF], 3
    )
    dets = Segmenter(seg_model(tmp_path / "m.onnx", head), device="cpu")(frame(320, 320))
    np.testing.assert_array_equal(dets.xyxy, [[80, 80, 120, 120]])


def test_batch_on_dynamic_batch_model_equals_single_calls(tmp_path):
    head = anchor_head([(100.5, 80.25, 40, 20)], [{0: 0.9}], [ONES], num_classes=3)
    seg = Segmenter(seg_model(tmp_path / "dyn.onnx", head, dynamic=True), device="cpu")
    assert seg.spec.dynamic_batch and seg.spec.dynamic_shape
    frames = [frame(320, 320), frame(320, 320)]
    batched = seg.batch(frames)
    assert len(batched) == 2
    for single, many in zip([seg(f) for f in frames], batched, strict=True):
        np.testing.assert_array_equal(single.xyxy, many.xyxy)
        np.testing.assert_array_equal(single.mask, many.mask)


def test_batch_on_static_model_loops(tmp_path):
    head = anchor_head([(100.5, 80.25, 40, 20)], [{0: 0.9}], [ONES], num_classes=3)
    seg = Segmenter(seg_model(tmp_path / "m.onnx", head), device="cpu")
    results = seg.batch([frame(320, 320), frame(160, 640)])
    assert [r.mask.shape[1:] for r in results] == [(320, 320), (160, 640)]
    assert seg.batch([]) == []


def test_names_argument_for_models_without_names(tmp_path):
    head = anchor_head([(100, 100, 40, 40)], [{1: 0.9}], [ONES], num_classes=2)
    names_file = tmp_path / "names.txt"
    names_file.write_text("cone\nbarrier\n")
    path = seg_model(tmp_path / "m.onnx", head, metadata={"names": "not a dict"})
    assert Segmenter(path, device="cpu", names=names_file)(frame(320, 320)).data[
        "class_name"
    ].tolist() == ["barrier"]
    assert Segmenter(path, device="cpu").names == {0: "class0", 1: "class1"}


def test_shared_model_provider_and_names(fp32_model):
    seg = Segmenter(fp32_model, device="cpu")
    assert seg.provider == "CPUExecutionProvider"
    assert seg.imgsz == (320, 320)
    assert len(seg.names) == 80 and seg.names[2] == "car"
    assert seg.info()["layout"] == "anchors"
