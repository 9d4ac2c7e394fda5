"""Box-window mask computation equals Ultralytics' whole-frame procedure; masks are box crops."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from rtseg.engine.masks import bilinear_matrix, box_pixel_range, instance_masks


def whole_frame_reference(coefficients, prototypes, xyxy, frame_hw):
    """Ultralytics' ``process_mask_native`` step by step on whole frames, with cv2.resize
    (INTER_LINEAR on float32 upsamples exactly like PyTorch bilinear, align_corners=False)."""
    (height, width), (_, proto_h, proto_w) = frame_hw, prototypes.shape
    gain = min(4 * proto_h / height, 4 * proto_w / width)
    pad = (4 * proto_h - max(round(height * gain), 1)) | (4 * proto_w - max(round(width * gain), 1))
    factor = 4 // math.gcd(4, pad | pad // 2)
    logits = np.einsum("nc,chw->nhw", coefficients, prototypes)
    ys, xs = np.mgrid[:height, :width]
    out = []
    for logit, (x1, y1, x2, y2) in zip(logits, xyxy, strict=True):
        up = cv2.resize(logit, None, fx=factor, fy=factor, interpolation=cv2.INTER_LINEAR)
        gain = min(up.shape[0] / height, up.shape[1] / width)
        content_h, content_w = max(round(height * gain), 1), max(round(width * gain), 1)
        top = round((up.shape[0] - content_h) / 2 - 0.1)
        left = round((up.shape[1] - content_w) / 2 - 0.1)
        crop = up[top : top + content_h, left : left + content_w]
        full = cv2.resize(crop, (width, height), interpolation=cv2.INTER_LINEAR)
        inside = (xs >= x1) & (xs < x2) & (ys >= y1) & (ys < y2)
        out.append((full > 0) & inside)
    return np.array(out)


@pytest.mark.parametrize("frame_hw", [(540, 960), (270, 480), (1280, 1920), (480, 640)])
def test_box_window_equals_whole_frame_procedure(frame_hw):
    rng = np.random.default_rng(0)
    prototypes = rng.normal(size=(8, 80, 80)).astype(np.float32)
    coefficients = rng.normal(size=(5, 8)).astype(np.float32)
    height, width = frame_hw
    xyxy = np.array(
        [
            [0, 0, width, height],
            [10.2, 20.7, width * 0.4 + 0.5, height * 0.3 + 0.1],
            [width * 0.6, height * 0.5, width - 0.1, height - 0.5],
            [100, 100, 100, 150],
            [5, 5, 12, 9],
        ],
        np.float32,
    )
    crops, nonempty = instance_masks(coefficients, prototypes, xyxy, frame_hw)
    reference = whole_frame_reference(coefficients, prototypes, xyxy, frame_hw)
    assert crops.shape == (nonempty.sum(), *frame_hw) and not nonempty[3]  # zero-width box
    starts = [(box_pixel_range(x1, x2)[0], box_pixel_range(y1, y2)[0]) for x1, y1, x2, y2 in xyxy]
    assert crops.offsets.tolist() == [list(start) for start in np.array(starts)[nonempty]]
    ours = np.zeros_like(reference)
    ours[nonempty] = np.asarray(crops)
    np.testing.assert_array_equal(nonempty, ours.reshape(5, -1).any(axis=1))
    mismatched = (ours != reference).sum() / reference.sum()
    assert mismatched < 1e-3  # only float-rounding ties on the zero level set may differ


def test_bilinear_matrix_rows_sum_to_one_and_upsample_by_two():
    matrix = bilinear_matrix(4, 8)
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0)
    np.testing.assert_allclose(matrix[:3, :2], [[1, 0], [0.75, 0.25], [0.25, 0.75]])
    np.testing.assert_array_equal(bilinear_matrix(5, 5), np.eye(5))


def test_box_pixel_range_follows_half_open_crop():
    assert box_pixel_range(10.0, 20.0) == (10, 20)
    assert box_pixel_range(10.3, 20.5) == (11, 21)
    assert box_pixel_range(5.0, 5.0) == (5, 5)
