"""What a worker sends the driver per frame, kept small: masks as the box crops they already
are (supervision's ``CompactMask``, see :mod:`rtseg.masks`), images only when the driver draws."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import supervision as sv

from rtseg.sources import Frame


@dataclass(frozen=True)
class FrameResult:
    """One processed frame of ``stream`` and its detections, as the worker's pipeline had them
    (the frame's image a placeholder unless the driver draws)."""

    stream: str
    frame: Frame
    detections: sv.Detections


def placeholder_image(height: int, width: int) -> np.ndarray:
    """A read-only black image of the frame's size that takes no memory (zero strides)."""
    return np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (height, width, 3))


def pack(stream: str, frame: Frame, detections: sv.Detections, image: bool) -> FrameResult:
    """A frame's result for the trip to the driver (``image``: whether the frame goes too)."""
    if not image:
        height, width = frame.image.shape[:2]
        frame = replace(frame, image=placeholder_image(height, width))
    return FrameResult(stream, frame, detections)
