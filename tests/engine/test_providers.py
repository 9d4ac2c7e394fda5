"""Device strings, provider order and the one-line warning when a GPU falls back to CPU."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rtseg import RtsegError, Segmenter
from rtseg.engine.providers import (
    CPU,
    CUDA,
    TENSORRT,
    DeviceRequest,
    parse_device,
    provider_chain,
)
from tests.engine.tiny_models import anchor_head, seg_model

ALL = [TENSORRT, CUDA, CPU]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("auto", DeviceRequest("auto")),
        ("CPU", DeviceRequest("cpu")),
        ("cuda", DeviceRequest("cuda")),
        ("cuda:1", DeviceRequest("cuda", 1)),
        ("tensorrt:2", DeviceRequest("tensorrt", 2)),
    ],
)
def test_parse_device(text, expected):
    assert parse_device(text) == expected


@pytest.mark.parametrize("text", ["gpu", "cuda:", "cpu:0", "cuda:x", ""])
def test_parse_device_refuses_unknown(text):
    with pytest.raises(RtsegError, match="unknown device"):
        parse_device(text)


def names(chain):
    return [name for name, _ in chain]


def test_provider_chain_orders_and_options(tmp_path: Path):
    trt = provider_chain(parse_device("tensorrt:1"), ALL, tmp_path, trt_fp16=True)
    assert names(trt) == [TENSORRT, CUDA, CPU]
    assert trt[0][1]["device_id"] == "1"
    assert trt[0][1]["trt_engine_cache_path"] == str(tmp_path)
    assert trt[0][1]["trt_fp16_enable"] == "True"
    assert names(provider_chain(parse_device("cuda"), ALL, tmp_path, True)) == [CUDA, CPU]
    assert names(provider_chain(parse_device("cpu"), ALL, tmp_path, True)) == [CPU]
    assert names(provider_chain(parse_device("cuda"), [CPU], tmp_path, True)) == [CPU]


def test_cuda_request_runs_on_cuda_or_warns_once(tmp_path, caplog):
    head = anchor_head([(100, 100, 40, 40)], [{0: 0.9}], [(1.0, 0.0)], num_classes=3)
    path = seg_model(tmp_path / "m.onnx", head)
    with caplog.at_level(logging.WARNING, logger="rtseg"):
        seg = Segmenter(path, device="cuda")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    if seg.provider == CUDA:
        assert warnings == []
    else:
        assert seg.provider == CPU
        assert len(warnings) == 1 and "\n" not in warnings[0]
        assert "device 'cuda' requested but running on CPUExecutionProvider" in warnings[0]


def test_auto_on_this_machine_is_quiet(tmp_path, caplog, capfd):
    head = anchor_head([(100, 100, 40, 40)], [{0: 0.9}], [(1.0, 0.0)], num_classes=3)
    with caplog.at_level(logging.WARNING, logger="rtseg"):
        Segmenter(seg_model(tmp_path / "m.onnx", head), device="auto")
    out, err = capfd.readouterr()
    assert caplog.records == [] and out == "" and err == ""
