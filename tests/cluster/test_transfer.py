"""Results on their way from a worker to the driver: masks as box crops, optional images."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from rtseg.cluster.transfer import crop_masks, pack, paste_masks, placeholder_image, unpack
from rtseg.engine import Segmenter
from rtseg.sources import Frame
from tests.conftest import SHARED, require_shared


@pytest.fixture(scope="module")
def street() -> tuple[Frame, object]:
    """A real frame and its real detections (masks at frame resolution)."""
    model = require_shared(SHARED / "models" / "yolov8n-seg-fp32-320.onnx")
    image = cv2.imread(str(require_shared(SHARED / "media" / "urban_waymo_1920x1280.jpg")))
    detections = Segmenter(model, device="cpu")(image)
    assert len(detections) > 3
    return Frame(7, image, 280.0, 1.0), detections


def test_crops_restore_the_exact_masks(street):
    _, detections = street
    crops = crop_masks(detections.mask, detections.xyxy)
    height, width = detections.mask.shape[1:]
    assert np.array_equal(paste_masks(crops, height, width), detections.mask)
    kept = sum(crop.size for _, _, crop in crops)
    assert kept < detections.mask.size / 4  # the point: far less than full-frame masks


def test_boxes_at_the_frame_edge_are_clipped():
    masks = np.zeros((1, 10, 20), bool)
    masks[0, 8:, 15:] = True
    crops = crop_masks(masks, np.array([[14.2, 7.5, 20.0, 10.0]]))
    assert crops[0][:2] == (7, 14) and crops[0][2].shape == (3, 6)
    assert np.array_equal(paste_masks(crops, 10, 20), masks)


@pytest.mark.parametrize("image", [True, False])
def test_pack_and_unpack_keep_everything_the_sinks_read(street, image):
    frame, detections = street
    restored_frame, restored = unpack(pack("front", frame, detections, image))
    assert (restored_frame.index, restored_frame.time_ms) == (7, 280.0)
    assert restored_frame.image.shape == frame.image.shape
    assert np.array_equal(restored_frame.image, frame.image) == image
    assert np.array_equal(restored.mask, detections.mask)
    assert np.array_equal(restored.xyxy, detections.xyxy)
    assert list(restored.data["class_name"]) == list(detections.data["class_name"])


def test_placeholder_image_takes_no_memory():
    placeholder = placeholder_image(540, 960)
    assert placeholder.shape == (540, 960, 3) and placeholder.strides[:2] == (0, 0)
    assert not placeholder.flags.writeable
