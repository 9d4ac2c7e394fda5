"""What a worker sends the driver per frame, kept small: masks as box crops, images only when
the driver draws."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import supervision as sv

from rtseg.sources import Frame

MaskCrop = tuple[int, int, np.ndarray]  # (top, left, the mask inside the box)


@dataclass(frozen=True)
class FrameResult:
    """One processed frame of ``stream``; ``detections`` without masks, ``crops`` hold them."""

    stream: str
    frame: Frame
    detections: sv.Detections
    crops: list[MaskCrop] | None


def crop_masks(masks: np.ndarray, xyxy: np.ndarray) -> list[MaskCrop]:
    """Each (H, W) mask cut to its box (rounded outwards, clipped to the frame).

    Decoded masks are zero outside their box, so nothing is lost.
    """
    height, width = masks.shape[1:]
    x1y1 = np.clip(np.floor(xyxy[:, :2]).astype(int), 0, [width, height])
    x2y2 = np.clip(np.ceil(xyxy[:, 2:]).astype(int), 0, [width, height])
    return [
        (int(top), int(left), masks[i, top:bottom, left:right].copy())
        for i, ((left, top), (right, bottom)) in enumerate(zip(x1y1, x2y2, strict=True))
    ]


def paste_masks(crops: list[MaskCrop], height: int, width: int) -> np.ndarray:
    """The (N, height, width) bool masks that :func:`crop_masks` cut."""
    masks = np.zeros((len(crops), height, width), dtype=bool)
    for i, (top, left, crop) in enumerate(crops):
        masks[i, top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    return masks


def placeholder_image(height: int, width: int) -> np.ndarray:
    """A read-only black image of the frame's size that takes no memory (zero strides)."""
    return np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (height, width, 3))


def pack(stream: str, frame: Frame, detections: sv.Detections, image: bool) -> FrameResult:
    """A frame's result for the trip to the driver (``image``: whether the frame goes too)."""
    height, width = frame.image.shape[:2]
    if not image:
        frame = replace(frame, image=placeholder_image(height, width))
    crops = None if detections.mask is None else crop_masks(detections.mask, detections.xyxy)
    stripped = sv.Detections(
        xyxy=detections.xyxy,
        confidence=detections.confidence,
        class_id=detections.class_id,
        tracker_id=detections.tracker_id,
        data=dict(detections.data),
    )
    return FrameResult(stream, frame, stripped, crops)


def unpack(result: FrameResult) -> tuple[Frame, sv.Detections]:
    """The frame and its detections, masks restored, as the worker's pipeline had them."""
    detections = result.detections
    if result.crops is not None:
        height, width = result.frame.image.shape[:2]
        detections.mask = paste_masks(result.crops, height, width)
    return result.frame, detections
