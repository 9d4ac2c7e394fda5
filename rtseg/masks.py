"""Instance masks as box crops: supervision's ``CompactMask``, the one form ``Detections.mask``
takes from the engine to the sinks.

Each mask is kept as the run-length encoded crop of its box with the frame position of the
crop's top-left pixel, so a frame's masks cost about their boxes' area, not N frames. The
tracker, the annotator and the JSON Lines encoder read the crops, the Ray transfer sends them as
they are; a frame-size (N, H, W) array is made only for a caller that asks for one
(``np.asarray(mask)``, the results of ``rtseg.track``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from supervision.detection.compact_mask import CompactMask


def as_compact(mask: np.ndarray | CompactMask, xyxy: np.ndarray) -> CompactMask:
    """``Detections.mask`` as crops: a ``CompactMask`` as it is; a dense (N, H, W) array (a
    caller's own detections) cut to the ``xyxy`` boxes, as ``CompactMask.from_dense`` does
    (pixels outside a mask's box are dropped)."""
    if isinstance(mask, CompactMask):
        return mask
    dense = np.asarray(mask, dtype=bool)
    return CompactMask.from_dense(dense, np.asarray(xyxy), image_shape=dense.shape[1:])


def box_crops(
    mask: np.ndarray | CompactMask, xyxy: np.ndarray
) -> Iterator[tuple[np.ndarray, int, int]]:
    """Each mask's crop (a bool array the size of its box) and the frame ``x``, ``y`` of the
    crop's top-left pixel."""
    compact = as_compact(mask, xyxy)
    for index, (x, y) in enumerate(compact.offsets.tolist()):
        yield compact.crop(index), x, y
