"""The OpenVINO runtime: ONNX exports and OpenVINO IR behind the ``Runtime`` interface.

The model is compiled with OpenVINO's THROUGHPUT hint when frames may run side by side
(recorded input, several streams) and its LATENCY hint for one live stream. A pool of as many
infer requests as the compiled model finds optimal serves ``run`` from that many threads at
once; callers that need order (the pipeline's lanes) keep it themselves. OpenVINO is imported
here only, so the base install does not need it.

Every model is compiled by one ``openvino.Core`` kept for the life of the process
(:func:`shared_core`). On Linux, OpenVINO's CPU plugin gives the thread that creates it an
alternate signal stack of its own and unmaps that memory when the plugin is destroyed, restoring
the previous stack only when the destroying thread is the creating one with that stack still
current. A plugin per model, destroyed with its last compiled model on whatever thread dropped it
(a pipeline thread, or the garbage collector running on one), left the creating thread, the main
thread, signalling onto unmapped memory: the next SIGINT (Python's handlers run on the alternate
stack) was a SIGSEGV. One Core means one CPU plugin per process, never destroyed while it runs.
"""

from __future__ import annotations

import importlib
import logging
import queue
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import yaml

from rtseg.engine.runtime import (
    INSTALL_OPENVINO,
    OPENVINO,
    ModelInput,
    RuntimeOptions,
    openvino_version,
)
from rtseg.errors import RtsegError

log = logging.getLogger(__name__)

METADATA_SECTION = "framework"  # where OpenVINO keeps an ONNX file's metadata_props
METADATA_YAML = "metadata.yaml"  # Ultralytics' OpenVINO export folders
NUMPY_DTYPES = {"f32": np.float32, "f16": np.float16}
VIRTUAL_TARGETS = ("AUTO", "MULTI", "HETERO", "BATCH")  # OpenVINO devices made of others
OPENVINO_ERROR_PLACES = ("Exception from", "Check '", "FrontEnd API failed")


def import_openvino() -> ModuleType:
    """The ``openvino`` module, or one line saying how to install it."""
    try:
        return importlib.import_module("openvino")
    except ImportError as error:
        raise RtsegError(f"OpenVINO is not installed: {INSTALL_OPENVINO}") from error


_core_lock = threading.Lock()
_core: Any = None


def shared_core() -> Any:
    """The process's one ``openvino.Core``, made on first use and never released: its device
    plugins (and the CPU plugin's alternate signal stack, see the module's note) live as long as
    the process."""
    global _core
    with _core_lock:
        if _core is None:
            _core = import_openvino().Core()
        return _core


