"""INT8 post-training quantization (NNCF) calibrated on the user's own letterboxed frames.

NNCF's MIXED preset (symmetric weights, asymmetric activations) quantizes the network, except
the head's decode: everything between the head's last learned layers and its output — the DFL
softmax and its fixed convolution, the box arithmetic, the class sigmoid and the final
concatenation of boxes, scores and mask coefficients. Those mix pixel coordinates with
probabilities in one tensor, a range 8 bits cannot hold, so they stay in float. The result is
OpenVINO IR that keeps the float model's metadata (class names, input size, stride).
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from rtseg.engine.agreement import Agreement, compare_frame, pool
from rtseg.engine.letterbox import Letterbox
from rtseg.engine.ov_runtime import import_openvino, model_file, read_model, write_metadata
from rtseg.errors import RtsegError

if TYPE_CHECKING:
    from rtseg.engine.segmenter import Segmenter

LEARNED_LAYERS = ("Convolution", "GroupConvolution", "MatMul")
INPUT_NODES = ("Constant", "Parameter")
DFL_DEPTH = 4  # a DFL convolution's input comes from its softmax within this many ops
INSTALL_NNCF = "pip install 'rtseg[openvino]'"


def import_nncf() -> Any:
    """The ``nncf`` module (quiet), or one line saying how to install it."""
    try:
        import nncf
    except ImportError as error:
        raise RtsegError(f"NNCF is not installed: {INSTALL_NNCF}") from error
    logging.getLogger("nncf").setLevel(logging.ERROR)
    return nncf


def _input(node: Any, index: int = 0) -> Any:
    return node.input_value(index).get_node()


def _after_softmax(node: Any) -> bool:
    for _ in range(DFL_DEPTH):
        if node.get_type_name() == "Softmax":
            return True
        if node.get_input_size() == 0:
            return False
        node = _input(node)
    return False


def _learned_output(node: Any) -> bool:
    """A trained layer (the DFL's fixed convolution is not one), or the addition of its bias."""
    kind = node.get_type_name()
    if kind in LEARNED_LAYERS:
        return not _after_softmax(_input(node))
    if kind == "Add":  # a learned layer's bias (or a residual sum)
        return any(_learned_output(value.get_node()) for value in node.input_values())
    return False


def head_decode_ops(model: Any, head_output: int) -> list[str]:
    """Names of the ops between the head's last learned layers and the head output."""
    found: dict[str, None] = {}
    seen: set[str] = set()
    pending = [_input(model.outputs[head_output].get_node())]
    while pending:
        node = pending.pop()
        name = node.get_friendly_name()
        if name in seen:
            continue
        seen.add(name)
        if node.get_type_name() in INPUT_NODES or _learned_output(node):
            continue
        found[name] = None
        if node.get_type_name() != "ShapeOf":  # shape arithmetic leads back to the input
            pending.extend(value.get_node() for value in node.input_values())
    return list(found)


class CalibrationFrames:
    """Model-input blobs for NNCF, made on the fly from letterboxed uint8 images; every pass
    over them shows a progress bar."""

    def __init__(self, segmenter: Segmenter, images: Sequence[np.ndarray], progress: bool) -> None:
        self.segmenter = segmenter
        self.images = images
        self.progress = progress

    def __len__(self) -> int:
        return len(self.images)

    def __iter__(self) -> Iterator[np.ndarray]:
        bar = tqdm(
            total=len(self.images), desc="calibrating", unit="frame", disable=not self.progress
        )
        try:
            for image in self.images:
                blob = self.segmenter.to_blob([image])
                bar.update()
                if bar.n == len(self.images):  # NNCF stops taking here: show the bar complete
                    bar.close()
                yield blob
        finally:
            bar.close()


def quantize_int8(segmenter: Segmenter, images: Sequence[np.ndarray], progress: bool = True) -> Any:
    """The INT8 ``openvino.Model`` of ``segmenter``'s model, calibrated on ``images``
    (letterboxed by ``segmenter.letterbox_many``), with the float model's metadata."""
    if not images:
        raise RtsegError("no calibration frames")
    ov = import_openvino()
    nncf = import_nncf()
    model = read_model(ov, model_file(segmenter.model_path))
    keep_float = head_decode_ops(model, segmenter.spec.head_output)
    frames = CalibrationFrames(segmenter, images, progress)
    # NNCF draws its own progress with rich on stdout; ours is the one on stderr.
    with contextlib.redirect_stdout(io.StringIO()):
        quantized = nncf.quantize(
            model,
            nncf.Dataset(frames),
            preset=nncf.QuantizationPreset.MIXED,
            subset_size=len(frames),
            ignored_scope=nncf.IgnoredScope(names=keep_float, validate=False),
        )
    write_metadata(quantized, segmenter.spec.metadata)
    return quantized


def save_ir(model: Any, output: Path) -> None:
    """Write ``output`` (.xml) and its .bin weights beside it."""
    import_openvino().save_model(model, str(output), compress_to_fp16=False)


def agreement(
    reference: Segmenter,
    candidate: Segmenter,
    images: Sequence[np.ndarray],
    boxes: Sequence[Letterbox],
    progress: bool = True,
) -> Agreement:
    """How the candidate's detections agree with the reference's on letterboxed frames."""
    frames = []
    for image, box in tqdm(
        list(zip(images, boxes, strict=True)), desc="comparing", unit="frame", disable=not progress
    ):
        blob = reference.to_blob([image])
        frames.append(
            compare_frame(
                reference.postprocess(reference.infer(blob), box),
                candidate.postprocess(candidate.infer(blob), box),
            )
        )
    return pool(frames)


def throughput(segmenter: Segmenter, blobs: Sequence[np.ndarray]) -> float:
    """Inferences per second with ``segmenter.requests`` calls in flight."""
    with ThreadPoolExecutor(segmenter.requests) as workers:
        list(workers.map(segmenter.infer, blobs[: segmenter.requests]))  # warm-up
        started = time.perf_counter()
        list(workers.map(segmenter.infer, blobs))
        return len(blobs) / (time.perf_counter() - started)
