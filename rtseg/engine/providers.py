"""Choose onnxruntime execution providers for a device string and create the session."""

from __future__ import annotations

import contextlib
import ctypes
import io
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import onnxruntime as ort

from rtseg.errors import RtsegError

log = logging.getLogger(__name__)

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
TENSORRT = "TensorrtExecutionProvider"
QUIET = 3  # onnxruntime log severity: errors only reach us as exceptions, not a log wall
DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda|tensorrt)(?::(\d+))?$")
OPENVINO_PATTERN = re.compile(r"^openvino(?::([a-z]+(?:\.\d+)?))?$")
OPENVINO_DEFAULT_TARGET = "CPU"
DEFAULT_TRT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rtseg" / "trt"


@dataclass(frozen=True)
class DeviceRequest:
    """A parsed ``device`` argument: ``kind`` is auto, cpu, cuda, tensorrt or openvino;
    ``target`` is OpenVINO's own device name (CPU, GPU, GPU.1, ...)."""

    kind: str
    index: int = 0
    target: str = ""

    @property
    def wants_gpu(self) -> bool:
        return self.kind in ("cuda", "tensorrt")


def parse_device(device: str) -> DeviceRequest:
    """Parse ``auto | cpu | cuda[:N] | tensorrt[:N] | openvino[:TARGET]``."""
    text = str(device).strip().lower()
    if openvino := OPENVINO_PATTERN.match(text):
        return DeviceRequest(
            "openvino", target=(openvino.group(1) or OPENVINO_DEFAULT_TARGET).upper()
        )
    match = DEVICE_PATTERN.match(text)
    if not match or (match.group(1) in ("auto", "cpu") and match.group(2)):
        raise RtsegError(
            f"unknown device {device!r}: use auto, cpu, cuda, cuda:N, tensorrt, tensorrt:N"
            " or openvino[:CPU|:GPU]"
        )
    return DeviceRequest(match.group(1), int(match.group(2) or 0))


def provider_chain(
    request: DeviceRequest, available: list[str], trt_cache: Path, trt_fp16: bool
) -> list[tuple[str, dict[str, str]]]:
    """Providers to try in order, with options: TensorRT → CUDA → CPU as asked and available.

    ``auto`` only tries a GPU provider whose libraries load, so a CPU machine starts quietly.
    """
    gpu_id = {"device_id": str(request.index)}
    trt_options = {
        **gpu_id,
        "trt_engine_cache_enable": "True",
        "trt_engine_cache_path": str(trt_cache),
        "trt_timing_cache_enable": "True",
        "trt_timing_cache_path": str(trt_cache),
        "trt_fp16_enable": str(trt_fp16),
    }
    wanted = {
        "cpu": [],
        "cuda": [(CUDA, gpu_id)],
        "tensorrt": [(TENSORRT, trt_options), (CUDA, gpu_id)],
        "auto": [(TENSORRT, trt_options), (CUDA, gpu_id)] if gpu_driver_loadable() else [],
    }[request.kind]
    if request.kind == "auto" and not trt_loadable():
        wanted = [(name, opts) for name, opts in wanted if name != TENSORRT]
    return [(name, opts) for name, opts in wanted if name in available] + [(CPU, {})]


def _loadable(*libraries: str) -> bool:
    for library in libraries:
        try:
            ctypes.CDLL(library)
            return True
        except OSError:
            continue
    return False


def gpu_driver_loadable() -> bool:
    return _loadable("libcuda.so.1", "nvcuda.dll")


def trt_loadable() -> bool:
    return _loadable("libnvinfer.so.10", "libnvinfer.so.8", "nvinfer_10.dll")


def missing_gpu_parts(request: DeviceRequest, available: list[str]) -> str:
    """Best guess, in words, at why a GPU provider could not start."""
    if CUDA not in available:
        return "this onnxruntime build has no CUDA support (install onnxruntime-gpu)"
    if not gpu_driver_loadable():
        return "no NVIDIA driver/GPU found (libcuda.so.1 is not loadable)"
    if request.kind == "tensorrt" and not trt_loadable():
        return "TensorRT libraries not found (libnvinfer; pip install tensorrt)"
    return (
        "CUDA runtime/cuDNN libraries not found or GPU unusable "
        "(pip install onnxruntime-gpu[cuda,cudnn])"
    )


def session_options(threads: int | None) -> ort.SessionOptions:
    """Graph optimisations on, onnxruntime's own log quiet, CPU threads = cores by default.

    No memory pattern: with it each run takes one block sized for all its tensors from the
    arena, and frames inferred side by side each hold such a block; without it two concurrent
    runs of YOLOv8n-seg use 12 MB less at the same speed (README, *Memory*)."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.enable_mem_pattern = False
    options.log_severity_level = QUIET
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return options


def create_session(
    model: Path,
    device: str,
    threads: int | None = None,
    trt_cache: Path | None = None,
    trt_fp16: bool = True,
) -> ort.InferenceSession:
    """Create the inference session on the requested device; warn once when a GPU was asked
    for and the session fell back to the CPU."""
    request = parse_device(device)
    available = ort.get_available_providers()
    trt_cache = trt_cache or DEFAULT_TRT_CACHE
    chain = provider_chain(request, available, trt_cache, trt_fp16)
    if any(name == TENSORRT for name, _ in chain):
        trt_cache.mkdir(parents=True, exist_ok=True)
    ort.set_default_logger_severity(QUIET + 1 if len(chain) > 1 else QUIET)
    # onnxruntime prints GPU fallbacks with print(); keep them for --verbose, off the console.
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            if len(chain) > 1 and hasattr(ort, "preload_dlls"):
                ort.preload_dlls()
            session = ort.InferenceSession(
                str(model),
                sess_options=session_options(threads),
                providers=[name for name, _ in chain],
                provider_options=[opts for _, opts in chain],
            )
    except Exception as exc:  # onnxruntime raises its own exception types for bad files
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RtsegError(f"cannot load {model} as an ONNX model: {first_line}") from exc
    finally:
        ort.set_default_logger_severity(QUIET)
        if printed.getvalue():
            log.debug("onnxruntime said: %s", printed.getvalue().strip())
    active = session.get_providers()[0]
    requested = TENSORRT if request.kind == "tensorrt" else CUDA
    if request.wants_gpu and active != requested:
        log.warning(
            "device %r requested but running on %s: %s",
            device,
            active,
            missing_gpu_parts(request, available),
        )
    return session
