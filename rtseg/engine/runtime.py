"""What the ``Segmenter`` needs from a model runtime, and which runtime a device string gets.

Two runtimes run the same models behind one interface: onnxruntime (CPU, CUDA, TensorRT) and
OpenVINO (Intel/AMD CPUs, Intel GPUs; ONNX files and OpenVINO IR). ``--device auto`` prefers a
usable NVIDIA GPU (onnxruntime's TensorRT, then CUDA), then OpenVINO when it is installed,
then onnxruntime on the CPU.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from rtseg.engine.providers import (
    CUDA,
    DeviceRequest,
    gpu_driver_loadable,
    missing_gpu_parts,
)
from rtseg.errors import RtsegError

ONNXRUNTIME = "onnxruntime"
OPENVINO = "openvino"
PRECISIONS = ("auto", "f32", "bf16")
INSTALL_OPENVINO = "pip install 'rtseg[openvino]'"


@dataclass(frozen=True)
class ModelInput:
    """One model input: ``shape`` has None for dynamic axes; ``dtype`` is None when rtseg
    cannot feed the input's ``type_name``."""

    name: str
    shape: tuple[int | None, ...]
    type_name: str
    dtype: type | None


@dataclass(frozen=True)
class RuntimeOptions:
    """How to run the model: ``threads`` are onnxruntime's intra-op threads per inference,
    ``cores`` the CPU cores OpenVINO may use in all (None: every core); ``throughput`` asks
    for frames side by side (recorded input, several streams) rather than the lowest latency of
    one frame (one live stream); ``precision`` is OpenVINO's inference precision."""

    threads: int | None = None
    cores: int | None = None
    throughput: bool = False
    precision: str = "auto"
    trt_cache: Path | None = None
    trt_fp16: bool = True


class Runtime(Protocol):
    """A loaded model: run one letterboxed blob, get every output in the model's order.

    ``run`` may be called from several threads at once; ``requests`` says how many calls at
    once keep the hardware busy (1 where one call already does).
    """

    engine: str
    provider: str
    inputs: list[ModelInput]
    metadata: dict[str, str]
    requests: int

    def run(self, blob: np.ndarray) -> list[np.ndarray]: ...

    def info(self) -> dict[str, object]: ...


@dataclass(frozen=True)
class EngineChoice:
    """Which runtime a device string gets, and why (shown by ``rtseg info``)."""

    engine: str
    reason: str


def is_openvino_model(model: Path) -> bool:
    """OpenVINO IR: an ``.xml`` file or a folder holding one (Ultralytics' ``*_openvino_model``)."""
    return model.suffix.lower() == ".xml" or model.is_dir()


def openvino_installed() -> bool:
    """OpenVINO imports (it is what ``--device openvino`` and ``auto`` will use)."""
    try:
        importlib.import_module("openvino")
    except ImportError:
        return False
    return True


def openvino_version() -> str:
    return importlib.metadata.version("openvino")


def gpu_usable() -> bool:
    """onnxruntime has CUDA support and an NVIDIA driver loads."""
    import onnxruntime as ort

    return CUDA in ort.get_available_providers() and gpu_driver_loadable()


def choose_engine(model: Path, request: DeviceRequest) -> EngineChoice:
    """The runtime for ``request``; one-line refusals for what cannot work."""
    if is_openvino_model(model):
        if request.kind not in ("auto", OPENVINO):
            raise RtsegError(
                f"{model} is an OpenVINO IR model: run it with --device openvino (or auto)"
            )
        return EngineChoice(OPENVINO, "the model is OpenVINO IR")
    if request.kind == OPENVINO:
        return EngineChoice(OPENVINO, "requested")
    if request.kind != "auto":
        return EngineChoice(ONNXRUNTIME, "requested")
    if gpu_usable():
        return EngineChoice(ONNXRUNTIME, "an NVIDIA GPU is usable (TensorRT, then CUDA)")
    import onnxruntime as ort

    no_gpu = missing_gpu_parts(DeviceRequest("cuda"), ort.get_available_providers())
    if openvino_installed():
        return EngineChoice(
            OPENVINO, f"no usable NVIDIA GPU: {no_gpu}; OpenVINO {openvino_version()} is installed"
        )
    return EngineChoice(
        ONNXRUNTIME,
        f"no usable NVIDIA GPU: {no_gpu}; OpenVINO is not installed ({INSTALL_OPENVINO})",
    )


def open_runtime(
    model: Path, device: str, request: DeviceRequest, options: RuntimeOptions
) -> tuple[Runtime, EngineChoice]:
    """Load ``model`` on the runtime ``device`` asks for.

    With ``auto``, a GPU session that fell back to the CPU (CUDA libraries found, the GPU not
    usable) is replaced by OpenVINO when it is installed.
    """
    if options.precision not in PRECISIONS:
        raise RtsegError(f"unknown precision {options.precision!r}: use {', '.join(PRECISIONS)}")
    choice = choose_engine(model, request)
    if choice.engine == OPENVINO:
        from rtseg.engine.ov_runtime import OpenVinoRuntime

        return OpenVinoRuntime(model, request.target or "CPU", options), choice
    from rtseg.engine.ort_runtime import OnnxRuntime

    runtime = OnnxRuntime(model, device, options)
    if request.kind == "auto" and runtime.on_cpu and openvino_installed():
        from rtseg.engine.ov_runtime import OpenVinoRuntime

        reason = f"the GPU did not start; OpenVINO {openvino_version()} is installed"
        return OpenVinoRuntime(model, "CPU", options), EngineChoice(OPENVINO, reason)
    return runtime, choice
