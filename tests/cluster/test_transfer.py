"""Results on their way from a worker to the driver: masks as box crops, optional images."""

from __future__ import annotations

import pickle

import cv2
import numpy as np
import pytest

from rtseg.cluster.transfer import pack, placeholder_image
from rtseg.engine import Segmenter
from rtseg.sources import Frame
from tests.conftest import SHARED, require_shared


@pytest.fixture(scope="module")
def street() -> tuple[Frame, object]:
    """A real frame and its real detections (masks as box crops)."""
    model = require_shared(SHARED / "models" / "yolov8n-seg-fp32-320.onnx")
    image = cv2.imread(str(require_shared(SHARED / "media" / "urban_waymo_1920x1280.jpg")))
    detections = Segmenter(model, device="cpu")(image)
    assert len(detections) > 3
    return Frame(7, image, 280.0, 1.0), detections


@pytest.mark.parametrize("image", [True, False])
def test_pack_keeps_everything_the_sinks_read(street, image):
    frame, detections = street
    result = pickle.loads(pickle.dumps(pack("front", frame, detections, image)))
    restored_frame, restored = result.frame, result.detections
    assert result.stream == "front" and (restored_frame.index, restored_frame.time_ms) == (7, 280.0)
    assert restored_frame.image.shape == frame.image.shape
    assert np.array_equal(restored_frame.image, frame.image) == image
    assert np.array_equal(np.asarray(restored.mask), np.asarray(detections.mask))
    assert np.array_equal(restored.xyxy, detections.xyxy)
    assert list(restored.data["class_name"]) == list(detections.data["class_name"])


def test_masks_travel_as_crops_far_smaller_than_frames(street):
    frame, detections = street
    sent = pack("front", frame, detections, image=False).detections
    height, width = frame.image.shape[:2]
    assert len(pickle.dumps(sent)) < height * width / 100  # all masks: < 1 % of one frame's


def test_placeholder_image_takes_no_memory():
    placeholder = placeholder_image(540, 960)
    assert placeholder.shape == (540, 960, 3) and placeholder.strides[:2] == (0, 0)
    assert not placeholder.flags.writeable
