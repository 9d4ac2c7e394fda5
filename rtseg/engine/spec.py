"""Inspect a segmentation export (ONNX or OpenVINO IR): input, head layout, classes; refuse
what does not fit."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rtseg.engine.runtime import Runtime
from rtseg.errors import RtsegError

ANCHORS = "anchors"  # YOLOv8 / YOLO11: [B, 4 + nc + nm, A], needs NMS
END2END = "end2end"  # YOLO26: [B, D, 6 + nm], NMS-free
DEFAULT_IMGSZ = 640
DEFAULT_STRIDE = 32


@dataclass(frozen=True)
class ModelSpec:
    """Everything the engine needs to know about a loaded model."""

    input_name: str
    input_dtype: type
    imgsz: tuple[int, int]
    dynamic_shape: bool
    dynamic_batch: bool
    stride: int
    layout: str
    head_output: int
    proto_output: int
    num_masks: int
    names: dict[int, str]
    metadata: dict[str, str]


def _literal(text: str | None) -> object:
    if text is None:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None


def load_names(names: object) -> dict[int, str] | None:
    """Class names from a dict, a list, or a .txt (one per line) / .json file."""
    if names is None:
        return None
    if isinstance(names, dict):
        return {int(k): str(v) for k, v in names.items()}
    if isinstance(names, (list, tuple)):
        return dict(enumerate(map(str, names)))
    path = Path(names)
    if not path.is_file():
        raise RtsegError(f"class names file not found: {path}")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            return load_names(json.loads(text))
        except (json.JSONDecodeError, TypeError, ValueError) as exc:
            raise RtsegError(f"class names file {path} is not a JSON list or object") from exc
    return dict(enumerate(line.strip() for line in text.splitlines() if line.strip()))


def _classify_outputs(
    model: Path, shapes: list[tuple[int, ...]], task: str | None, end2end_hint: bool | None
) -> tuple[str, int, int, int, int]:
    """Return (layout, head index, proto index, nm, nc) or refuse with one line."""
    if task and task != "segment":
        raise RtsegError(f"{model} is a {task} model; rtseg needs a segmentation (-seg) model")
    protos = [i for i, s in enumerate(shapes) if len(s) == 4]
    heads = [i for i, s in enumerate(shapes) if len(s) == 3]
    if len(shapes) == 1:
        kind = "classification" if len(shapes[0]) == 2 else "detection-only"
        raise RtsegError(
            f"{model} looks like a {kind} model (one output {list(shapes[0])}); "
            "rtseg needs a segmentation (-seg) model with mask prototypes"
        )
    if len(shapes) != 2 or len(protos) != 1 or len(heads) != 1:
        raise RtsegError(
            f"{model} outputs {[list(s) for s in shapes]} do not fit a YOLO-seg export "
            "(expected a [B, C, A] or [B, D, 6+nm] head and [B, nm, mh, mw] prototypes)"
        )
    head, proto = heads[0], protos[0]
    num_masks = shapes[proto][1]
    rows, cols = shapes[head][1:]
    end2end = end2end_hint if end2end_hint is not None else cols == 6 + num_masks
    if end2end and cols == 6 + num_masks:
        return END2END, head, proto, num_masks, 0
    if not end2end and rows > 4 + num_masks:
        return ANCHORS, head, proto, num_masks, rows - 4 - num_masks
    raise RtsegError(
        f"{model} head output {list(shapes[head])} does not fit {num_masks} mask prototypes "
        f"(expected [B, 4+nc+{num_masks}, A] or [B, D, {6 + num_masks}])"
    )


def inspect_model(model: Path, runtime: Runtime, names: object = None) -> ModelSpec:
    """Read input/outputs and metadata, probing output shapes with one blank inference."""
    metadata = runtime.metadata
    inputs = runtime.inputs
    if len(inputs) != 1 or len(inputs[0].shape) != 4:
        raise RtsegError(
            f"{model} takes inputs {[list(i.shape) for i in inputs]}; expected one NCHW image"
        )
    model_input = inputs[0]
    if model_input.dtype is None:
        raise RtsegError(f"{model} input type {model_input.type_name} is not float32 or float16")
    batch, channels, height, width = model_input.shape
    if channels is not None and channels != 3:
        raise RtsegError(f"{model} expects {channels}-channel input; rtseg feeds 3-channel images")
    dynamic_shape = height is None or width is None
    meta_imgsz = _literal(metadata.get("imgsz"))
    if height is not None and width is not None:
        imgsz = (height, width)
    elif isinstance(meta_imgsz, (list, tuple)) and len(meta_imgsz) == 2:
        imgsz = (int(meta_imgsz[0]), int(meta_imgsz[1]))
    else:
        imgsz = (DEFAULT_IMGSZ, DEFAULT_IMGSZ)
    stride = int(_literal(metadata.get("stride")) or DEFAULT_STRIDE)
    dtype = model_input.dtype
    blank = np.zeros((1, 3, *imgsz), dtype=dtype)
    try:
        shapes = [tuple(out.shape) for out in runtime.run(blank)]
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RtsegError(f"{model} failed a test inference: {first_line}") from exc
    end2end_hint = _literal(metadata.get("end2end"))
    layout, head, proto, num_masks, num_classes = _classify_outputs(
        model,
        shapes,
        metadata.get("task"),
        end2end_hint if isinstance(end2end_hint, bool) else None,
    )
    class_names = load_names(names) or load_names(_literal(metadata.get("names")))
    if class_names is None:
        class_names = {i: f"class{i}" for i in range(num_classes)}
    if layout == ANCHORS and len(class_names) != num_classes:
        raise RtsegError(
            f"{model} predicts {num_classes} classes but {len(class_names)} class names were given"
        )
    return ModelSpec(
        input_name=model_input.name,
        input_dtype=dtype,
        imgsz=imgsz,
        dynamic_shape=dynamic_shape,
        dynamic_batch=batch is None,
        stride=stride,
        layout=layout,
        head_output=head,
        proto_output=proto,
        num_masks=num_masks,
        names=class_names,
        metadata=metadata,
    )
