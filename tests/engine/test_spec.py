"""The engine refuses what it cannot run with one clear line."""

from __future__ import annotations

import numpy as np
import pytest

from rtseg import RtsegError, Segmenter
from tests.engine.tiny_models import anchor_head, build_model, prototypes, seg_model


def refusal(path, **kwargs) -> str:
    with pytest.raises(RtsegError) as caught:
        Segmenter(path, device="cpu", **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_missing_file(tmp_path):
    assert "model file not found" in refusal(tmp_path / "nope.onnx")


def test_corrupt_file(tmp_path):
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"this is not a protobuf" * 10)
    assert "cannot load" in refusal(path) and "as an ONNX model" in refusal(path)


@pytest.mark.parametrize(
    ("task", "shape", "expected"),
    [
        ("detect", (1, 84, 2100), "is a detect model"),
        ("pose", (1, 56, 2100), "is a pose model"),
        ("classify", (1, 1000), "is a classify model"),
        (None, (1, 84, 2100), "looks like a detection-only model"),
        (None, (1, 1000), "looks like a classification model"),
    ],
)
def test_non_segmentation_models(tmp_path, task, shape, expected):
    path = build_model(tmp_path / "m.onnx", [("output0", np.zeros(shape, np.float32))], task=task)
    assert expected in refusal(path)


def test_outputs_that_do_not_fit_the_layout(tmp_path):
    path = build_model(
        tmp_path / "m.onnx",
        [("a", np.zeros((1, 84, 2100), np.float32)), ("b", np.zeros((1, 84, 2100), np.float32))],
    )
    assert "do not fit a YOLO-seg export" in refusal(path)


def test_head_too_small_for_prototypes(tmp_path):
    path = build_model(
        tmp_path / "m.onnx",
        [("h", np.zeros((1, 20, 2100), np.float32)), ("p", prototypes(num_masks=32))],
    )
    assert "does not fit 32 mask prototypes" in refusal(path)


def test_names_count_mismatch(tmp_path):
    head = anchor_head([(100, 100, 40, 40)], [{0: 0.9}], [(1.0, 0.0)], num_classes=3)
    path = seg_model(tmp_path / "m.onnx", head)
    assert "3 classes but 2 class names" in refusal(path, names=["a", "b"])


def test_bad_device_string(tmp_path):
    head = anchor_head([(100, 100, 40, 40)], [{0: 0.9}], [(1.0, 0.0)], num_classes=3)
    path = seg_model(tmp_path / "m.onnx", head)
    with pytest.raises(RtsegError, match="unknown device 'gpu'"):
        Segmenter(path, device="gpu")


def test_non_uint8_frame_is_refused(tmp_path):
    head = anchor_head([(100, 100, 40, 40)], [{0: 0.9}], [(1.0, 0.0)], num_classes=3)
    seg = Segmenter(seg_model(tmp_path / "m.onnx", head), device="cpu")
    with pytest.raises(RtsegError, match="HxWx3 uint8"):
        seg(np.zeros((10, 10), np.uint8))
