"""Real objects cut out of real footage with the real model's masks, pasted over a real
background along known paths: scenes with a known truth (tests/analytics/clip.py) or a known
load (scripts/bench_analytics.py).

Needs only rtseg's engine, OpenCV and numpy, so tests import it as ``scripts.cutouts`` and the
scripts beside it as ``cutouts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from rtseg.engine import Segmenter


@dataclass(frozen=True)
class Cutout:
    """A real object's pixels and mask (bool), foot at the bottom centre of its crop."""

    image: np.ndarray
    mask: np.ndarray


def cut_out(segmenter: Segmenter, image: np.ndarray, class_id: int, height: int) -> Cutout:
    """The most confident ``class_id`` object of ``image``, by the model's mask, scaled to
    ``height`` pixels."""
    detections = segmenter(image)
    best = int(np.argmax(np.where(detections.class_id == class_id, detections.confidence, -1)))
    x1, y1, x2, y2 = np.rint(detections.xyxy[best]).astype(int)
    mask = np.asarray(detections[[best]].mask)[0][y1:y2, x1:x2]
    rows = np.flatnonzero(mask.any(axis=1))
    crop, mask = image[y1:y2, x1:x2][: rows[-1] + 1], mask[: rows[-1] + 1]
    scale = height / crop.shape[0]
    size = (max(1, round(crop.shape[1] * scale)), height)
    resized = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    return Cutout(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), resized.astype(bool))


def median_background(video: Path, every: int = 20) -> np.ndarray:
    """The per-pixel median of every ``every``-th frame: the fixed scene without its traffic."""
    capture = cv2.VideoCapture(str(video))
    frames = []
    index = 0
    while True:
        ok, image = capture.read()
        if not ok:
            break
        if index % every == 0:
            frames.append(image)
        index += 1
    capture.release()
    return np.median(np.stack(frames), axis=0).astype(np.uint8)


def paste(scene: np.ndarray, cutout: Cutout, foot_x: float, foot_y: float) -> None:
    """Draw ``cutout`` with its bottom centre at (``foot_x``, ``foot_y``), clipped to ``scene``
    (nothing drawn when it lies wholly outside)."""
    height, width = cutout.mask.shape
    x0, y0 = round(foot_x - width / 2), round(foot_y - height)
    left, top = max(0, -x0), max(0, -y0)
    right, bottom = min(width, scene.shape[1] - x0), min(height, scene.shape[0] - y0)
    if right <= left or bottom <= top:
        return
    region = scene[y0 + top : y0 + bottom, x0 + left : x0 + right]
    mask = cutout.mask[top:bottom, left:right]
    region[mask] = cutout.image[top:bottom, left:right][mask]
