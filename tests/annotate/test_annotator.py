"""FrameAnnotator on synthetic frames with known masks (exact pixel values) and a real image."""

from __future__ import annotations

import cv2
import numpy as np
import supervision as sv

from rtseg.annotate import FrameAnnotator, color_indices, instance_labels
from rtseg.annotate.masks import pixel_boxes
from tests.conftest import SHARED, require_shared

GRAY = 100
H, W = 120, 160
PALETTE = sv.ColorPalette.DEFAULT


def synthetic_detections(tracker_id: list[int] | None = None) -> sv.Detections:
    """Two instances: a filled disc in a box, and a rectangle filling the left half of its box."""
    mask = np.zeros((2, H, W), dtype=bool)
    cv2.circle(mask[0].view(np.uint8), (40, 40), 15, 1, thickness=-1)
    mask[1, 70:100, 90:110] = True
    return sv.Detections(
        xyxy=np.array([[25, 25, 56, 56], [90, 70, 130, 100]], dtype=np.float32),
        mask=mask,
        confidence=np.array([0.87, 0.5], dtype=np.float32),
        class_id=np.array([2, 7]),
        tracker_id=None if tracker_id is None else np.array(tracker_id),
        data={"class_name": np.array(["car", "truck"])},
    )


def gray_frame() -> np.ndarray:
    return np.full((H, W, 3), GRAY, dtype=np.uint8)


def expected_tint(palette_index: int, opacity: float = 0.5) -> np.ndarray:
    color = np.array(PALETTE.by_idx(palette_index).as_bgr(), dtype=np.float64)
    return np.rint(GRAY * (1 - opacity) + color * opacity).astype(np.uint8)


def inside_any_box(detections: sv.Detections) -> np.ndarray:
    covered = np.zeros((H, W), dtype=bool)
    for x1, y1, x2, y2 in pixel_boxes(detections.xyxy, W, H):
        covered[y1:y2, x1:x2] = True
    return covered


def test_masks_tinted_with_track_color_and_nothing_else_touched():
    detections = synthetic_detections(tracker_id=[3, 25])
    scene = gray_frame()
    annotator = FrameAnnotator(show_boxes=False, show_labels=False)
    assert annotator.annotate(scene, detections) is scene  # in place
    for mask, track_id in zip(detections.mask, detections.tracker_id, strict=True):
        assert (scene[mask] == expected_tint(int(track_id))).all()
    untouched = ~detections.mask.any(axis=0)
    assert (scene[untouched] == GRAY).all()


def test_untracked_masks_use_class_colors_and_opacity():
    detections = synthetic_detections()
    scene = gray_frame()
    FrameAnnotator(show_boxes=False, show_labels=False, mask_opacity=0.25).annotate(
        scene, detections
    )
    assert (scene[detections.mask[0]] == expected_tint(2, 0.25)).all()
    assert (scene[detections.mask[1]] == expected_tint(7, 0.25)).all()


def test_colors_follow_track_ids_not_row_order():
    detections = synthetic_detections(tracker_id=[3, 25])
    annotator = FrameAnnotator()
    forward = annotator.annotate(gray_frame(), detections)
    backward = annotator.annotate(gray_frame(), detections[[1, 0]])
    assert np.array_equal(forward, backward)
    assert color_indices(detections).tolist() == [3, 25]


def test_mask_pixels_outside_their_box_are_not_drawn():
    detections = synthetic_detections(tracker_id=[1, 2])
    detections.mask[0, 0:5, 0:5] = True  # stray pixels far outside box 0
    scene = FrameAnnotator(show_boxes=False, show_labels=False).annotate(gray_frame(), detections)
    assert (scene[0:5, 0:5] == GRAY).all()


def test_boxes_and_labels_stay_near_their_boxes():
    detections = synthetic_detections(tracker_id=[3, 25])
    scene = FrameAnnotator().annotate(gray_frame(), detections)
    assert (scene[55, 40] == PALETTE.by_idx(3).as_bgr()).all()  # bottom edge of box 0
    assert (scene[105:, :] == GRAY).all() and (scene[60:, :85] == GRAY).all()
    assert (scene[:20, 30:90] != GRAY).any()  # label above box 0


def test_empty_detections_and_detections_without_masks():
    scene = gray_frame()
    assert (FrameAnnotator().annotate(scene, sv.Detections.empty()) == GRAY).all()
    boxes_only = synthetic_detections(tracker_id=[3, 25])
    boxes_only.mask = None
    scene = FrameAnnotator().annotate(gray_frame(), boxes_only)
    assert (scene[55, 40] == PALETTE.by_idx(3).as_bgr()).all()
    assert (scene[40, 40] == GRAY).all()  # inside box 0, but no mask to fill


def test_traces_follow_tracked_centers():
    annotator = FrameAnnotator(show_boxes=False, show_labels=False, show_masks=False, trace=True)
    for shift in range(0, 60, 10):
        moved = synthetic_detections(tracker_id=[3, 25])
        moved.xyxy[0] += [shift, 0, shift, 0]
        scene = annotator.annotate(gray_frame(), moved)
    assert (scene[40, 40:90] == PALETTE.by_idx(3).as_bgr()).all(axis=1).any()


def test_labels():
    tracked = synthetic_detections(tracker_id=[3, 25])
    assert instance_labels(tracked) == ["#3 car 0.87", "#25 truck 0.50"]
    untracked = synthetic_detections()
    del untracked.data["class_name"]
    assert instance_labels(untracked, {2: "car"}) == ["car 0.87", "7 0.50"]


def test_real_image_is_only_changed_around_the_instances():
    image = cv2.imread(str(require_shared(SHARED / "media" / "highway_normal_1.png")))
    h, w = image.shape[:2]
    mask = np.zeros((1, h, w), dtype=bool)
    mask[0, 200:260, 300:400] = True
    detections = sv.Detections(
        xyxy=np.array([[300, 200, 400, 260]], dtype=np.float32),
        mask=mask,
        confidence=np.array([0.9], dtype=np.float32),
        class_id=np.array([2]),
        tracker_id=np.array([1]),
    )
    scene = FrameAnnotator().annotate(image.copy(), detections)
    assert not np.array_equal(scene[200:260, 300:400], image[200:260, 300:400])
    assert np.array_equal(scene[280:], image[280:])
