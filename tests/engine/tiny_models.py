"""Build tiny ONNX models with known outputs (onnx.helper) for exact engine tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

PROTO_HW = (80, 80)


def anchor_head(
    boxes_cxcywh: list, scores: list, coefficients: list, num_classes: int
) -> np.ndarray:
    """A ``[1, 4 + nc + nm, A]`` YOLOv8 head with one anchor per listed box.

    ``scores[i]`` is a dict {class_id: score}; other class scores are 0.
    """
    num_masks = len(coefficients[0]) if coefficients else 2
    head = np.zeros((1, 4 + num_classes + num_masks, max(len(boxes_cxcywh), 1)), np.float32)
    for anchor, (box, score, coef) in enumerate(
        zip(boxes_cxcywh, scores, coefficients, strict=True)
    ):
        head[0, 0:4, anchor] = box
        for class_id, value in score.items():
            head[0, 4 + class_id, anchor] = value
        head[0, 4 + num_classes :, anchor] = coef
    return head


def end2end_head(rows: list) -> np.ndarray:
    """A ``[1, D, 6 + nm]`` YOLO26 head: rows of (x1, y1, x2, y2, score, class, *coefficients)."""
    return np.asarray(rows, np.float32)[None]


def prototypes(kind: str = "ones", num_masks: int = 2) -> np.ndarray:
    """``[1, nm, 80, 80]`` prototypes: 'ones' (logit +1 everywhere in channel 0) plus channel 1
    = +1 on the left half of the prototype columns and -1 on the right half."""
    protos = np.zeros((1, num_masks, *PROTO_HW), np.float32)
    protos[0, 0] = 1.0
    if num_masks > 1:
        protos[0, 1, :, : PROTO_HW[1] // 2] = 1.0
        protos[0, 1, :, PROTO_HW[1] // 2 :] = -1.0
    return protos


def _const_output(name: str, value: np.ndarray, dtype: int, batch_from_input: bool) -> list:
    """Nodes producing ``value`` (cast to ``dtype``) tied to the image input so nothing is pruned;
    with ``batch_from_input`` the leading axis follows the input's batch size."""
    const = numpy_helper.from_array(value, name=f"{name}_value")
    nodes = [
        helper.make_node("Constant", [], [f"{name}_c"], value=const),
        helper.make_node("Cast", [f"{name}_c"], [f"{name}_typed"], to=dtype),
    ]
    if batch_from_input:
        nodes += [
            helper.make_node("Shape", ["images"], [f"{name}_in_shape"]),
            helper.make_node("Slice", [f"{name}_in_shape", "zero_i", "one_i"], [f"{name}_batch"]),
            helper.make_node(
                "Constant",
                [],
                [f"{name}_tail"],
                value=numpy_helper.from_array(np.asarray(value.shape[1:], np.int64)),
            ),
            helper.make_node(
                "Concat", [f"{name}_batch", f"{name}_tail"], [f"{name}_shape"], axis=0
            ),
            helper.make_node("Expand", [f"{name}_typed", f"{name}_shape"], [f"{name}_exp"]),
            helper.make_node("Add", [f"{name}_exp", "tie"], [name]),
        ]
    else:
        nodes.append(helper.make_node("Add", [f"{name}_typed", "tie"], [name]))
    return nodes


def build_model(
    path: Path,
    outputs: list[tuple[str, np.ndarray]],
    imgsz: tuple[int, int] = (320, 320),
    float16: bool = False,
    dynamic: bool = False,
    metadata: dict[str, str] | None = None,
    task: str | None = "segment",
) -> Path:
    """Write an ONNX model whose named outputs are the given constants, whatever the image."""
    dtype = TensorProto.FLOAT16 if float16 else TensorProto.FLOAT
    input_shape = ["batch", 3, "height", "width"] if dynamic else [1, 3, *imgsz]
    nodes = [
        helper.make_node(
            "Constant", [], ["zero_i"], value=numpy_helper.from_array(np.array([0], np.int64))
        ),
        helper.make_node(
            "Constant", [], ["one_i"], value=numpy_helper.from_array(np.array([1], np.int64))
        ),
        helper.make_node("ReduceMax", ["images"], ["peak"], keepdims=0),
        helper.make_node("Sub", ["peak", "peak"], ["tie"]),
    ]
    graph_outputs = []
    for name, value in outputs:
        nodes += _const_output(name, value, dtype, dynamic)
        shape = ["batch", *value.shape[1:]] if dynamic else list(value.shape)
        graph_outputs.append(helper.make_tensor_value_info(name, dtype, shape))
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info("images", dtype, input_shape)], graph_outputs
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    meta = {"stride": "32", "imgsz": str(list(imgsz))} | ({"task": task} if task else {})
    meta |= metadata or {}
    for key, value in meta.items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def seg_model(
    path: Path,
    head: np.ndarray,
    protos: np.ndarray | None = None,
    names: list[str] | None = None,
    protos_first: bool = False,
    **kwargs: object,
) -> Path:
    """A segmentation model with ``output0`` = head and ``output1`` = prototypes."""
    protos = prototypes() if protos is None else protos
    outputs = [("output0", head), ("output1", protos)]
    if protos_first:
        outputs = [("output1", protos), ("output0", head)]
    names = names or ["car", "truck", "person"]
    metadata = {"names": str(dict(enumerate(names)))} | dict(kwargs.pop("metadata", {}) or {})
    return build_model(path, outputs, metadata=metadata, **kwargs)
