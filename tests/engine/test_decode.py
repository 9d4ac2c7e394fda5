"""Head decoding and NMS as pure functions."""

from __future__ import annotations

import numpy as np

from rtseg.engine.decode import DecodeOptions, box_iou_one_to_many, decode_anchors, nms


def test_box_iou_one_to_many():
    iou = box_iou_one_to_many(
        np.array([0, 0, 10, 10], np.float32),
        np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], np.float32),
    )
    np.testing.assert_allclose(iou, [1.0, 1 / 3, 0.0], rtol=1e-6)


def test_nms_keeps_best_per_group_in_score_order():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [0, 0, 10, 10], [50, 50, 60, 60]], np.float32)
    assert nms(boxes, np.array([0, 0, 1, 0]), iou=0.5, max_det=10).tolist() == [0, 2, 3]
    assert nms(boxes, np.zeros(4, int), iou=0.5, max_det=10).tolist() == [0, 3]
    assert nms(boxes, np.zeros(4, int), iou=0.5, max_det=1).tolist() == [0]
    assert nms(boxes[:0], np.zeros(0, int), iou=0.5, max_det=10).tolist() == []


def test_decode_anchors_converts_cxcywh_and_splits_coefficients():
    pred = np.zeros((4 + 2 + 3, 3), np.float32)
    pred[:4, 0], pred[4 + 1, 0], pred[6:, 0] = [50, 40, 20, 10], 0.8, [1, 2, 3]
    pred[:4, 1], pred[4 + 0, 1] = [200, 200, 10, 10], 0.25  # not above conf=0.25
    pred[:4, 2], pred[4 + 0, 2], pred[6:, 2] = [100, 100, 10, 10], 0.9, [4, 5, 6]
    out = decode_anchors(pred, num_classes=2, options=DecodeOptions(conf=0.25))
    np.testing.assert_allclose(out.xyxy, [[95, 95, 105, 105], [40, 35, 60, 45]])
    np.testing.assert_allclose(out.confidence, [0.9, 0.8])
    assert out.class_id.tolist() == [0, 1]
    np.testing.assert_allclose(out.coefficients, [[4, 5, 6], [1, 2, 3]])
