"""Engine benchmark: per-stage median times over a clip, and decode time vs instance count.

Usage:
    python scripts/bench_engine.py [--model M] [--source CLIP] [--device cpu] [--repeats 3]

Prints a markdown table of per-stage medians (preprocess, inference, postprocess = decode + masks)
over every frame of the clip, then postprocess time for synthetic outputs with 1..100 instances.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from rtseg import Segmenter
from rtseg.cpu import cpu_line, read_cpu
from rtseg.engine.letterbox import Letterbox

SHARED = Path(__file__).resolve().parents[2] / "shared"


def read_frames(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def stage_times(seg: Segmenter, frames: list[np.ndarray]) -> dict[str, list[float]]:
    """Milliseconds per frame for each stage, run in sequence on one thread."""
    times: dict[str, list[float]] = {"preprocess": [], "inference": [], "postprocess": []}
    for frame in frames:
        t0 = time.perf_counter()
        blob, box = seg.preprocess(frame)
        t1 = time.perf_counter()
        outputs = seg.infer(blob)
        t2 = time.perf_counter()
        seg.postprocess(outputs, box)
        t3 = time.perf_counter()
        times["preprocess"].append((t1 - t0) * 1e3)
        times["inference"].append((t2 - t1) * 1e3)
        times["postprocess"].append((t3 - t2) * 1e3)
    return times


def synthetic_outputs(seg: Segmenter, count: int, box: Letterbox) -> list[np.ndarray]:
    """Model-shaped outputs with ``count`` well-separated confident anchors whose masks are
    non-empty (prototype 0 is a constant +1 logit, the rest small noise)."""
    rng = np.random.default_rng(0)
    num_classes = len(seg.names)
    num_masks = seg.spec.num_masks
    in_h, in_w = seg.imgsz
    protos = rng.normal(scale=0.1, size=(1, num_masks, in_h // 4, in_w // 4)).astype(np.float32)
    protos[0, 0] = 1.0
    head = np.zeros((1, 4 + num_classes + num_masks, max(count, 1)), np.float32)
    columns = int(np.ceil(np.sqrt(count)))
    content_h, content_w = box.resized_hw
    cell_w, cell_h = content_w / columns, content_h / columns
    for i in range(count):
        cx = box.pad_left + (i % columns + 0.5) * cell_w
        cy = box.pad_top + (i // columns + 0.5) * cell_h
        head[0, 0:4, i] = [cx, cy, cell_w * 0.8, cell_h * 0.8]
        head[0, 4 + 2, i] = 0.9
        head[0, 4 + num_classes, i] = 1.0
    return [head, protos]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(SHARED / "models" / "yolov8n-seg-fp32-320.onnx"))
    parser.add_argument("--source", default=str(SHARED / "media" / "highway-dashcam-960x540.mp4"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(cpu_line(read_cpu()), flush=True)  # results differ from CPU to CPU

    seg = Segmenter(args.model, device=args.device)
    frames = read_frames(Path(args.source))
    height, width = frames[0].shape[:2]
    stage_times(seg, frames[:10])  # warm-up
    runs = [stage_times(seg, frames) for _ in range(args.repeats)]
    name = Path(args.model).name
    print(f"model {name} on {seg.provider}, {len(frames)} frames {width}x{height},")
    print(f"median of per-frame ms over {args.repeats} passes (median of pass medians)\n")
    print("| stage | median ms | p95 ms |")
    print("|---|---|---|")
    total_pre_post = []
    for stage in ("preprocess", "inference", "postprocess"):
        medians = [statistics.median(run[stage]) for run in runs]
        p95s = [float(np.percentile(run[stage], 95)) for run in runs]
        print(f"| {stage} | {statistics.median(medians):.2f} | {statistics.median(p95s):.2f} |")
    for run in runs:
        total_pre_post.append(
            statistics.median(np.add(run["preprocess"], run["postprocess"]).tolist())
        )
    print(f"| preprocess + postprocess | {statistics.median(total_pre_post):.2f} | |")

    print("\n| instances | postprocess median ms |")
    print("|---|---|")
    box = seg.preprocess(frames[0])[1]
    for count in (1, 5, 10, 25, 50, 100):
        outputs = synthetic_outputs(seg, count, box)
        found = len(seg.postprocess(outputs, box))
        samples = []
        for _ in range(30):
            t0 = time.perf_counter()
            seg.postprocess(outputs, box)
            samples.append((time.perf_counter() - t0) * 1e3)
        print(f"| {found} | {statistics.median(samples):.2f} |")


if __name__ == "__main__":
    main()
