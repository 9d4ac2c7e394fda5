"""A small text panel (fps, latency, ...) in the top-left corner of a live preview."""

from __future__ import annotations

import cv2
import numpy as np

FONT = cv2.FONT_HERSHEY_SIMPLEX
SCALE = 0.5
THICKNESS = 1
MARGIN = 6


def draw_status(scene: np.ndarray, lines: list[str]) -> np.ndarray:
    """Draw ``lines`` in white on a darkened panel, in place; returns ``scene``.

    Only the panel's pixels are touched (halved for contrast), not the whole frame.
    """
    if not lines:
        return scene
    sizes = [cv2.getTextSize(line, FONT, SCALE, THICKNESS) for line in lines]
    line_height = max(h + baseline for (_, h), baseline in sizes) + MARGIN // 2
    width = max(w for (w, _), _ in sizes) + 2 * MARGIN
    height = line_height * len(lines) + MARGIN
    panel = scene[:height, :width]
    np.right_shift(panel, 1, out=panel)
    for row, line in enumerate(lines, start=1):
        origin = (MARGIN, row * line_height)
        cv2.putText(scene, line, origin, FONT, SCALE, (255, 255, 255), THICKNESS, cv2.LINE_AA)
    return scene
