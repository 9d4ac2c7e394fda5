"""How closely one model's detections agree with a reference model's, frame by frame.

Detections pair up one-to-one, greedily by box IoU (highest first), only within the same class
and at box IoU >= 0.5 (the usual detection match). Recall is the share of the reference's
detections that found a partner, precision the share of the candidate's; the masks of each
pair are compared by IoU.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import supervision as sv

BOX_IOU_GATE = 0.5
MASK_IOU_PERCENTILE = 5


@dataclass(frozen=True)
class FrameAgreement:
    """One frame: detection counts on each side and the mask IoU of every matched pair."""

    reference: int
    candidate: int
    mask_ious: tuple[float, ...]


@dataclass(frozen=True)
class Agreement:
    """Agreement pooled over frames."""

    frames: int
    reference: int
    candidate: int
    mask_ious: tuple[float, ...]

    @property
    def matched(self) -> int:
        return len(self.mask_ious)

    @property
    def recall(self) -> float:
        return self.matched / self.reference if self.reference else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.candidate if self.candidate else 1.0

    @property
    def median_mask_iou(self) -> float:
        return float(np.median(self.mask_ious)) if self.mask_ious else 1.0

    @property
    def low_mask_iou(self) -> float:
        """The 5th percentile of matched pairs' mask IoU: how bad the worst masks get."""
        return float(np.percentile(self.mask_ious, MASK_IOU_PERCENTILE)) if self.mask_ious else 1.0

    def format(self) -> str:
        return (
            f"recall {self.recall:.3f}, precision {self.precision:.3f}, mask IoU median "
            f"{self.median_mask_iou:.3f} p5 {self.low_mask_iou:.3f} ({self.reference} reference"
            f" and {self.candidate} candidate detections on {self.frames} frames)"
        )


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 1.0


def compare_frame(reference: sv.Detections, candidate: sv.Detections) -> FrameAgreement:
    """Pair the two models' detections of one frame and measure their masks."""
    ious = (
        sv.box_iou_batch(reference.xyxy, candidate.xyxy)
        if len(reference) and len(candidate)
        else np.zeros((len(reference), len(candidate)))
    )
    same_class = reference.class_id[:, None] == candidate.class_id[None, :]
    ious = np.where(same_class & (ious >= BOX_IOU_GATE), ious, -1.0)
    pairs: list[tuple[int, int]] = []
    while ious.size and ious.max() >= 0:
        row, col = np.unravel_index(int(ious.argmax()), ious.shape)
        pairs.append((int(row), int(col)))
        ious[row, :] = -1.0
        ious[:, col] = -1.0
    mask_ious = tuple(
        mask_iou(reference.mask[row], candidate.mask[col])
        if reference.mask is not None and candidate.mask is not None
        else 1.0
        for row, col in pairs
    )
    return FrameAgreement(len(reference), len(candidate), mask_ious)


def pool(frames: Iterable[FrameAgreement]) -> Agreement:
    """Sum counts and gather mask IoUs over frames."""
    frames = list(frames)
    return Agreement(
        frames=len(frames),
        reference=sum(frame.reference for frame in frames),
        candidate=sum(frame.candidate for frame in frames),
        mask_ious=tuple(iou for frame in frames for iou in frame.mask_ious),
    )
