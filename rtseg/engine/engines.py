"""Which runtime a device string gets, and loading the model on it.

Two runtimes run the same models behind one interface: onnxruntime (CPU, CUDA, TensorRT) and
OpenVINO (Intel/AMD CPUs, Intel GPUs; ONNX files and OpenVINO IR). ``--device auto`` prefers a
usable NVIDIA GPU (onnxruntime's TensorRT, then CUDA); on the CPU, OpenVINO where it is installed
and faster on this CPU's instruction set (:mod:`rtseg.cpu`), else onnxruntime.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rtseg.cpu import CpuInfo, openvino_verdict, read_cpu
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
    """Which runtime a device string gets, and why (shown by ``rtseg info``); ``gpu``: ``auto``
    took onnxruntime for an NVIDIA GPU, which may yet not start."""

    engine: str
    reason: str
    gpu: bool = False


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
        return EngineChoice(ONNXRUNTIME, "an NVIDIA GPU is usable (TensorRT, then CUDA)", gpu=True)
    import onnxruntime as ort

    no_gpu = missing_gpu_parts(DeviceRequest("cuda"), ort.get_available_providers())
    return cpu_engine(f"no usable NVIDIA GPU: {no_gpu}", read_cpu())


def cpu_engine(no_gpu: str, cpu: CpuInfo) -> EngineChoice:
    """``auto``'s runtime without a GPU (``no_gpu`` says why): OpenVINO where it is installed
    and faster on ``cpu``, else onnxruntime."""
    verdict = openvino_verdict(cpu)
    if not verdict.openvino_faster:
        return EngineChoice(ONNXRUNTIME, f"{no_gpu}; {verdict.reason}")
    if not openvino_installed():
        return EngineChoice(
            ONNXRUNTIME,
            f"{no_gpu}; {verdict.reason}, but OpenVINO is not installed ({INSTALL_OPENVINO})",
        )
    return EngineChoice(
        OPENVINO, f"{no_gpu}; {verdict.reason}; OpenVINO {openvino_version()} is installed"
    )


def open_runtime(
    model: Path, device: str, request: DeviceRequest, options: RuntimeOptions
) -> tuple[Runtime, EngineChoice]:
    """Load ``model`` on the runtime ``device`` asks for.

    With ``auto``, a GPU session that fell back to the CPU (CUDA libraries found, the GPU not
    usable) is replaced by OpenVINO where :func:`cpu_engine` takes it.
    """
    if options.precision not in PRECISIONS:
        raise RtsegError(f"unknown precision {options.precision!r}: use {', '.join(PRECISIONS)}")
    choice = choose_engine(model, request)
    if choice.engine == OPENVINO:
        from rtseg.engine.ov_runtime import OpenVinoRuntime

        return OpenVinoRuntime(model, request.target or "CPU", options), choice
    from rtseg.engine.ort_runtime import OnnxRuntime

    runtime = OnnxRuntime(model, device, options)
    if not (choice.gpu and runtime.on_cpu):
        return runtime, choice
    fallback = cpu_engine("the GPU did not start", read_cpu())
    if fallback.engine == OPENVINO:
        from rtseg.engine.ov_runtime import OpenVinoRuntime

        return OpenVinoRuntime(model, "CPU", options), fallback
    return runtime, fallback
