"""Per-frame detections as JSON Lines, one flushed line per frame (a kill leaves valid lines).

Schema (exact)::

    {"frame": int, "time_ms": float|null, "width": W, "height": H, "detections": [
        {"track_id": int|null, "class_id": int, "class_name": str, "confidence": float,
         "box_xyxy": [x1, y1, x2, y2], "mask": {"size": [H, W], "counts": str} | null}]}

Masks are COCO compressed RLE (``pycocotools.mask.decode`` restores them); ``mask`` is null
when the detections carry no masks. Confidence has 4 decimals, box coordinates 2.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import supervision as sv
from pycocotools import mask as mask_utils

from rtseg.annotate.labels import class_names
from rtseg.sinks.base import open_text
from rtseg.sources import Frame


def encode_masks(masks: np.ndarray) -> list[dict[str, Any]]:
    """COCO compressed RLE (``{"size": [H, W], "counts": str}``) for each (N, H, W) mask."""
    if len(masks) == 0:
        return []
    encoded = mask_utils.encode(np.asfortranarray(masks.transpose(1, 2, 0), dtype=np.uint8))
    return [
        {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}
        for rle in encoded
    ]


def frame_record(
    frame: Frame, detections: sv.Detections, names: Mapping[int, str] | None = None
) -> dict[str, Any]:
    """The JSON-ready record of one frame and its detections."""
    height, width = frame.image.shape[:2]
    count = len(detections)
    track_ids = [None] * count if detections.tracker_id is None else detections.tracker_id.tolist()
    masks = [None] * count if detections.mask is None else encode_masks(detections.mask)
    rows = zip(
        track_ids,
        detections.class_id.tolist(),
        class_names(detections, names),
        detections.confidence.tolist(),
        np.round(detections.xyxy.astype(np.float64), 2).tolist(),
        masks,
        strict=True,
    )
    return {
        "frame": frame.index,
        "time_ms": frame.time_ms,
        "width": width,
        "height": height,
        "detections": [
            {
                "track_id": track_id,
                "class_id": class_id,
                "class_name": name,
                "confidence": round(confidence, 4),
                "box_xyxy": box,
                "mask": mask,
            }
            for track_id, class_id, name, confidence, box, mask in rows
        ],
    }


class JsonlSink:
    """Appends one JSON line per frame to ``path`` (truncated on open) and flushes it."""

    needs_annotation = False

    def __init__(self, path: str | Path, names: Mapping[int, str] | None = None) -> None:
        self.names = names
        self._file = open_text(path)

    def write(self, frame: Frame, annotated: np.ndarray | None, detections: sv.Detections) -> None:
        record = frame_record(frame, detections, self.names)
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()
