"""Mask upsampling matches PyTorch bilinear (align_corners=False) on the full frame."""

from __future__ import annotations

import cv2
import numpy as np

from rtseg.engine.masks import box_pixel_range, instance_masks, mask_sampling


def full_frame_reference(coefficients, prototypes, xyxy, frame_hw):
    """The straightforward way: whole-frame upsample of the un-padded logits, crop, threshold.

    cv2.resize INTER_LINEAR on float32 uses the same half-pixel mapping as PyTorch's bilinear
    interpolation with align_corners=False when upsampling.
    """
    rows, cols = mask_sampling(frame_hw, prototypes.shape[1:])
    top, bottom = rows.low.min(), rows.high.max() + 1
    left, right = cols.low.min(), cols.high.max() + 1
    logits = np.einsum("nc,chw->nhw", coefficients, prototypes)[:, top:bottom, left:right]
    out = []
    for logit, (x1, y1, x2, y2) in zip(logits, xyxy, strict=True):
        full = cv2.resize(logit, frame_hw[::-1], interpolation=cv2.INTER_LINEAR)
        ys, xs = np.mgrid[: frame_hw[0], : frame_hw[1]]
        inside = (xs >= x1) & (xs < x2) & (ys >= y1) & (ys < y2)
        out.append((full > 0) & inside)
    return np.array(out)


def test_box_window_equals_full_frame_upsample():
    rng = np.random.default_rng(0)
    prototypes = rng.normal(size=(8, 40, 40)).astype(np.float32)
    coefficients = rng.normal(size=(5, 8)).astype(np.float32)
    frame_hw = (270, 480)
    xyxy = np.array(
        [
            [0, 0, 480, 270],
            [10.2, 20.7, 200.5, 100.1],
            [300, 150, 479.9, 269.5],
            [100, 100, 100, 150],
            [5, 5, 12, 9],
        ],
        np.float32,
    )
    ours = instance_masks(coefficients, prototypes, xyxy, frame_hw)
    reference = full_frame_reference(coefficients, prototypes, xyxy, frame_hw)
    assert ours.shape == (5, *frame_hw)
    assert not ours[3].any()  # zero-width box
    mismatched = (ours != reference).sum() / reference.sum()
    assert mismatched < 1e-3  # only float-rounding ties on the zero level set may differ


def test_box_pixel_range_follows_half_open_crop():
    assert box_pixel_range(10.0, 20.0) == (10, 20)
    assert box_pixel_range(10.3, 20.5) == (11, 21)
    assert box_pixel_range(5.0, 5.0) == (5, 5)


def test_sampling_removes_prototype_padding():
    rows, cols = mask_sampling((540, 960), (80, 80))
    assert (rows.low.min(), rows.high.max()) == (17, 61)
    assert (cols.low.min(), cols.high.max()) == (0, 79)
