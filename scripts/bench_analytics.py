"""Analytics cost per frame against the frame time of the model and tracker, at 1080p.

    .venv/bin/python scripts/bench_analytics.py [--objects 50] [--frames 200]

50 tracked objects (person-sized mask crops, as the engine hands them over: CompactMask)
walk across a 1920x1080 frame over 10 lines and 10 zones, so sides change, zones are entered
and left, and events fire. Only ``Analytics.update`` is timed: footpoint zones (the default),
then every zone in overlap mode (a polygon raster per mask crop). The frame time is
``Segmenter`` + ``Tracker.update`` on a real 1080p frame (the crowd clip's first frame,
upscaled: 40+ people), a lower bound of a run's frame time, so the share is an upper bound.
Target (issue 20): analytics at most 5% of the frame time.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
import supervision as sv
from supervision.detection.compact_mask import CompactMask

from rtseg.analytics import Analytics, parse_site
from rtseg.cpu import cpu_line, read_cpu
from rtseg.engine import Segmenter
from rtseg.sources import Frame
from rtseg.tracking import Tracker

WIDTH, HEIGHT = 1920, 1080
SHARED = Path(__file__).resolve().parents[2] / "shared"
MODEL = SHARED / "models" / "yolov8n-seg-fp32-320.onnx"
CROWD = SHARED / "media" / "crowd-overhead-1280x720.mp4"


def site(mode: str) -> dict:
    """10 vertical lines across the frame and 10 zones in a 5 x 2 grid."""
    lines = [
        {
            "name": f"line{k}",
            "points": [[180 * k + 150, 100], [180 * k + 150, 1000]],
            "in_side": [180 * k + 200, 500],
        }
        for k in range(10)
    ]
    zones = [
        {
            "name": f"zone{k}",
            "mode": mode,
            "polygon": [[x, y], [x + 300, y], [x + 300, y + 380], [x, y + 380]],
        }
        for k in range(10)
        for x, y in [(60 + 380 * (k % 5), 80 + 500 * (k // 5))]
    ]
    return {"lines": lines, "zones": zones}


def person_crop() -> np.ndarray:
    """A 70 x 180 person-like mask: an ellipse body on two legs."""
    ys, xs = np.mgrid[0:180, 0:70] + 0.5
    body = ((xs - 35) / 33) ** 2 + ((ys - 70) / 70) ** 2 <= 1
    legs = (ys >= 120) & (((xs > 12) & (xs < 30)) | ((xs > 40) & (xs < 58)))
    return body | legs


def detections_at(step: int, count: int, crop: np.ndarray) -> sv.Detections:
    """``count`` tracks walking right (wrapping round) at 9 px a frame, in rows."""
    index = np.arange(count)
    x = (index * 173 + 9 * step) % (WIDTH - 80)
    y = 60 + (index % 5) * 190
    rle = np.asarray(sv.mask_to_rle(crop), dtype=np.int32)
    height, width = crop.shape
    masks = CompactMask(
        [rle] * count,
        np.tile([height, width], (count, 1)).astype(np.int32),
        np.stack([x, y], axis=1).astype(np.int32),
        (HEIGHT, WIDTH),
    )
    return sv.Detections(
        xyxy=np.stack([x, y, x + width - 1, y + height - 1], axis=1).astype(np.float32),
        mask=masks,
        confidence=np.full(count, 0.9, dtype=np.float32),
        class_id=np.zeros(count, dtype=int),
        tracker_id=index + 1,
    )


def analytics_ms(mode: str, objects: int, frames: int) -> tuple[float, int]:
    """Median ms of ``Analytics.update`` and the events it gave."""
    analytics = Analytics(parse_site(site(mode)), "bench")
    image = np.broadcast_to(np.zeros((1, 1, 3), dtype=np.uint8), (HEIGHT, WIDTH, 3))
    crop = person_crop()
    times, events = [], 0
    for step in range(frames):
        detections = detections_at(step, objects, crop)
        frame = Frame(step, image, step * 1000 / 30, 0.0)
        start = time.perf_counter()
        analytics.update(frame, detections)
        times.append(time.perf_counter() - start)
        events += len(detections.metadata["analytics"].events)
    return float(np.median(times[5:]) * 1e3), events


def frame_ms(frames: int) -> tuple[float, int]:
    """Median ms of Segmenter + Tracker on the upscaled crowd frame, and its detections."""
    capture = cv2.VideoCapture(str(CROWD))
    ok, image = capture.read()
    capture.release()
    if not ok:
        raise SystemExit(f"cannot read {CROWD} (../shared)")
    image = cv2.resize(image, (WIDTH, HEIGHT))
    segmenter = Segmenter(MODEL)
    tracker = Tracker.for_conf(0.25)
    times, found = [], 0
    for _ in range(frames):
        start = time.perf_counter()
        detections = segmenter(image)
        tracker.update(detections)
        times.append(time.perf_counter() - start)
        found = len(detections)
    return float(np.median(times[3:]) * 1e3), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=50)
    parser.add_argument("--frames", type=int, default=200)
    args = parser.parse_args()
    print(cpu_line(read_cpu()), flush=True)  # results differ from CPU to CPU
    model_ms, found = frame_ms(30)
    print(
        f"model + tracker at {WIDTH}x{HEIGHT}: median {model_ms:.1f} ms/frame ({found} detections)"
    )
    for mode in ("footpoint", "overlap"):
        ms, events = analytics_ms(mode, args.objects, args.frames)
        print(
            f"analytics, {args.objects} objects x 10 lines + 10 {mode} zones: median {ms:.2f}"
            f" ms/frame = {100 * ms / model_ms:.1f}% of the frame time ({events} events)"
        )


if __name__ == "__main__":
    main()
