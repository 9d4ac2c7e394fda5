"""ZoneLineAnnotator: zones tinted, only the part of a mask inside a zone highlighted, lines
with their counts; frames without analytics untouched."""

from __future__ import annotations

import numpy as np
import supervision as sv

from rtseg.analytics import Analytics
from rtseg.annotate import ZoneLineAnnotator
from tests.analytics.helpers import GATE, HEIGHT, WIDTH, frame, site

ZONE = {"name": "pad", "polygon": [[100, 100], [300, 100], [300, 300], [100, 300]]}


def person(x0: int, x1: int) -> sv.Detections:
    """Track 1: a mask filling x0..x1, rows 200..279 (footpoint inside the pad when x0 < 300)."""
    mask = np.zeros((1, HEIGHT, WIDTH), dtype=bool)
    mask[0, 200:280, x0:x1] = True
    return sv.Detections(
        xyxy=np.array([[x0, 200, x1 - 1, 279]], dtype=np.float32),
        mask=sv.CompactMask.from_dense(mask, np.array([[x0, 200, x1 - 1, 279]]), (HEIGHT, WIDTH)),
        confidence=np.array([0.9]),
        class_id=np.array([0]),
        tracker_id=np.array([1]),
    )


def test_the_mask_part_inside_a_zone_is_highlighted() -> None:
    sample = site([GATE], [ZONE])
    detections = Analytics(sample).update(frame(0), person(250, 330))
    scene = np.full((HEIGHT, WIDTH, 3), 100, dtype=np.uint8)
    ZoneLineAnnotator(sample).annotate(scene, detections)
    empty = np.full(3, 100)
    in_zone_only, mask_inside, mask_outside = scene[150, 150], scene[240, 270], scene[240, 320]
    assert (in_zone_only != empty).any()  # the zone is tinted
    assert np.abs(mask_inside.astype(int) - in_zone_only).sum() > 30  # and more on the mask
    assert (mask_outside == empty).all()  # the mask outside the zone is left alone
    assert (scene[200, 100:540] != empty).any(axis=1).mean() > 0.9  # the gate is drawn


def test_frames_without_analytics_are_untouched() -> None:
    scene = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    ZoneLineAnnotator(site([GATE])).annotate(scene, person(250, 330))
    assert not scene.any()
