"""The onnxruntime runtime: one session (TensorRT, CUDA or CPU) behind the ``Runtime`` interface."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnxruntime as ort

from rtseg.engine.providers import CPU, create_session
from rtseg.engine.runtime import ONNXRUNTIME, ModelInput, RuntimeOptions

log = logging.getLogger(__name__)

NUMPY_DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}


def _dim(value: object) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


class OnnxRuntime:
    """An onnxruntime session; sessions are thread-safe, so ``run`` may be called at once from
    several threads (the inference plan decides how many)."""

    engine = ONNXRUNTIME
    requests = 1

    def __init__(self, model: Path, device: str, options: RuntimeOptions) -> None:
        if options.precision == "bf16":
            log.warning(
                "--precision bf16 applies to OpenVINO only; onnxruntime runs the model's own "
                "precision"
            )
        self.session = create_session(
            model, device, options.threads, options.trt_cache, options.trt_fp16
        )
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        self.inputs = [
            ModelInput(
                item.name,
                tuple(_dim(dim) for dim in item.shape),
                item.type,
                NUMPY_DTYPES.get(item.type),
            )
            for item in self.session.get_inputs()
        ]
        self._input_name = self.inputs[0].name if self.inputs else ""
        self._output_names = [out.name for out in self.session.get_outputs()]

    @property
    def provider(self) -> str:
        return self.session.get_providers()[0]

    @property
    def on_cpu(self) -> bool:
        return self.provider == CPU

    def run(self, blob: np.ndarray) -> list[np.ndarray]:
        return self.session.run(self._output_names, {self._input_name: blob})

    def info(self) -> dict[str, object]:
        return {
            "session_providers": self.session.get_providers(),
            "available_providers": ort.get_available_providers(),
        }
