"""Per-frame detections as JSON Lines, one flushed line per frame (a kill leaves valid lines).

Schema (exact)::

    {"frame": int, "time_ms": float|null, "width": W, "height": H, "detections": [
        {"track_id": int|null, "class_id": int, "class_name": str, "confidence": float,
         "box_xyxy": [x1, y1, x2, y2], "mask": {"size": [H, W], "counts": str} | null}]}

Detections counted by :class:`rtseg.Analytics` add ``"zones": {"zone": occupancy}`` and
``"lines": {"line": {"in": n, "out": m}}`` (counts so far) after ``detections``; other lines
are unchanged.

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
from supervision.detection.compact_mask import CompactMask

from rtseg.analytics.events import METADATA_KEY
from rtseg.classes import class_names
from rtseg.masks import box_crops
from rtseg.sinks.base import open_text
from rtseg.sources import Frame


def encode_masks(masks: np.ndarray | CompactMask, xyxy: np.ndarray) -> list[dict[str, Any]]:
    """COCO compressed RLE (``{"size": [H, W], "counts": str}``) of each frame-size mask, made
    from its box crop: no (H, W) mask is built."""
    height, width = masks.shape[1:]
    counts = [frame_runs(crop, x, y, height, width) for crop, x, y in box_crops(masks, xyxy)]
    if not counts:
        return []
    encoded = mask_utils.frPyObjects(
        [{"size": [height, width], "counts": runs} for runs in counts], height, width
    )
    return [
        {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}
        for rle in encoded
    ]


def frame_runs(crop: np.ndarray, x: int, y: int, height: int, width: int) -> np.ndarray:
    """The COCO run lengths (column-major, from a run of zeros) of the (height, width) mask that
    is ``crop`` at ``x``, ``y`` and empty elsewhere, as ``pycocotools.mask.encode`` counts them."""
    crop_h, crop_w = crop.shape
    columns = np.zeros((crop_w, crop_h + 2), dtype=np.int8)  # each column padded with a 0 each end
    columns[:, 1:-1] = crop.T
    column, row = np.nonzero(np.diff(columns, axis=1))  # a run's start, then its end, in order
    edges = (x + column) * height + y + row
    if crop_h == height:  # a run ending at a column's foot and one starting at the next's top
        touching = np.flatnonzero(edges[1:-1:2] == edges[2::2]) * 2 + 1
        edges = np.delete(edges, np.concatenate([touching, touching + 1]))
    runs = np.diff(edges, prepend=0, append=height * width)
    return runs if runs[-1] else runs[:-1]  # no empty last run (the mask ends on a set pixel)


def frame_record(
    frame: Frame, detections: sv.Detections, names: Mapping[int, str] | None = None
) -> dict[str, Any]:
    """The JSON-ready record of one frame and its detections."""
    height, width = frame.image.shape[:2]
    count = len(detections)
    track_ids = [None] * count if detections.tracker_id is None else detections.tracker_id.tolist()
    masks = (
        [None] * count
        if detections.mask is None
        else encode_masks(detections.mask, detections.xyxy)
    )
    rows = zip(
        track_ids,
        detections.class_id.tolist(),
        class_names(detections, names),
        detections.confidence.tolist(),
        np.round(detections.xyxy.astype(np.float64), 2).tolist(),
        masks,
        strict=True,
    )
    record = {
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
    analytics = detections.metadata.get(METADATA_KEY)
    if analytics is not None:
        record["zones"] = analytics.zones_record()
        record["lines"] = analytics.lines_record()
    return record


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
