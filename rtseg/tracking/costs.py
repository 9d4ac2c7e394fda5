"""Association costs and gates between tracks and detections (pure functions).

Similarities live in [0, 1]; the tracker turns them into costs as ``1 - similarity``.
Masks are compared as crops placed in the frame (:class:`MaskCrop`): only the pixels where two
crops overlap are read, never a full frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from supervision.detection.compact_mask import CompactMask

from rtseg.masks import box_crops

GATED_COST = 2.0
"""Cost given to forbidden pairs: above any match threshold, yet finite for the solvers."""


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` (N, 4 xyxy) with every box in ``b`` (M, 4 xyxy) -> (N, M)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0.0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0.0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0.0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def fuse_score(similarity: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Weight each detection column by its confidence, so sure detections win close calls."""
    return similarity * np.asarray(scores, dtype=np.float64)[None, :]


def class_gate(cost: np.ndarray, track_classes: np.ndarray, det_classes: np.ndarray) -> np.ndarray:
    """Forbid pairs whose class ids differ (a copy of ``cost`` with those pairs gated)."""
    different = np.asarray(track_classes)[:, None] != np.asarray(det_classes)[None, :]
    return np.where(different, GATED_COST, cost)


def aspect_gate(
    cost: np.ndarray, track_xyxy: np.ndarray, det_xyxy: np.ndarray, max_change: float
) -> np.ndarray:
    """Forbid pairs whose box aspect ratios (width / height) differ by more than ``max_change``x.

    Returns a copy of ``cost`` with those pairs gated. Box size may change freely (IoU judges
    that); a shape turning from tall to wide (a person's box to a car's) is not one object moving.
    """
    track_aspect = _log_aspect(track_xyxy)
    det_aspect = _log_aspect(det_xyxy)
    different = np.abs(track_aspect[:, None] - det_aspect[None, :]) > np.log(max_change)
    return np.where(different, GATED_COST, cost)


def _log_aspect(xyxy: np.ndarray) -> np.ndarray:
    """log(width / height) of (N, 4 xyxy) boxes, sizes floored at 1e-6 so none is infinite."""
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    size = np.maximum(xyxy[:, 2:] - xyxy[:, :2], 1e-6)
    return np.log(size[:, 0]) - np.log(size[:, 1])


@dataclass(frozen=True)
class MaskCrop:
    """A binary mask cut to its box, with the frame position of its top-left pixel."""

    mask: np.ndarray
    x: int
    y: int
    area: int

    def moved_to(self, x: int, y: int) -> MaskCrop:
        """The same mask with its top-left pixel at ``(x, y)``."""
        return MaskCrop(self.mask, x, y, self.area)


def mask_crops(masks: np.ndarray | CompactMask, xyxy: np.ndarray) -> list[MaskCrop]:
    """One decoded crop per detection from ``Detections.mask`` (box crops, or a dense
    (N, H, W) array cut to the boxes)."""
    return [
        MaskCrop(crop, x, y, int(np.count_nonzero(crop))) for crop, x, y in box_crops(masks, xyxy)
    ]


def crop_iou(a: MaskCrop, b: MaskCrop) -> float:
    """Mask IoU of two crops, reading only the rectangle where they overlap."""
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1 = min(a.x + a.mask.shape[1], b.x + b.mask.shape[1])
    y1 = min(a.y + a.mask.shape[0], b.y + b.mask.shape[0])
    if x1 <= x0 or y1 <= y0:
        return 0.0
    window_a = a.mask[y0 - a.y : y1 - a.y, x0 - a.x : x1 - a.x]
    window_b = b.mask[y0 - b.y : y1 - b.y, x0 - b.x : x1 - b.x]
    inter = int(np.count_nonzero(window_a & window_b))
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


def mask_iou(
    tracks: list[MaskCrop | None], detections: list[MaskCrop], candidates: np.ndarray
) -> np.ndarray:
    """(N, M) mask IoU for the ``candidates`` pairs (bool (N, M)) of tracks that have a mask.

    Pairs not compared are NaN, so callers can keep another similarity there.
    """
    out = np.full(candidates.shape, np.nan)
    for i, j in zip(*np.nonzero(candidates), strict=True):
        track = tracks[i]
        if track is not None:
            out[i, j] = crop_iou(track, detections[j])
    return out


def blend_mask_similarity(box_sim: np.ndarray, mask_sim: np.ndarray) -> np.ndarray:
    """Average box and mask IoU; pairs without a mask IoU (NaN) keep their box IoU."""
    return np.where(np.isnan(mask_sim), box_sim, (box_sim + mask_sim) / 2.0)
