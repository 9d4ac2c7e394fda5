"""Letterbox geometry matches Ultralytics' LetterBox / scale_boxes arithmetic."""

from __future__ import annotations

import numpy as np

from rtseg.engine.letterbox import (
    PAD_VALUE,
    apply_letterbox,
    boxes_to_frame,
    letterbox_geometry,
    to_blob,
)


def test_dashcam_frame_into_square_input():
    box = letterbox_geometry((540, 960), (320, 320))
    assert box.resized_hw == (180, 320)
    assert (box.pad_top, box.pad_left) == (70, 0)
    assert box.input_hw == (320, 320)


def test_odd_padding_rounds_like_ultralytics():
    # 13 px of vertical padding: round(6.4) = 6 on top, round(6.6) = 7 below.
    box = letterbox_geometry((307, 320), (320, 320))
    assert box.resized_hw == (307, 320)
    assert box.pad_top == 6
    assert box.input_hw == (320, 320)


def test_stride_shrinks_padding_for_dynamic_models():
    box = letterbox_geometry((540, 960), (640, 640), stride=32)
    assert box.resized_hw == (360, 640)
    assert box.input_hw == (384, 640)
    assert box.pad_top == 12


def test_apply_letterbox_pads_with_114_and_keeps_content():
    image = np.zeros((540, 960, 3), np.uint8)
    image[:, :, 2] = 200
    out = apply_letterbox(image, letterbox_geometry((540, 960), (320, 320)))
    assert out.shape == (320, 320, 3)
    assert (out[:70] == PAD_VALUE).all() and (out[250:] == PAD_VALUE).all()
    assert (out[70:250, :, 2] == 200).all() and (out[70:250, :, :2] == 0).all()


def test_blob_is_rgb_nchw_scaled():
    image = np.zeros((2, 3, 3), np.uint8)
    image[..., 0] = 255  # blue in BGR
    blob = to_blob([image], np.float32)
    assert blob.shape == (1, 3, 2, 3) and blob.dtype == np.float32
    assert (blob[0, 2] == 1.0).all() and (blob[0, :2] == 0.0).all()
    assert to_blob([image], np.float16).dtype == np.float16


def test_boxes_back_to_frame_and_clipped():
    box = letterbox_geometry((540, 960), (320, 320))
    boxes = np.array([[32, 80, 64, 100], [-10, 60, 400, 300]], np.float32)
    np.testing.assert_allclose(
        boxes_to_frame(boxes, box), [[96, 30, 192, 90], [0, 0, 960, 540]], atol=1e-4
    )
