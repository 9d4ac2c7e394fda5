"""``rtseg quantize``: INT8 calibrated on the shared clip, checked on held-out frames, refused
below the floor, keeping the float model's metadata and its head decode in float."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import openvino as ov
import pytest

from rtseg import RtsegError, Segmenter
from rtseg.cli.quantize import check_floor, sample_frames
from rtseg.engine.agreement import Agreement
from rtseg.engine.quantize import head_decode_ops
from tests.engine.conftest import CALIBRATION_FRAMES, QuantizeRun, quantize
from tests.engine.test_openvino_parity import Floors, assert_agrees
from tests.engine.test_parity import StoredRun
from tests.engine.tiny_models import anchor_head, seg_model

# Agreement of the INT8 model with onnxruntime fp32 on every shared still and clip frame
# (matched at box IoU >= 0.5, same class). Measured on an AVX2 CPU over calibrations of 24-100
# frames: recall 0.89-0.95, precision 0.93-0.98, mask IoU median 0.95-0.97, p5 0.81-0.85.
INT8_FLOORS = Floors(recall=0.85, precision=0.88, median_mask_iou=0.93, low_mask_iou=0.7)


def test_quantize_reports_agreement_and_speed(int8_ir: QuantizeRun):
    lines = int8_ir.stdout.splitlines()
    assert lines[0] == (
        f"calibrating on {CALIBRATION_FRAMES} frames of 1 source(s); "
        f"{CALIBRATION_FRAMES} held-out frames check the result"
    )
    assert lines[1].startswith("INT8 against the float model: recall ")
    assert "mask IoU median" in lines[1] and f"on {CALIBRATION_FRAMES} frames" in lines[1]
    assert lines[2].startswith("speed: INT8 ") and lines[2].endswith("x")
    assert lines[3] == f"wrote {int8_ir.model} and {int8_ir.model.with_suffix('.bin').name}"
    assert int8_ir.model.with_suffix(".bin").is_file()
    assert "calibrating: 100%|" in int8_ir.stderr  # our progress bar, not NNCF's own output
    assert "Statistics collection" not in int8_ir.stdout + int8_ir.stderr
    assert "nncf" not in int8_ir.stderr.lower()


def test_int8_model_keeps_metadata(int8_ir: QuantizeRun, fp32_model: Path):
    int8 = Segmenter(int8_ir.model)
    float_model = Segmenter(fp32_model, device="cpu")
    assert int8.engine == "openvino"
    assert int8.names == float_model.names and int8.names[2] == "car"
    assert int8.imgsz == float_model.imgsz and int8.spec.stride == float_model.spec.stride
    for key in ("description", "task", "imgsz", "stride", "names"):
        assert int8.spec.metadata[key] == float_model.spec.metadata[key]


def test_int8_model_is_int8_except_the_head_decode(int8_ir: QuantizeRun, fp32_model: Path):
    model = ov.Core().read_model(str(int8_ir.model))
    quantized_inputs = {
        op.get_friendly_name()
        for op in model.get_ordered_ops()
        for value in op.input_values()
        if value.get_node().get_type_name() == "FakeQuantize"
    }
    assert len(quantized_inputs) > 50  # the backbone and neck run in INT8
    decode = set(head_decode_ops(ov.Core().read_model(str(fp32_model)), 0))
    assert decode and not decode & quantized_inputs


def test_head_decode_ops_of_yolov8(fp32_model: Path):
    model = ov.Core().read_model(str(fp32_model))
    types = {op.get_friendly_name(): op.get_type_name() for op in model.get_ordered_ops()}
    decode = head_decode_ops(model, 0)
    kinds = [types[name] for name in decode]
    assert kinds.count("Softmax") == 1 and kinds.count("Sigmoid") == 1  # DFL, class scores
    assert kinds.count("Convolution") == 1  # the DFL's fixed convolution only
    assert types[decode[0]] == "Concat"  # boxes, scores and mask coefficients
    assert "/model.22/dfl/conv/Conv_quant" in decode
    assert not any("cv2.0" in name or "proto" in name for name in decode)


def test_int8_agrees_with_the_float_model(int8_ir: QuantizeRun, fp32_on_cpu: StoredRun):
    int8 = Segmenter(int8_ir.model, device="openvino")
    assert_agrees(int8, fp32_on_cpu, INT8_FLOORS)


def test_below_the_floor_is_refused_in_one_line(tmp_path: Path):
    output = tmp_path / "refused.xml"
    done = quantize(output, "--frames", 4, "--floor", 1.0)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("rtseg:")]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith("rtseg: error: INT8 model not written: recall ")
    assert "below the floor 1.00 (--force writes it anyway" in errors[0]
    assert "INT8 against the float model" in done.stdout  # the numbers are still shown
    assert not output.exists() and not output.with_suffix(".bin").exists()


def test_force_writes_below_the_floor():
    low = Agreement(frames=2, reference=4, candidate=4, mask_ious=(1.0, 1.0, 1.0))
    with pytest.raises(RtsegError, match=r"recall 0\.750 / precision 0\.750 against the float"):
        check_floor(low, 0.95, force=False)
    check_floor(low, 0.95, force=True)
    check_floor(low, 0.75, force=False)


@pytest.mark.parametrize(
    ("output", "extra", "message"),
    [
        ("m.onnx", [], "--output m.onnx: OpenVINO IR is written as a .xml file"),
        ("m.xml", ["--calib", "missing.mp4"], "source not found: missing.mp4"),
        ("m.xml", ["--frames", "0"], "--frames must be at least 1"),
        ("m.xml", ["--floor", "1.5"], "--floor must be between 0 and 1"),
    ],
)
def test_bad_quantize_arguments(tmp_path: Path, output: str, extra: list[str], message: str):
    done = quantize(Path(output), *extra, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rtseg: error: "), done.stderr
    assert message in lines[0]
    assert not (tmp_path / output).exists()


def test_calibration_frames_spread_over_every_source(tmp_path: Path):
    head = anchor_head([(100, 100, 40, 40)], [{0: 0.9}], [(1.0, 0.0)], num_classes=3)
    segmenter = Segmenter(seg_model(tmp_path / "m.onnx", head), device="cpu")
    folders = []
    for name, count in (("a", 10), ("b", 3)):
        folder = tmp_path / name
        folder.mkdir()
        for index in range(count):  # each image one grey level: its number in its folder
            cv2.imwrite(str(folder / f"{index:02d}.png"), np.full((64, 96, 3), index, np.uint8))
        folders.append(str(folder))
    images, boxes = sample_frames(segmenter, folders, 8)
    levels = [int(image[160, 160, 0]) for image in images]  # the letterboxed image's middle
    assert levels == [0, 2, 5, 7, 0, 1, 2]  # 4 spread over a's 10, all 3 of b
    assert all(box.frame_hw == (64, 96) for box in boxes)
    assert images[0].shape == (320, 320, 3)
