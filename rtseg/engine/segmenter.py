"""``Segmenter``: one BGR frame in, ``supervision.Detections`` with pixel masks (box crops) out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import supervision as sv

from rtseg.engine.decode import Candidates, DecodeOptions, decode_anchors, decode_end2end
from rtseg.engine.engines import open_runtime
from rtseg.engine.heap import release_free_memory
from rtseg.engine.letterbox import (
    Letterbox,
    apply_letterbox,
    boxes_to_frame,
    letterbox_geometry,
    to_blob,
)
from rtseg.engine.masks import instance_masks
from rtseg.engine.providers import parse_device
from rtseg.engine.runtime import Runtime, RuntimeOptions
from rtseg.engine.spec import ANCHORS, inspect_model
from rtseg.errors import RtsegError


class Segmenter:
    """Run an Ultralytics YOLO-seg export (YOLOv8 / YOLO11 / YOLO26 heads) on frames.

    ``model`` is an ONNX file, an OpenVINO IR ``.xml`` or an Ultralytics ``*_openvino_model``
    folder. ``device`` is ``auto`` (TensorRT → CUDA → OpenVINO → onnxruntime CPU, as
    available), ``cpu``, ``cuda[:N]``, ``tensorrt[:N]`` or ``openvino[:CPU|:GPU]``;
    ``provider`` tells what really runs the model. ``precision`` (auto, f32, bf16) and
    ``throughput`` (frames side by side rather than one at a time) tune OpenVINO; ``threads``
    are onnxruntime's threads per inference and ``cores`` OpenVINO's in all. Masks come as box
    crops (a supervision ``CompactMask``; ``mask[i]`` and ``np.asarray(mask)`` are frame-size).
    """

    def __init__(
        self,
        model: str | Path,
        device: str = "auto",
        conf: float = 0.25,
        iou: float = 0.7,
        classes: Sequence[int] | None = None,
        agnostic: bool = False,
        max_det: int = 300,
        names: object = None,
        threads: int | None = None,
        trt_cache: str | Path | None = None,
        trt_fp16: bool = True,
        *,
        precision: str = "auto",
        throughput: bool = False,
        cores: int | None = None,
    ) -> None:
        self.model_path = Path(model)
        if not self.model_path.exists():
            raise RtsegError(f"model file not found: {self.model_path}")
        self.options = DecodeOptions(
            conf=conf,
            iou=iou,
            classes=tuple(int(c) for c in classes) if classes is not None else None,
            agnostic=agnostic,
            max_det=max_det,
        )
        options = RuntimeOptions(
            threads=threads,
            cores=cores,
            throughput=throughput,
            precision=precision,
            trt_cache=Path(trt_cache) if trt_cache else None,
            trt_fp16=trt_fp16,
        )
        self.runtime: Runtime
        self.runtime, self.engine_choice = open_runtime(
            self.model_path, device, parse_device(device), options
        )
        self.spec = inspect_model(self.model_path, self.runtime, names)
        release_free_memory()  # what loading the model parsed and copied, now freed

    @property
    def names(self) -> dict[int, str]:
        return self.spec.names

    @property
    def imgsz(self) -> tuple[int, int]:
        return self.spec.imgsz

    @property
    def provider(self) -> str:
        return self.runtime.provider

    @property
    def engine(self) -> str:
        """The runtime in use: ``onnxruntime`` or ``openvino``."""
        return self.runtime.engine

    @property
    def requests(self) -> int:
        """How many ``infer`` calls at once keep the runtime busy (OpenVINO's optimal number
        of infer requests; 1 for onnxruntime, whose threads the inference plan sets)."""
        return self.runtime.requests

    def info(self) -> dict[str, object]:
        """Model and runtime facts for ``rtseg info``."""
        return {
            "model": str(self.model_path),
            "task": self.spec.metadata.get("task", "segment"),
            "description": self.spec.metadata.get("description"),
            "layout": self.spec.layout,
            "imgsz": list(self.imgsz),
            "dynamic_shape": self.spec.dynamic_shape,
            "dynamic_batch": self.spec.dynamic_batch,
            "input_dtype": np.dtype(self.spec.input_dtype).name,
            "stride": self.spec.stride,
            "mask_prototypes": self.spec.num_masks,
            "classes": len(self.names),
            "names": self.names,
            "engine": self.engine,
            "engine_choice": self.engine_choice.reason,
            "provider": self.provider,
            **self.runtime.info(),
        }

    def __call__(self, frame: np.ndarray) -> sv.Detections:
        return self.batch([frame])[0]

    def batch(self, frames: Sequence[np.ndarray]) -> list[sv.Detections]:
        """Segment several frames; one inference call when the model has a dynamic batch axis."""
        if not frames:
            return []
        blob, boxes = self.preprocess_many(frames)
        if self.spec.dynamic_batch or len(frames) == 1:
            outputs = self.infer(blob)
        else:
            per_frame = [self.infer(blob[i : i + 1]) for i in range(len(frames))]
            outputs = [np.concatenate(parts) for parts in zip(*per_frame, strict=True)]
        return [
            self.postprocess([out[i : i + 1] for out in outputs], box)
            for i, box in enumerate(boxes)
        ]

    def preprocess(self, frame: np.ndarray) -> tuple[np.ndarray, Letterbox]:
        """Letterbox one frame into a 1xCxHxW blob of the model's input dtype."""
        blob, boxes = self.preprocess_many([frame])
        return blob, boxes[0]

    def preprocess_many(self, frames: Sequence[np.ndarray]) -> tuple[np.ndarray, list[Letterbox]]:
        """Letterbox frames into one NCHW blob (shrunk to stride multiples on dynamic models
        when all frames share a shape, as Ultralytics' rect inference does)."""
        images, boxes = self.letterbox_many(frames)
        return self.to_blob(images), boxes

    def letterbox_many(
        self, frames: Sequence[np.ndarray]
    ) -> tuple[list[np.ndarray], list[Letterbox]]:
        """Letterbox frames into HxWx3 uint8 model-input images, as :meth:`preprocess_many`
        does before making the blob (a quarter of its memory, for callers that keep many)."""
        for frame in frames:
            if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
                raise RtsegError(
                    f"frames must be HxWx3 uint8 BGR images, got {frame.shape} {frame.dtype}"
                )
        same_shape = len({frame.shape for frame in frames}) == 1
        stride = self.spec.stride if self.spec.dynamic_shape and same_shape else None
        boxes = [letterbox_geometry(frame.shape[:2], self.imgsz, stride) for frame in frames]
        images = [apply_letterbox(frame, box) for frame, box in zip(frames, boxes, strict=True)]
        return images, boxes

    def to_blob(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Letterboxed images (same size) into the model's NCHW input blob."""
        return to_blob(list(images), self.spec.input_dtype)

    def infer(self, blob: np.ndarray) -> list[np.ndarray]:
        """Run the model; returns ``[head, prototypes]`` as float32 arrays."""
        outputs = self.runtime.run(blob)
        return [
            outputs[self.spec.head_output].astype(np.float32, copy=False),
            outputs[self.spec.proto_output].astype(np.float32, copy=False),
        ]

    def postprocess(self, outputs: Sequence[np.ndarray], box: Letterbox) -> sv.Detections:
        """Decode one image's ``[head, prototypes]`` into frame-space detections with masks."""
        head, prototypes = outputs[0][0], outputs[1][0]
        if self.spec.layout == ANCHORS:
            candidates = decode_anchors(head, len(self.names), self.options)
        else:
            candidates = decode_end2end(head, self.options)
        return self._to_detections(candidates, prototypes, box)

    def _to_detections(
        self, candidates: Candidates, prototypes: np.ndarray, box: Letterbox
    ) -> sv.Detections:
        xyxy = boxes_to_frame(candidates.xyxy, box)
        masks, nonempty = instance_masks(candidates.coefficients, prototypes, xyxy, box.frame_hw)
        if not nonempty.all():
            xyxy, candidates = xyxy[nonempty], candidates.take(nonempty)
        return sv.Detections(
            xyxy=xyxy.reshape(-1, 4),
            mask=masks,
            confidence=candidates.confidence,
            class_id=candidates.class_id,
            data={
                "class_name": np.array(
                    [self.names.get(int(c), f"class{c}") for c in candidates.class_id], dtype=str
                )
            },
        )
