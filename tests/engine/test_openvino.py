"""The OpenVINO engine path on tiny exact models: device strings and choice, precisions,
OpenVINO IR files and Ultralytics export folders, and a missing OpenVINO."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import openvino as ov
import pytest
import yaml

from rtseg import RtsegError, Segmenter
from rtseg.cpu import CpuInfo, openvino_verdict, read_cpu
from rtseg.engine.engines import EngineChoice, choose_engine, cpu_engine, gpu_usable
from rtseg.engine.providers import DeviceRequest, parse_device
from rtseg.engine.runtime import INSTALL_OPENVINO, ONNXRUNTIME, OPENVINO
from tests.engine.test_segmenter import LEFT_HALF, ONES, frame, rectangle
from tests.engine.tiny_models import anchor_head, end2end_head, seg_model

NAMES = {0: "car", 1: "truck", 2: "person"}


def cpu_has_bf16() -> bool:
    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    head = anchor_head(
        [(100.5, 80.25, 40, 20), (160, 200, 80, 40)],
        [{0: 0.9}, {2: 0.8}],
        [ONES, LEFT_HALF],
        num_classes=3,
    )
    return seg_model(tmp_path / "tiny.onnx", head)


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("openvino", DeviceRequest("openvino", target="CPU")),
        ("OpenVINO:cpu", DeviceRequest("openvino", target="CPU")),
        ("openvino:GPU", DeviceRequest("openvino", target="GPU")),
        ("openvino:gpu.1", DeviceRequest("openvino", target="GPU.1")),
    ],
)
def test_parse_openvino_devices(text, expected):
    assert parse_device(text) == expected


@pytest.mark.parametrize("text", ["openvino:", "openvino:0", "openvino:gpu.x", "ov"])
def test_parse_device_refuses_bad_openvino_targets(text):
    with pytest.raises(RtsegError, match=r"unknown device .* or openvino"):
        parse_device(text)


def test_tiny_model_exact_on_openvino(tiny):
    """The same decode and masks as onnxruntime: exact boxes, scores and pixels."""
    seg = Segmenter(tiny, device="openvino", precision="f32")
    assert seg.engine == OPENVINO and seg.provider == "OpenVINO:CPU"
    dets = seg(frame(320, 320))
    np.testing.assert_array_equal(dets.xyxy, [[80.5, 70.25, 120.5, 90.25], [120, 180, 200, 220]])
    np.testing.assert_allclose(dets.confidence, [0.9, 0.8], rtol=1e-6)
    assert dets.data["class_name"].tolist() == ["car", "person"]
    np.testing.assert_array_equal(dets.mask[0], rectangle((320, 320), (71, 91), (81, 121)))
    np.testing.assert_array_equal(dets.mask[1], rectangle((320, 320), (180, 220), (120, 160)))
    assert seg.names == NAMES


def test_end2end_float16_and_dynamic_models_on_openvino(tmp_path):
    rows = [(80.5, 70.25, 120.5, 90.25, 0.9, 1, *ONES), (10, 10, 50, 50, 0.2, 0, *ONES)]
    e2e = Segmenter(seg_model(tmp_path / "e2e.onnx", end2end_head(rows)), device="openvino")
    assert e2e.spec.layout == "end2end"
    assert e2e(frame(320, 320)).class_id.tolist() == [1]

    head = anchor_head([(100.5, 80.25, 40, 20)], [{0: 0.75}], [ONES], num_classes=3)
    half = Segmenter(
        seg_model(tmp_path / "m16.onnx", head, float16=True), device="openvino", precision="f32"
    )
    assert half.spec.input_dtype == np.float16
    np.testing.assert_array_equal(half(frame(320, 320)).xyxy, [[80.5, 70.25, 120.5, 90.25]])

    dynamic = Segmenter(seg_model(tmp_path / "dyn.onnx", head, dynamic=True), device="openvino")
    assert dynamic.spec.dynamic_batch and dynamic.spec.dynamic_shape
    batched = dynamic.batch([frame(320, 320), frame(240, 320)])
    assert [len(d) for d in batched] == [1, 1]
    assert batched[1].mask.shape == (1, 240, 320)


def test_precisions(tiny, caplog):
    """f32 is what it says; bf16 runs where the CPU has it and says so where it does not;
    auto leaves the choice to OpenVINO."""
    f32 = Segmenter(tiny, device="openvino", precision="f32")
    assert f32.info()["precision"] == "f32"
    with caplog.at_level(logging.WARNING, logger="rtseg"):
        bf16 = Segmenter(tiny, device="openvino", precision="bf16")
    if cpu_has_bf16():
        assert bf16.info()["precision"] == "bf16" and warnings_of(caplog) == []
    else:
        assert bf16.info()["precision"] == "f32"
        assert warnings_of(caplog) == [
            "precision bf16 requested but OpenVINO runs f32 on CPU (not supported there)"
        ]
    auto = Segmenter(tiny, device="openvino").info()["precision"]
    assert auto in (("bf16", "f32") if cpu_has_bf16() else ("f32",))
    box = [80.5, 70.25, 120.5, 90.25]
    np.testing.assert_array_equal(f32(frame(320, 320)).xyxy[0], box)
    np.testing.assert_allclose(bf16(frame(320, 320)).xyxy[0], box, atol=0.5)  # 8-bit mantissa


def test_bf16_on_onnxruntime_warns_and_bad_precision_refused(tiny, caplog):
    with caplog.at_level(logging.WARNING, logger="rtseg"):
        Segmenter(tiny, device="cpu", precision="bf16")
    assert warnings_of(caplog) == [
        "--precision bf16 applies to OpenVINO only; onnxruntime runs the model's own precision"
    ]
    with pytest.raises(RtsegError, match="unknown precision 'f8'"):
        Segmenter(tiny, device="openvino", precision="f8")


def test_missing_openvino_target_falls_back_to_cpu_once(tiny, caplog):
    available = ov.Core().available_devices
    with caplog.at_level(logging.WARNING, logger="rtseg"):
        seg = Segmenter(tiny, device="openvino:GPU")
    if "GPU" in available:
        assert seg.provider == "OpenVINO:GPU" and warnings_of(caplog) == []
    else:
        assert seg.provider == "OpenVINO:CPU"
        assert warnings_of(caplog) == [
            "device 'openvino:GPU' requested but OpenVINO only has "
            f"{', '.join(available)} here; running on CPU"
        ]


def openvino_installed_words() -> str:
    return f"OpenVINO {ov.get_version().split('-')[0]} is installed"


def test_auto_prefers_gpu_then_the_faster_cpu_engine(tiny):
    """On this machine: the GPU, else OpenVINO where this CPU's flags make it faster."""
    choice = choose_engine(tiny, parse_device("auto"))
    verdict = openvino_verdict(read_cpu())
    if gpu_usable():
        assert choice.engine == ONNXRUNTIME and "NVIDIA GPU is usable" in choice.reason
    elif verdict.openvino_faster:
        assert choice.engine == OPENVINO
        assert choice.reason.startswith("no usable NVIDIA GPU: ")
        assert choice.reason.endswith(f"; {verdict.reason}; {openvino_installed_words()}")
    else:
        assert choice.engine == ONNXRUNTIME
        assert choice.reason.startswith("no usable NVIDIA GPU: ")
        assert choice.reason.endswith(f"; {verdict.reason}")
    seg = Segmenter(tiny)
    assert seg.engine == choice.engine
    assert seg.info()["engine_choice"] == choice.reason
    assert choose_engine(tiny, parse_device("cpu")).engine == ONNXRUNTIME


