"""Agreement between two models' detections: one-to-one pairs, recall, precision, mask IoU."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv

from rtseg.engine.agreement import compare_frame, pool


def detections(boxes: list, classes: list, masks: list[tuple[int, int]] | None = None):
    """Detections on a 10x100 frame; ``masks`` gives each one's column span (all rows)."""
    mask = np.zeros((len(boxes), 10, 100), bool)
    for index, (start, stop) in enumerate(masks or []):
        mask[index, :, start:stop] = True
    return sv.Detections(
        xyxy=np.asarray(boxes, np.float32).reshape(-1, 4),
        class_id=np.asarray(classes, int),
        mask=mask,
    )


def test_pairs_by_class_and_box_iou():
    reference = detections(
        [(0, 0, 10, 10), (20, 0, 30, 10), (40, 0, 50, 10)], [0, 0, 1], [(0, 10), (20, 30), (40, 50)]
    )
    candidate = detections(
        [(0, 0, 10, 10), (21, 0, 31, 10), (40, 0, 50, 10), (70, 0, 80, 10)],
        [0, 0, 2, 0],  # the third has another class; the fourth overlaps nothing
        [(0, 5), (21, 31), (40, 50), (70, 80)],
    )
    frame = compare_frame(reference, candidate)
    assert (frame.reference, frame.candidate) == (3, 4)
    assert frame.mask_ious == pytest.approx((0.5, 9 / 11))


def test_one_to_one_best_pair_first_and_gate():
    reference = detections([(0, 0, 10, 10)], [0])
    candidate = detections([(1, 0, 11, 10), (0, 0, 10, 10), (6, 0, 16, 10)], [0, 0, 0])
    assert len(compare_frame(reference, candidate).mask_ious) == 1  # one partner only
    far = detections([(6, 0, 16, 10)], [0])  # box IoU 4/16 < 0.5
    assert compare_frame(reference, far).mask_ious == ()


def test_pooled_rates_and_empty_frames():
    frames = [
        compare_frame(detections([(0, 0, 10, 10)], [0], [(0, 10)]), detections([], [])),
        compare_frame(
            detections([(0, 0, 10, 10)], [0], [(0, 10)]),
            detections([(0, 0, 10, 10), (50, 0, 60, 10)], [0, 0], [(0, 10), (50, 60)]),
        ),
        compare_frame(detections([], []), detections([], [])),
    ]
    pooled = pool(frames)
    assert (pooled.frames, pooled.reference, pooled.candidate, pooled.matched) == (3, 2, 2, 1)
    assert pooled.recall == 0.5 and pooled.precision == 0.5
    assert pooled.median_mask_iou == 1.0 and pooled.low_mask_iou == 1.0
    assert "recall 0.500, precision 0.500" in pooled.format()
    nothing = pool([frames[2]])
    assert nothing.recall == nothing.precision == 1.0
