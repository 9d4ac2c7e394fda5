"""A test clip with exactly known crossings and stays, made of real content: a car and a
person cut out of real footage with the real model's masks, moved along known paths over a
real background (the bridge clip's median frame: its traffic gone; scripts/cutouts.py),
written with OpenCV.

Truth (see :data:`SITE`): the car crosses the gate once "in"; the person crosses it "out",
walks into the pad, stands there :data:`STAY_FRAMES` frames, walks out and crosses "in".
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from rtseg.engine import Segmenter
from scripts.cutouts import cut_out, median_background, paste

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
