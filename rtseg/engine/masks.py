"""Instance masks at frame resolution from mask coefficients and prototypes (pure numpy).

Reproduces Ultralytics' ``process_mask_native`` (``retina_masks=True``): the mask LOGITS
(coefficients · prototypes) are bilinearly resized (PyTorch ``align_corners=False`` semantics)
from the prototypes' un-padded region to the frame, cropped to the box, and thresholded at 0.
Only each box's pixels are computed: a separable interpolation of the small prototype window
under the box, never a full-frame upsample per instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class AxisSampling:
    """For every output pixel along one axis: the two source indices and their weights."""

    low: np.ndarray  # (n_out,) int64, absolute index into the prototype axis
    high: np.ndarray  # (n_out,) int64
    weight_high: np.ndarray  # (n_out,) float32; weight of ``low`` is 1 - weight_high


def _axis_sampling(n_out: int, crop_start: int, crop_len: int) -> AxisSampling:
    """Bilinear source positions for resizing ``crop_len`` samples to ``n_out`` (half-pixel)."""
    scale = crop_len / n_out
    source = np.maximum((np.arange(n_out, dtype=np.float64) + 0.5) * scale - 0.5, 0.0)
    low = np.floor(source).astype(np.int64)
    high = np.minimum(low + 1, crop_len - 1)
    return AxisSampling(
        low=low + crop_start,
        high=high + crop_start,
        weight_high=(source - low).astype(np.float32),
    )


@lru_cache(maxsize=16)
def mask_sampling(
    frame_hw: tuple[int, int], proto_hw: tuple[int, int]
) -> tuple[AxisSampling, AxisSampling]:
    """Row and column sampling from prototype space to the frame, like ``scale_masks``.

    The prototypes' letterbox padding is cut off with the same rounding as Ultralytics.
    """
    (height, width), (proto_h, proto_w) = frame_hw, proto_hw
    gain = min(proto_h / height, proto_w / width)
    pad_w, pad_h = (proto_w - width * gain) / 2, (proto_h - height * gain) / 2
    top, left = round(pad_h - 0.1), round(pad_w - 0.1)
    bottom, right = proto_h - round(pad_h + 0.1), proto_w - round(pad_w + 0.1)
    return (
        _axis_sampling(height, top, bottom - top),
        _axis_sampling(width, left, right - left),
    )


def _interpolation_matrix(sampling: AxisSampling, start: int, stop: int) -> tuple[np.ndarray, int]:
    """Dense (n, window) matrix resampling a prototype window onto output pixels start:stop."""
    low, high = sampling.low[start:stop], sampling.high[start:stop]
    weight = sampling.weight_high[start:stop]
    origin = int(low.min())
    matrix = np.zeros((stop - start, int(high.max()) - origin + 1), dtype=np.float32)
    rows = np.arange(stop - start)
    matrix[rows, low - origin] += 1.0 - weight
    matrix[rows, high - origin] += weight
    return matrix, origin


def box_pixel_range(lo: float, hi: float) -> tuple[int, int]:
    """Integer pixel span [start, stop) of pixels p with lo <= p < hi (Ultralytics' crop rule)."""
    start, stop = int(np.ceil(lo)), int(np.ceil(hi))
    return start, max(stop, start)


def instance_masks(
    coefficients: np.ndarray, prototypes: np.ndarray, xyxy: np.ndarray, frame_hw: tuple[int, int]
) -> np.ndarray:
    """Boolean (N, H, W) masks for N instances, each non-zero only inside its frame-pixel box.

    ``prototypes`` is one image's ``[nm, mh, mw]``; ``xyxy`` boxes are in frame pixels.
    """
    num_protos, proto_h, proto_w = prototypes.shape
    rows, cols = mask_sampling(frame_hw, (proto_h, proto_w))
    masks = np.zeros((len(xyxy), *frame_hw), dtype=bool)
    for index, (x1, y1, x2, y2) in enumerate(xyxy):
        x_start, x_stop = box_pixel_range(x1, x2)
        y_start, y_stop = box_pixel_range(y1, y2)
        if x_stop == x_start or y_stop == y_start:
            continue
        row_matrix, row_origin = _interpolation_matrix(rows, y_start, y_stop)
        col_matrix, col_origin = _interpolation_matrix(cols, x_start, x_stop)
        window = prototypes[
            :,
            row_origin : row_origin + row_matrix.shape[1],
            col_origin : col_origin + col_matrix.shape[1],
        ]
        logits = (coefficients[index] @ window.reshape(num_protos, -1)).reshape(window.shape[1:])
        masks[index, y_start:y_stop, x_start:x_stop] = (row_matrix @ logits @ col_matrix.T) > 0
    return masks