def test_cpu_engine_takes_openvino_only_where_the_cpu_makes_it_faster():
    """Both kinds of CPU, by their flags, with OpenVINO installed (the test extra)."""
    bf16 = CpuInfo("Intel Xeon", frozenset({"avx2", "avx512f", "avx512_bf16"}))
    assert cpu_engine("no GPU", bf16) == EngineChoice(
        OPENVINO,
        "no GPU; this CPU (Intel Xeon) has AVX-512 BF16, where OpenVINO is faster than"
        f" onnxruntime; {openvino_installed_words()}",
    )
    avx2 = CpuInfo("AMD EPYC", frozenset({"avx", "avx2"}))
    assert cpu_engine("no GPU", avx2) == EngineChoice(
        ONNXRUNTIME,
        "no GPU; this CPU (AMD EPYC) has AVX2 but no AVX-512 VNNI/BF16, AMX or AVX-VNNI,"
        " where OpenVINO is not faster",
    )


def save_ir(onnx_path: Path, xml: Path, keep_metadata: bool = True) -> Path:
    model = ov.Core().read_model(str(onnx_path))
    if not keep_metadata:
        del model.get_rt_info()["framework"]
    ov.save_model(model, str(xml))
    return xml


def test_openvino_ir_file_keeps_metadata_and_needs_openvino(tiny, tmp_path):
    xml = save_ir(tiny, tmp_path / "tiny.xml")
    seg = Segmenter(xml, precision="f32")  # auto: IR runs on OpenVINO
    assert seg.engine == OPENVINO and seg.info()["engine_choice"] == "the model is OpenVINO IR"
    assert seg.names == NAMES and seg.imgsz == (320, 320)
    np.testing.assert_array_equal(seg(frame(320, 320)).xyxy[0], [80.5, 70.25, 120.5, 90.25])
    with pytest.raises(RtsegError, match="is an OpenVINO IR model: run it with --device openvino"):
        Segmenter(xml, device="cpu")


