"""MOTChallenge text output: ``frame,id,x,y,w,h,conf,-1,-1,-1`` per tracked object."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import numpy as np
import supervision as sv

from rtseg.closeable import Closeable


def mot_lines(tracked: sv.Detections, frame: int) -> list[str]:
    """MOTChallenge lines for frame ``frame`` (1-based); rows without a tracker id are skipped."""
    if frame < 1:
        raise ValueError(f"MOTChallenge frames are 1-based, got {frame}")
    if tracked.tracker_id is None or not len(tracked):
        return []
    confidence = np.ones(len(tracked)) if tracked.confidence is None else tracked.confidence
    lines = []
    for (x1, y1, x2, y2), track_id, conf in zip(
        tracked.xyxy, tracked.tracker_id, confidence, strict=True
    ):
        if track_id < 0:
            continue
        box = f"{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f}"
        lines.append(f"{frame},{int(track_id)},{box},{conf:.4f},-1,-1,-1")
    return lines


class MotWriter(Closeable):
    """Append a tracked stream to a MOTChallenge text file, one :meth:`write` per frame."""

    def __init__(self, path: str | Path) -> None:
        self._file: TextIO = Path(path).open("w", encoding="utf-8")  # noqa: SIM115 - closed by close()

    def write(self, tracked: sv.Detections, frame: int) -> None:
        """Write frame ``frame``'s (1-based) tracked objects."""
        for line in mot_lines(tracked, frame):
            self._file.write(line + "\n")

    def close(self) -> None:
        self._file.close()
