"""Which runtime a device string gets, and loading the model on it.

Two runtimes run the same models behind one interface: onnxruntime (CPU, CUDA, TensorRT) and
OpenVINO (Intel/AMD CPUs, Intel GPUs; ONNX files and OpenVINO IR). ``--device auto`` prefers a
usable NVIDIA GPU (onnxruntime's TensorRT, then CUDA), then OpenVINO when it is installed,
then onnxruntime on the CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rtseg.engine.providers import CUDA, DeviceRequest, gpu_driver_loadable, missing_gpu_parts
from rtseg.engine.runtime import (
    INSTALL_OPENVINO,
    ONNXRUNTIME,
    OPENVINO,
    PRECISIONS,
    Runtime,
    RuntimeOptions,
    is_openvino_model,
    openvino_installed,
    openvino_version,
)
from rtseg.errors import RtsegError


@dataclass(frozen=True)
class EngineChoice:
    """Which runtime a device string gets, and why (shown by ``rtseg info``)."""

    engine: str
    reason: str


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
