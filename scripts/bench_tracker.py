"""Median ``Tracker.update`` time with N live tracks: boxes only, and with mask IoU.

    .venv/bin/python scripts/bench_tracker.py [--tracks 50] [--frames 300]

Objects sway around grid points, every one detected each frame with a little
jitter, so all N tracks are live and matched; only the ``update`` call is timed. With dense masks
most of the time is supervision copying the (N, H, W) mask array into the output Detections.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import supervision as sv

from rtseg.cpu import cpu_line, read_cpu
from rtseg.tracking import Tracker

WIDTH, HEIGHT = 960, 540


def scene(num_objects: int, frame: int, rng: np.random.Generator) -> np.ndarray:
    """(N, 4) xyxy boxes of ``num_objects`` small objects drifting on a grid."""
    cols = int(np.ceil(np.sqrt(num_objects * WIDTH / HEIGHT)))
    index = np.arange(num_objects)
    base = np.stack([(index % cols + 0.5) * WIDTH / cols, (index // cols + 1.0) * 70.0], axis=1)
    phase = frame / 15.0 + index
    sway = np.stack([np.sin(phase), np.cos(phase)], axis=1) * 8.0
    centre = base + sway + rng.normal(0.0, 0.5, (num_objects, 2))
    half = np.array([12.0, 22.0])
    return np.hstack([centre - half, centre + half])


def masks_for(boxes: np.ndarray) -> np.ndarray:
    """Full-frame (N, H, W) elliptical masks inscribed in ``boxes``."""
    masks = np.zeros((len(boxes), HEIGHT, WIDTH), dtype=bool)
    for mask, (x1, y1, x2, y2) in zip(masks, boxes, strict=True):
        x0, y0, x3, y3 = int(x1), int(y1), int(np.ceil(x2)), int(np.ceil(y2))
        ys, xs = np.mgrid[y0:y3, x0:x3] + 0.5
        inside = ((xs - (x1 + x2) / 2) / ((x2 - x1) / 2)) ** 2 + (
            (ys - (y1 + y2) / 2) / ((y2 - y1) / 2)
        ) ** 2 <= 1
        mask[y0:y3, x0:x3] = inside
    return masks


def make_masks(boxes: np.ndarray, kind: str):
    """Masks as the detector may hand them over: none, dense (N, H, W), or a CompactMask."""
    if kind == "none":
        return None
    dense = masks_for(boxes)
    if kind == "dense":
        return dense
    return sv.CompactMask.from_dense(dense, boxes, image_shape=(HEIGHT, WIDTH))


def bench(num_objects: int, frames: int, masks: str) -> float:
    """Median seconds per ``update`` after a warm-up that confirms every track."""
    rng = np.random.default_rng(0)
    tracker = Tracker(frame_rate=30, use_mask_iou=masks != "none")
    times = []
    for frame in range(frames):
        boxes = scene(num_objects, frame, rng)
        detections = sv.Detections(
            xyxy=boxes,
            confidence=np.full(num_objects, 0.9),
            class_id=np.zeros(num_objects, dtype=int),
            mask=make_masks(boxes, masks),
        )
        start = time.perf_counter()
        tracked = tracker.update(detections)
        times.append(time.perf_counter() - start)
        if frame >= 10 and len(tracked) != num_objects:
            raise SystemExit(f"frame {frame}: {len(tracked)} of {num_objects} tracked")
    return float(np.median(times[10:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=50)
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    print(cpu_line(read_cpu()), flush=True)  # results differ from CPU to CPU
    labels = {
        "none": "boxes only",
        "dense": f"mask IoU, dense {WIDTH}x{HEIGHT} masks",
        "compact": f"mask IoU, sv.CompactMask {WIDTH}x{HEIGHT}",
    }
    for kind, label in labels.items():
        median = bench(args.tracks, args.frames, kind)
        print(f"{args.tracks} live tracks, {label}: median update {median * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
