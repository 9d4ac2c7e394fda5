"""A test clip with exactly known crossings and stays, made of real content: a car and a
person cut out of real footage with the real model's masks, moved along known paths over a
real background (the bridge clip's median frame: its traffic gone), written with OpenCV.

Truth (see :data:`SITE`): the car crosses the gate once "in"; the person crosses it "out",
walks into the pad, stands there :data:`STAY_FRAMES` frames, walks out and crosses "in".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from rtseg.engine import Segmenter

FPS = 25.0
WIDTH, HEIGHT = 640, 360
STAY_FRAMES = 50
CAR_FOOT_Y, PERSON_FOOT_Y = 250, 340
SITE = {
    "lines": [
        # persons and cars: the model also calls the small car a truck now and then, in a
        # second box over it (a detector's duplicate, not the analytics' to count)
        {
            "name": "gate",
            "points": [[420, 180], [420, 359]],
            "in_side": [600, 300],
            "classes": [0, 2],
        },
    ],
    "zones": [
        {
            "name": "pad",
            "polygon": [[240, 290], [370, 290], [370, 359], [240, 359]],
            "classes": [0],
            "loiter_s": 1.5,
        },
    ],
}
TRUTH = {"gate": {"in": 2, "out": 1}, "pad_enter": 1, "pad_exit": 1, "pad_loiter": 1}


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
    """Draw ``cutout`` with its bottom centre at (``foot_x``, ``foot_y``), clipped to the frame."""
    height, width = cutout.mask.shape
    x0, y0 = round(foot_x - width / 2), round(foot_y - height)
    left, top = max(0, -x0), max(0, -y0)
    right, bottom = min(width, WIDTH - x0), min(height, HEIGHT - y0)
    region = scene[y0 + top : y0 + bottom, x0 + left : x0 + right]
    mask = cutout.mask[top:bottom, left:right]
    region[mask] = cutout.image[top:bottom, left:right][mask]


def paths() -> tuple[list[float], list[float]]:
    """Per frame, the car's and the person's foot x (NaN: not in the picture)."""
    car = [230.0 + 10 * t for t in range(40)]  # 230 -> 620, over the gate at x = 420
    walk_in = [600.0 - 8 * t for t in range(39)]  # 600 -> 296: over the gate into the pad
    person = [np.nan] * 45 + walk_in + [walk_in[-1]] * STAY_FRAMES + walk_in[::-1]
    car += [car[-1]] * (len(person) - len(car) + 10)
    person += [person[-1]] * 10
    return car, person


def build_clip(
    segmenter: Segmenter, background_video: Path, crowd_video: Path, still: Path, path: Path
) -> Path:
    """Write the clip to ``path`` (lossless-enough MJPEG in an .avi) and return it."""
    background = cv2.resize(median_background(background_video), (WIDTH, HEIGHT))
    car = cut_out(segmenter, cv2.imread(str(still)), 2, 60)
    capture = cv2.VideoCapture(str(crowd_video))
    ok, crowd = capture.read()
    capture.release()
    assert ok, crowd_video
    person = cut_out(segmenter, crowd, 0, 110)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (WIDTH, HEIGHT))
    for car_x, person_x in zip(*paths(), strict=True):
        scene = background.copy()
        paste(scene, car, car_x, CAR_FOOT_Y)
        if not np.isnan(person_x):
            paste(scene, person, person_x, PERSON_FOOT_Y)
        writer.write(scene)
    writer.release()
    return path
