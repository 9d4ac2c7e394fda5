"""Instance masks at frame resolution from mask coefficients and prototypes.

Reproduces Ultralytics' ``process_mask_native`` (``retina_masks=True``): the prototypes are
upsampled by a small factor (1, 2 or 4) so their letterbox padding falls on whole pixels, the
padding is cut off, the mask LOGITS are bilinearly resized (PyTorch ``align_corners=False``) to the
frame, cropped to the box and thresholded at 0. Both resizes are linear and separable, so each
axis collapses into one (frame pixels x prototype pixels) matrix; each instance then only
computes the pixels inside its own box from the small prototype window under it, and keeps
just those: a box crop in a supervision ``CompactMask`` (:mod:`rtseg.masks`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import supervision as sv
from supervision.detection.compact_mask import CompactMask


@dataclass(frozen=True)
class AxisResampling:
    """Linear map from prototype pixels to frame pixels along one axis, with the band of
    non-zero prototype pixels for every frame pixel."""

    weights: np.ndarray  # (n_frame, n_proto) float32
    first: np.ndarray  # (n_frame,) first prototype index with non-zero weight
    stop: np.ndarray  # (n_frame,) one past the last such index


def bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights of PyTorch bilinear resizing with ``align_corners=False``."""
    source = np.maximum((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0)
    low = np.floor(source).astype(np.int64)
    high = np.minimum(low + 1, n_in - 1)
    weight = source - low
    matrix = np.zeros((n_out, n_in), dtype=np.float64)
    rows = np.arange(n_out)
    matrix[rows, low] += 1.0 - weight
    matrix[rows, high] += weight
    return matrix


def _axis(n_frame: int, n_proto: int, factor: int, start: int, length: int) -> AxisResampling:
    upsample = bilinear_matrix(n_proto, n_proto * factor)[start : start + length]
    weights = (bilinear_matrix(length, n_frame) @ upsample).astype(np.float32)
    nonzero = weights != 0
    first = nonzero.argmax(axis=1)
    stop = n_proto - nonzero[:, ::-1].argmax(axis=1)
    return AxisResampling(weights=weights, first=first, stop=stop)


@lru_cache(maxsize=16)
def mask_resampling(
    frame_hw: tuple[int, int], proto_hw: tuple[int, int]
) -> tuple[AxisResampling, AxisResampling]:
    """Row and column maps from prototypes to the frame, with Ultralytics' rounding."""
    (height, width), (proto_h, proto_w) = frame_hw, proto_hw
    gain = min(4 * proto_h / height, 4 * proto_w / width)
    pad = (4 * proto_h - max(round(height * gain), 1)) | (4 * proto_w - max(round(width * gain), 1))
    factor = 4 // math.gcd(4, pad | pad // 2)
    up_h, up_w = proto_h * factor, proto_w * factor
    gain = min(up_h / height, up_w / width)
    content_h, content_w = max(round(height * gain), 1), max(round(width * gain), 1)
    top, left = round((up_h - content_h) / 2 - 0.1), round((up_w - content_w) / 2 - 0.1)
    return (
        _axis(height, proto_h, factor, top, content_h),
        _axis(width, proto_w, factor, left, content_w),
    )


def box_pixel_range(lo: float, hi: float) -> tuple[int, int]:
    """Integer pixel span [start, stop) of pixels p with lo <= p < hi (Ultralytics' crop rule)."""
    start, stop = math.ceil(lo), math.ceil(hi)
    return start, max(stop, start)


def _window(axis: AxisResampling, start: int, stop: int) -> tuple[np.ndarray, slice]:
    band = slice(int(axis.first[start:stop].min()), int(axis.stop[start:stop].max()))
    return axis.weights[start:stop, band], band


def instance_masks(
    coefficients: np.ndarray, prototypes: np.ndarray, xyxy: np.ndarray, frame_hw: tuple[int, int]
) -> tuple[CompactMask, np.ndarray]:
    """The masks of N instances, each cut to its frame-pixel box, and which of them are
    non-empty: the ``CompactMask`` holds only those (Ultralytics drops detections whose mask is
    empty).

    ``prototypes`` is one image's ``[nm, mh, mw]``; ``xyxy`` boxes are in frame pixels.
    """
    num_protos = prototypes.shape[0]
    rows, cols = mask_resampling(frame_hw, prototypes.shape[1:])
    rles: list[np.ndarray] = []
    shapes: list[tuple[int, int]] = []
    corners: list[tuple[int, int]] = []
    nonempty = np.zeros(len(xyxy), dtype=bool)
    for index, (x1, y1, x2, y2) in enumerate(xyxy):
        x_start, x_stop = box_pixel_range(x1, x2)
        y_start, y_stop = box_pixel_range(y1, y2)
        if x_stop == x_start or y_stop == y_start:
            continue
        row_weights, row_band = _window(rows, y_start, y_stop)
        col_weights, col_band = _window(cols, x_start, x_stop)
        window = prototypes[:, row_band, col_band]
        logits = (coefficients[index] @ window.reshape(num_protos, -1)).reshape(window.shape[1:])
        inside = (row_weights @ logits @ col_weights.T) > 0
        if inside.any():
            nonempty[index] = True
            rles.append(np.asarray(sv.mask_to_rle(inside), dtype=np.int32))
            shapes.append(inside.shape)
            corners.append((x_start, y_start))
    masks = CompactMask(
        rles,
        np.array(shapes, dtype=np.int32).reshape(-1, 2),
        np.array(corners, dtype=np.int32).reshape(-1, 2),
        frame_hw,
    )
    return masks, nonempty
