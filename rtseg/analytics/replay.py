"""Reading a recorded ``--jsonl`` file back as frames and tracked detections, so a new site
layout is counted without the model (``rtseg analyze``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import supervision as sv
from supervision.detection.compact_mask import CompactMask

from rtseg.errors import RtsegError
from rtseg.sources import Frame

_PIXEL = np.zeros((1, 1, 3), dtype=np.uint8)


def recorded_frames(path: str | Path) -> Iterator[tuple[str, Frame, sv.Detections]]:
    """Each line of a ``--jsonl`` file as (stream, frame, detections): the stream's name
    ("" in a single-stream file), a frame whose image is a read-only stand-in of the frame's
    size, and the detections with track ids (-1 where none), class names and mask crops."""
    target = Path(path).expanduser()
    try:
        lines = target.open(encoding="utf-8")
    except OSError as exc:
        raise RtsegError(f"cannot read {target}: {exc.strerror or exc}") from exc
    with lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                yield record.get("stream", ""), *_frame_and_detections(record)
            except (ValueError, KeyError, TypeError, IndexError) as exc:
                raise RtsegError(
                    f"{target} line {number}: not a --jsonl frame record ({exc})"
                ) from exc


def _frame_and_detections(record: dict[str, Any]) -> tuple[Frame, sv.Detections]:
    height, width = int(record["height"]), int(record["width"])
    image = np.broadcast_to(_PIXEL, (height, width, 3))
    frame = Frame(int(record["frame"]), image, record["time_ms"], 0.0)
    rows = record["detections"]
    xyxy = np.array([row["box_xyxy"] for row in rows], dtype=np.float32).reshape(-1, 4)
    rles = [row["mask"] for row in rows]
    mask = None
    if rows and all(rle is not None for rle in rles):
        mask = CompactMask.from_coco_rle(rles, xyxy, image_shape=(height, width))
    detections = sv.Detections(
        xyxy=xyxy,
        mask=mask,
        confidence=np.array([row["confidence"] for row in rows], dtype=np.float32),
        class_id=np.array([row["class_id"] for row in rows], dtype=int),
        tracker_id=np.array(
            [-1 if row["track_id"] is None else row["track_id"] for row in rows], dtype=int
        ),
        data={"class_name": np.array([row["class_name"] for row in rows], dtype=str)},
    )
    return frame, detections
