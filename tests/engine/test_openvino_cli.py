"""``rtseg run`` and ``rtseg info`` end to end on the OpenVINO engine: the float ONNX model and
the INT8 model made by ``rtseg quantize``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.conftest import QuantizeRun
from tests.test_cli import CLIP_FRAMES, read_jsonl, rtseg


@pytest.mark.parametrize("which", ["float", "int8"])
def test_run_on_openvino_writes_every_frame(
    which: str, fp32_model: Path, highway_clip: Path, tmp_path: Path, request: pytest.FixtureRequest
):
    model = fp32_model if which == "float" else request.getfixturevalue("int8_ir").model
    out = tmp_path / "out.jsonl"
    done = rtseg(
        *("run", "--source", highway_clip, "--model", model, "--device", "openvino"),
        *("--jsonl", out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    records = read_jsonl(out)
    assert [record["frame"] for record in records] == list(range(CLIP_FRAMES))
    names = [d["class_name"] for record in records for d in record["detections"]]
    assert names.count("car") >= CLIP_FRAMES  # the clip's cars, every frame or so
    assert "warning" not in done.stderr and "error" not in done.stderr


def test_info_says_which_engine_and_why(fp32_model: Path, tmp_path: Path, int8_ir: QuantizeRun):
    done = rtseg("info", "--model", fp32_model, "--device", "openvino", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = set(done.stdout.splitlines())
    assert {"engine: openvino", "engine_choice: requested", "provider: OpenVINO:CPU"} <= lines
    assert "performance_hint: LATENCY" in lines and "infer_requests: 1" in lines
    done = rtseg("info", "--model", int8_ir.model, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "engine_choice: the model is OpenVINO IR" in done.stdout
    assert "2 car" in done.stdout
