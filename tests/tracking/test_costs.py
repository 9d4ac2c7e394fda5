"""Association costs: box IoU, score fusion, class and aspect gates, mask IoU on crops."""

from __future__ import annotations

import numpy as np
import supervision as sv

from rtseg.tracking.costs import (
    GATED_COST,
    MaskCrop,
    aspect_gate,
    blend_mask_similarity,
    box_iou,
    class_gate,
    crop_iou,
    fuse_score,
    mask_crops,
    mask_iou,
)


def test_box_iou_known_values():
    a = np.array([[0, 0, 10, 10], [0, 0, 0, 0]])
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])
    assert np.allclose(box_iou(a, b), [[1.0, 50 / 150, 0.0], [0.0, 0.0, 0.0]])
    assert box_iou(np.zeros((0, 4)), b).shape == (0, 3)


def test_fuse_score_and_class_gate():
    sim = np.array([[0.5, 1.0]])
    assert fuse_score(sim, np.array([0.5, 0.2])).tolist() == [[0.25, 0.2]]
    gated = class_gate(np.array([[0.1, 0.2]]), np.array([3]), np.array([3, 4]))
    assert gated.tolist() == [[0.1, GATED_COST]]


def test_crop_iou_matches_full_frame_mask_iou():
    rng = np.random.default_rng(0)
    for _ in range(20):
        full = np.zeros((2, 60, 80), dtype=bool)
        boxes = []
        for k in range(2):
            x0, y0 = rng.integers(0, 40), rng.integers(0, 30)
            w, h = rng.integers(5, 40), rng.integers(5, 30)
            full[k, y0 : y0 + h, x0 : x0 + w] = rng.random((min(h, 60 - y0), min(w, 80 - x0))) < 0.7
            boxes.append([x0, y0, x0 + w, y0 + h])
        a, b = mask_crops(full, np.array(boxes, float))
        union = np.count_nonzero(full[0] | full[1])
        expected = np.count_nonzero(full[0] & full[1]) / union if union else 0.0
        assert np.isclose(crop_iou(a, b), expected)


def test_moved_crop_compares_at_its_new_place():
    crop = MaskCrop(np.ones((4, 4), dtype=bool), 0, 0, 16)
    assert crop_iou(crop, crop.moved_to(2, 0)) == 8 / 24
    assert crop_iou(crop, crop.moved_to(10, 10)) == 0.0


def test_mask_crops_dense_and_compact_agree():
    masks = np.zeros((2, 50, 70), dtype=bool)
    masks[0, 5:20, 10:30] = True
    masks[1, 30:45, 40:69] = True
    xyxy = np.array([[10, 5, 30, 20], [40, 30, 69, 45]], dtype=float)
    dense = mask_crops(masks, xyxy)
    compact = mask_crops(sv.CompactMask.from_dense(masks, xyxy, image_shape=(50, 70)), xyxy)
    for d, c in zip(dense, compact, strict=True):
        assert d.area == c.area
        assert crop_iou(d, c) == 1.0


def test_mask_iou_only_on_candidates_and_blend_keeps_box_iou_elsewhere():
    crop = MaskCrop(np.ones((4, 4), dtype=bool), 0, 0, 16)
    candidates = np.array([[True, False], [True, True]])
    sim = mask_iou([crop, None], [crop, crop.moved_to(2, 0)], candidates)
    assert sim[0, 0] == 1.0 and np.isnan(sim[0, 1]) and np.isnan(sim[1]).all()
    box = np.array([[0.8, 0.5], [0.4, 0.3]])
    assert np.allclose(blend_mask_similarity(box, sim), [[0.9, 0.5], [0.4, 0.3]])


def test_aspect_gate_forbids_only_large_shape_changes():
    track = np.array([[0, 0, 10, 20]])  # aspect 0.5
    candidates = np.array(
        [
            [0, 0, 20, 40],  # same shape, twice the size: kept
            [0, 0, 10, 10],  # aspect 1 (x2): kept
            [0, 0, 15, 10],  # aspect 1.5 (x3 exactly): kept
            [0, 0, 16, 10],  # aspect 1.6 (x3.2): gated
            [0, 0, 10, 80],  # aspect 0.125 (x1/4): gated
            [0, 0, 0, 10],  # degenerate width: gated, not a division error
        ]
    )
    cost = np.full((1, 6), 0.3)
    gated = aspect_gate(cost, track, candidates, 3.0)
    assert gated.tolist() == [[0.3, 0.3, 0.3, GATED_COST, GATED_COST, GATED_COST]]
    assert cost.tolist() == [[0.3] * 6]
    assert aspect_gate(np.zeros((0, 6)), np.zeros((0, 4)), candidates, 3.0).shape == (0, 6)
