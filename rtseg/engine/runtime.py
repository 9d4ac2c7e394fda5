"""What the ``Segmenter`` needs from a model runtime: the interface both runtimes implement
(onnxruntime in :mod:`.ort_runtime`, OpenVINO in :mod:`.ov_runtime`) and the facts they share.
Which one a device string gets is :mod:`.engines`' choice.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

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