def test_ultralytics_openvino_folder(tmp_path):
    """An ``*_openvino_model`` folder: IR without ONNX metadata, and Ultralytics'
    metadata.yaml (names as a mapping, imgsz as a list) beside it."""
    head = anchor_head([(100.5, 80.25, 40, 20)], [{1: 0.9}], [ONES], num_classes=3)
    folder = tmp_path / "tiny_openvino_model"
    folder.mkdir()
    save_ir(seg_model(tmp_path / "m.onnx", head), folder / "tiny.xml", keep_metadata=False)
    metadata = {
        "description": "Ultralytics tiny model",
        "stride": 32,
        "task": "segment",
        "batch": 1,
        "imgsz": [320, 320],
        "names": {0: "cone", 1: "barrier", 2: "sign"},
    }
    (folder / "metadata.yaml").write_text(yaml.safe_dump(metadata))
    seg = Segmenter(folder, device="openvino")
    assert seg.names == {0: "cone", 1: "barrier", 2: "sign"}
    assert seg.spec.metadata["description"] == "Ultralytics tiny model"
    assert seg(frame(320, 320)).data["class_name"].tolist() == ["barrier"]
    (folder / "metadata.yaml").write_text(yaml.safe_dump(metadata | {"task": "detect"}))
    with pytest.raises(RtsegError, match="is a detect model"):
        Segmenter(folder, device="openvino")


def test_folder_with_no_or_several_models_refused(tmp_path, tiny):
    empty = tmp_path / "empty_openvino_model"
    empty.mkdir()
    with pytest.raises(RtsegError, match=r"holds 0 \.xml files"):
        Segmenter(empty, device="openvino")
    save_ir(tiny, empty / "a.xml")
    save_ir(tiny, empty / "b.xml")
    with pytest.raises(RtsegError, match=r"holds 2 \.xml files"):
        Segmenter(empty, device="openvino")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("garbage.xml", b"garbage", "as an ONNX or OpenVINO IR model: No document element found"),
        ("empty.xml", b"<net>no layers</net>", "takes inputs []; expected one NCHW image"),
        ("noise.onnx", bytes(range(256)) * 4, "as an ONNX or OpenVINO IR model: Model can't be"),
    ],
)
def test_broken_models_are_one_quiet_line(tmp_path, capfd, name, content, message):
    """One line saying what is wrong, and no other frontend's parser errors on stderr."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RtsegError) as err:
        Segmenter(path, device="openvino")
    assert message in str(err.value) and "\n" not in str(err.value)
    assert capfd.readouterr().err == ""


BLOCK_OPENVINO = "import sys; sys.modules['openvino'] = None; from rtseg.cli import main; "


def cli_without_openvino(*args: object) -> subprocess.CompletedProcess:
    """``rtseg`` in a real process where ``import openvino`` fails, as without the extra."""
    code = BLOCK_OPENVINO + f"sys.exit(main({[str(a) for a in args]!r}))"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_without_openvino(tiny):
    done = cli_without_openvino("info", "--model", tiny, "--device", "openvino")
    assert done.returncode == 2
    assert done.stderr.strip() == f"rtseg: error: OpenVINO is not installed: {INSTALL_OPENVINO}"
    done = cli_without_openvino("info", "--model", tiny)
    assert done.returncode == 0, done.stderr
    assert "engine: onnxruntime" in done.stdout
    verdict = openvino_verdict(read_cpu())
    missing = f"{verdict.reason}, but OpenVINO is not installed ({INSTALL_OPENVINO})"
    if not gpu_usable() and verdict.openvino_faster:
        assert missing in done.stdout
    elif not gpu_usable():
        assert done.stdout.count(verdict.reason) == 1 and "not installed" not in done.stdout