def model_file(model: Path) -> Path:
    """The file OpenVINO reads: the model itself, or the one ``.xml`` in an IR folder."""
    if not model.is_dir():
        return model
    found = sorted(model.glob("*.xml"))
    if len(found) != 1:
        raise RtsegError(f"{model} holds {len(found)} .xml files; expected one OpenVINO IR model")
    return found[0]


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def read_metadata(model: Any, path: Path) -> dict[str, str]:
    """ONNX-style metadata strings: the model's own (``rt_info`` ``framework``: ONNX
    metadata_props, kept in IR saved from it) updated by a ``metadata.yaml`` beside an IR."""
    metadata: dict[str, str] = {}
    if model.has_rt_info([METADATA_SECTION]):
        for key in model.get_rt_info()[METADATA_SECTION]:
            metadata[key] = model.get_rt_info([METADATA_SECTION, key]).astype(str)
    beside = path.parent / METADATA_YAML
    if path.suffix.lower() == ".xml" and beside.is_file():
        try:
            loaded = yaml.safe_load(beside.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise RtsegError(f"{beside} is not valid YAML: {error}") from error
        if isinstance(loaded, dict):
            metadata |= {str(key): _text(value) for key, value in loaded.items()}
    return metadata


def write_metadata(model: Any, metadata: dict[str, str]) -> None:
    """Store ``metadata`` where :func:`read_metadata` finds it in a saved IR."""
    for key, value in metadata.items():
        model.set_rt_info(value, [METADATA_SECTION, key])


def _reason(error: BaseException) -> str:
    """The line of an OpenVINO error that says what is wrong (not where in its sources)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    said = [line for line in lines if not line.startswith(OPENVINO_ERROR_PLACES)]
    return (said or lines or [type(error).__name__])[-1]


def read_model(ov: ModuleType, path: Path) -> Any:
    """``path`` as an ``openvino.Model``, read by the frontend its suffix names (IR for .xml,
    else ONNX): trying every frontend in turn makes TensorFlow's parser print its own errors
    for a file that is neither."""
    frontend = ov.frontend.FrontEndManager().load_by_framework(
        "ir" if path.suffix.lower() == ".xml" else "onnx"
    )
    try:
        return frontend.convert(frontend.load(str(path)))
    except Exception as error:  # OpenVINO raises RuntimeError subclasses of its own
        raise RtsegError(
            f"cannot load {path} as an ONNX or OpenVINO IR model: {_reason(error)}"
        ) from error


def _model_input(port: Any) -> ModelInput:
    shape = port.get_partial_shape()
    dims = (
        tuple(dim.get_length() if dim.is_static else None for dim in shape)
        if shape.rank.is_static
        else ()
    )
    type_name = port.get_element_type().get_type_name()
    return ModelInput(port.get_any_name(), dims, type_name, NUMPY_DTYPES.get(type_name))


class OpenVinoRuntime:
    """A model compiled by OpenVINO for ``target`` (CPU, GPU, ...), with a pool of requests."""

    engine = OPENVINO

    def __init__(self, model: Path, target: str, options: RuntimeOptions) -> None:
        ov = import_openvino()
        core = shared_core()
        path = model_file(model)
        source = read_model(ov, path)
        self.metadata = read_metadata(source, path)
        self.inputs = [_model_input(port) for port in source.inputs]
        self.target = self._usable_target(core, target)
        self.hint = "THROUGHPUT" if options.throughput else "LATENCY"
        config: dict[str, object] = {"PERFORMANCE_HINT": self.hint}
        if options.precision != "auto":
            config["INFERENCE_PRECISION_HINT"] = options.precision
        if options.cores:
            config["INFERENCE_NUM_THREADS"] = options.cores
        try:
            self.compiled = core.compile_model(source, self.target, config)
        except Exception as error:
            raise RtsegError(
                f"OpenVINO cannot compile {path} for {self.target}: {_reason(error)}"
            ) from error
        self.precision = self._property("INFERENCE_PRECISION_HINT")
        if options.precision not in ("auto", self.precision):
            log.warning(
                "precision %s requested but OpenVINO runs %s on %s (not supported there)",
                options.precision,
                self.precision,
                self.target,
            )
        self.requests = max(1, int(self.compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))
        self._pool: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for _ in range(self.requests):
            self._pool.put(self.compiled.create_infer_request())
        self._outputs = len(self.compiled.outputs)

    @property
    def provider(self) -> str:
        return f"OpenVINO:{self.target}"

    @staticmethod
    def _usable_target(core: Any, target: str) -> str:
        """``target`` when OpenVINO has it here; else the CPU, with one warning."""
        if target in core.available_devices or target.split(".")[0] in VIRTUAL_TARGETS:
            return target
        log.warning(
            "device 'openvino:%s' requested but OpenVINO only has %s here; running on CPU",
            target,
            ", ".join(core.available_devices),
        )
        return "CPU"

    def _property(self, name: str) -> str:
        try:
            value = self.compiled.get_property(name)
        except RuntimeError:  # not every device reports every property
            return "unknown"
        return value.get_type_name() if hasattr(value, "get_type_name") else str(value)

    def run(self, blob: np.ndarray) -> list[np.ndarray]:
        """Infer on a free request (waiting for one when all are busy); outputs are copies."""
        request = self._pool.get()
        try:
            request.infer({0: blob})
            return [request.get_output_tensor(i).data.copy() for i in range(self._outputs)]
        finally:
            self._pool.put(request)

    def info(self) -> dict[str, object]:
        return {
            "openvino": openvino_version(),
            "openvino_device": self.target,
            "performance_hint": self.hint,
            "precision": self.precision,
            "infer_requests": self.requests,
            "inference_threads": self._property("INFERENCE_NUM_THREADS"),
        }
