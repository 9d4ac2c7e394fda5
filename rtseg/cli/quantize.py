"""``rtseg quantize``: an INT8 OpenVINO model calibrated on the user's own footage.

Frames are sampled evenly from every ``--calib`` video, image, folder or glob and letterboxed
exactly as at run time; every other one calibrates, the rest are held out. Both models then run
on the held-out frames: their agreement (recall, precision, mask IoU against the float model)
and speed are printed, and below ``--floor`` the model is not written unless ``--force``.
"""

from __future__ import annotations

import argparse
import math
import shutil
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from rtseg.engine import Segmenter
from rtseg.engine.agreement import Agreement
from rtseg.engine.letterbox import Letterbox
from rtseg.engine.quantize import agreement, quantize_int8, save_ir, throughput
from rtseg.errors import RtsegError
from rtseg.models import resolve_model
from rtseg.sources import open_source

DEFAULT_FRAMES = 100  # calibration frames (as many again are held out)
DEFAULT_FLOOR = 0.95  # recall and precision against the float model


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The ``quantize`` subcommand's flags."""
    quantize = commands.add_parser(
        "quantize", help="INT8 OpenVINO model calibrated on your own videos or images"
    )
    quantize.add_argument("--model", required=True, help="float YOLO-seg .onnx or OpenVINO IR")
    quantize.add_argument(
        "--calib",
        action="append",
        required=True,
        metavar="SOURCE",
        help="video file, image, folder or glob to calibrate on (repeat for more)",
    )
    quantize.add_argument("--output", required=True, help="INT8 model to write (.xml + .bin)")
    quantize.add_argument(
        "--frames",
        type=int,
        default=DEFAULT_FRAMES,
        help=f"calibration frames; as many again are held out to check (default {DEFAULT_FRAMES})",
    )
    quantize.add_argument(
        "--floor",
        type=float,
        default=DEFAULT_FLOOR,
        help="least recall and precision against the float model on held-out frames "
        f"(default {DEFAULT_FLOOR})",
    )
    quantize.add_argument(
        "--force", action="store_true", help="write the model even below the floor"
    )
    quantize.add_argument("-v", "--verbose", action="store_true", help="debug logs, tracebacks")


def sample_frames(
    segmenter: Segmenter, specs: Sequence[str], wanted: int
) -> tuple[list[np.ndarray], list[Letterbox]]:
    """About ``wanted`` frames spread evenly over each recorded source, letterboxed."""
    per_source = math.ceil(wanted / len(specs))
    images: list[np.ndarray] = []
    boxes: list[Letterbox] = []
    with ExitStack() as stack:
        sources = []  # all opened first: a bad one is refused before any work
        for spec in specs:
            source = stack.enter_context(open_source(spec))
            if source.is_live:
                raise RtsegError(
                    f"--calib {spec}: calibrate on recorded footage (video files, images,"
                    " folders), not a live source"
                )
            sources.append(source)
        for source in sources:
            count = source.frame_count or per_source  # unknown length: the first ones
            picks = {count * k // per_source for k in range(per_source)}
            for position, frame in enumerate(source):
                if position in picks:
                    letterboxed, box = segmenter.letterbox_many([frame.image])
                    images += letterboxed
                    boxes += box
                if position >= max(picks):
                    break
    return images, boxes


def check_floor(measured: Agreement, floor: float, force: bool) -> None:
    """Refuse (one line) a model below the floor, unless forced."""
    low = min(measured.recall, measured.precision)
    if low >= floor or force:
        return
    raise RtsegError(
        f"INT8 model not written: recall {measured.recall:.3f} / precision "
        f"{measured.precision:.3f} against the float model is below the floor {floor:.2f} "
        "(--force writes it anyway; more or more varied --calib footage may help)"
    )


def quantize_command(args: argparse.Namespace) -> int:
    """Calibrate, compare on held-out frames, then write the INT8 model (or refuse)."""
    if args.frames < 1:
        raise RtsegError("--frames must be at least 1")
    if not 0 <= args.floor <= 1:
        raise RtsegError("--floor must be between 0 and 1")
    output = Path(args.output)
    if output.suffix.lower() != ".xml":
        raise RtsegError(f"--output {output}: OpenVINO IR is written as a .xml file")
    model = resolve_model(args.model)
    reference = Segmenter(model, device="openvino", precision="f32", throughput=True)
    images, boxes = sample_frames(reference, args.calib, 2 * args.frames)
    if len(images) < 2:
        raise RtsegError("--calib footage gave fewer than 2 frames (1 to calibrate, 1 to check)")
    held_images, held_boxes = images[1::2], boxes[1::2]
    print(
        f"calibrating on {len(images[0::2])} frames of {len(args.calib)} source(s); "
        f"{len(held_images)} held-out frames check the result"
    )
    with tempfile.TemporaryDirectory(prefix="rtseg-int8-") as folder:
        written = Path(folder) / output.name
        save_ir(quantize_int8(reference, images[0::2]), written)
        candidate = Segmenter(written, device="openvino", throughput=True)
        measured = agreement(reference, candidate, held_images, held_boxes)
        print(f"INT8 against the float model: {measured.format()}")
        float_speed = Segmenter(model, device="openvino", throughput=True)
        blobs = [reference.to_blob([image]) for image in held_images]
        int8_fps, float_fps = throughput(candidate, blobs), throughput(float_speed, blobs)
        print(
            f"speed: INT8 {int8_fps:.1f} fps, float {float_fps:.1f} fps (OpenVINO, auto"
            f" precision): {int8_fps / float_fps:.2f}x"
        )
        check_floor(measured, args.floor, args.force)
        output.parent.mkdir(parents=True, exist_ok=True)
        for suffix in (".xml", ".bin"):
            shutil.move(written.with_suffix(suffix), output.with_suffix(suffix))
    print(f"wrote {output} and {output.with_suffix('.bin').name}")
    return 0
