"""Tracks as MOTChallenge text (``frame,id,x,y,w,h,conf,-1,-1,-1``), flushed per frame.

The MOT frame number is the 1-based SOURCE frame index, so strides and drops leave gaps
rather than shifting later frames. Untracked rows are skipped (they have no id).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import supervision as sv

from rtseg.sinks.base import open_text
from rtseg.sources import Frame
from rtseg.tracking.mot import mot_lines


class MotSink:
    """Writes each frame's tracked objects to a MOTChallenge text file."""

    needs_annotation = False

    def __init__(self, path: str | Path) -> None:
        self._file = open_text(path)

    def write(self, frame: Frame, annotated: np.ndarray | None, detections: sv.Detections) -> None:
        lines = mot_lines(detections, frame.index + 1)
        if lines:
            self._file.write("\n".join(lines) + "\n")
            self._file.flush()

    def close(self) -> None:
        self._file.close()
