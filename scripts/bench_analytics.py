"""Analytics cost per frame against the frame time of the model and tracker, at 1080p.

    .venv/bin/python scripts/bench_analytics.py [--objects 60] [--frames 200]

The scene, built at run time and never saved: real cars, cut out of the shared bridge clip
with the model's own masks (scripts/cutouts.py), as they are and mirrored, 165 px tall, drive
in 5 rows over the same clip's road (its median frame: no traffic; upscaled to 1920x1080),
rows in turn to the right and to the left at 3-5 px a frame, leaving the picture on one side
and coming back on the other: about 50 in the picture at a time, crossing the 10 lines and
entering and leaving the 10 zones of ``site()``. No persons: the shared clips' people, pasted
at this scale, score too low for the model to find most of them.

Each frame, in turn on that frame: ``Segmenter`` (the real model, keeping detections down to
the tracker's low threshold as a tracked ``rtseg run`` does), ``Tracker.update``, then
``Analytics.update`` with footpoint zones (the default) and, on a copy of the same tracked
detections, with every zone in overlap mode. The tracker is a run's at the default ``--conf``
but starts tracks from that confidence, not 0.6: the 320-px model scores these cars 0.15-0.65
(median 0.4) at 1080p, and a run's tracker would follow only about half of them. Medians leave
out the first frames (tracks starting); frame time is segmenter + tracker.
Target (issue 20): analytics at most 5% of the frame time.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from cutouts import Cutout, cut_out, median_background, paste

from rtseg.analytics import METADATA_KEY, Analytics, parse_site
from rtseg.cpu import cpu_line, read_cpu
from rtseg.engine import Segmenter
from rtseg.pipeline.stream_plan import ModelPlan
from rtseg.sources import Frame
from rtseg.tracking import Tracker, detection_floor

WIDTH, HEIGHT = 1920, 1080
FPS = 30.0
SHARED = Path(__file__).resolve().parents[2] / "shared"
MODEL = SHARED / "models" / "yolov8n-seg-fp32-320.onnx"
BRIDGE = SHARED / "media" / "bridge-traffic-640x360.mp4"
ROAD = (slice(110, 360), slice(200, 640))  # the clip's road, without railings: cars score higher
CAR_FRAMES = (0, 50, 100, 200, 250, 300, 350, 400, 500, 550, 850, 900)  # a whole car in each
CAR_HEIGHT = 165  # px at 1080p: ~28 px in the 320-px model input, about the smallest it finds
ROWS = 5
SPACING = 186  # px between the cars of a row (neighbours overlap a little)
WARMUP = 20  # frames left out of the medians
MODES = ("footpoint", "overlap")
CONF = ModelPlan().conf  # `rtseg run`'s default --conf


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


@dataclass(frozen=True)
class Car:
    """A car driving along its row at ``speed`` px a frame, round a loop ``loop`` px long
    centred on the picture: it leaves on one side and comes back on the other."""

    cutout: Cutout
    start_x: float
    foot_y: float
    speed: float
    loop: float

    def foot_x(self, step: int) -> float:
        """Where its foot is at frame ``step``."""
        return (self.start_x + self.speed * step) % self.loop - (self.loop - WIDTH) / 2


def video_frames(path: Path, indices: tuple[int, ...]) -> list[np.ndarray]:
    """The frames ``indices`` (ascending) of a video."""
    capture = cv2.VideoCapture(str(path))
    frames: list[np.ndarray] = []
    index = 0
    while len(frames) < len(indices):
        ok, image = capture.read()
        if not ok:
            raise SystemExit(f"cannot read frame {index} of {path}")
        if index in indices:
            frames.append(image)
        index += 1
    capture.release()
    return frames


def car_cutouts(segmenter: Segmenter) -> list[Cutout]:
    """The best car of each of :data:`CAR_FRAMES`, each as it is and mirrored."""
    cars = [cut_out(segmenter, image, 2, CAR_HEIGHT) for image in video_frames(BRIDGE, CAR_FRAMES)]
    return cars + [Cutout(car.image[:, ::-1], car.mask[:, ::-1]) for car in cars]


def road_background() -> np.ndarray:
    """The bridge clip's road without its traffic (median frame), upscaled to the picture."""
    return cv2.resize(median_background(BRIDGE)[ROAD], (WIDTH, HEIGHT))


def place_cars(cutouts: list[Cutout], objects: int) -> list[Car]:
    """``objects`` cars in :data:`ROWS` rows, every other row driving left, rows at 3-5 px a
    frame; a row's loop is the picture and its widest car, or its cars' spacing if longer."""
    widest = max(cutout.mask.shape[1] for cutout in cutouts)
    cars = []
    for row, members in enumerate(np.array_split(np.arange(objects), ROWS)):
        loop = max(len(members) * SPACING, WIDTH + widest)
        speed = (3 + row % 3) * (-1 if row % 2 else 1)
        foot_y = CAR_HEIGHT + 25 + row * HEIGHT // ROWS
        for k, index in enumerate(members):
            start_x = loop * k / len(members) + 61 * row
            cars.append(Car(cutouts[index % len(cutouts)], start_x, foot_y, speed, loop))
    return cars


def draw(background: np.ndarray, cars: list[Car], step: int) -> np.ndarray:
    """The picture at frame ``step``."""
    image = background.copy()
    for car in cars:
        paste(image, car.cutout, car.foot_x(step), car.foot_y)
    return image


@dataclass
class Samples:
    """Per-frame measurements (ms and counts), and the events of each analytics mode."""

    ms: dict[str, list[float]] = field(default_factory=dict)
    counts: dict[str, list[int]] = field(default_factory=dict)
    events: dict[str, Counter] = field(default_factory=dict)

    def add_ms(self, name: str, seconds: float) -> None:
        self.ms.setdefault(name, []).append(seconds * 1e3)

    def add_count(self, name: str, count: int) -> None:
        self.counts.setdefault(name, []).append(count)

    def median(self, name: str) -> float:
        """Median past the warm-up of a time (ms) or a count."""
        values = self.ms[name] if name in self.ms else self.counts[name]
        return float(np.median(values[WARMUP:]))


def site_analytics(mode: str, tracker: Tracker, names: dict[int, str]) -> Analytics:
    """The analytics of :func:`site` in zone ``mode``, as a run sets it up for ``tracker``."""
    return Analytics(
        parse_site(site(mode)), "bench", lost_buffer=tracker.max_missed, fps=FPS, names=names
    )


def measure(frames: int, objects: int) -> Samples:
    """Build the scene and time the model, the tracker and both analytics on every frame."""
    segmenter = Segmenter(MODEL, device="cpu", conf=detection_floor(CONF))
    cars = place_cars(car_cutouts(segmenter), objects)
    background = road_background()
    tracker = Tracker(
        FPS, high_thresh=CONF, low_thresh=detection_floor(CONF), new_track_thresh=CONF
    )
    analytics = {mode: site_analytics(mode, tracker, segmenter.names) for mode in MODES}
    samples = Samples(events={mode: Counter() for mode in MODES})
    for step in range(frames):
        image = draw(background, cars, step)
        frame = Frame(step, image, step * 1000 / FPS, time.monotonic())
        start = time.perf_counter()
        detections = segmenter(image)
        segmented = time.perf_counter()
        tracked = tracker.update(detections)
        samples.add_ms("segmenter", segmented - start)
        samples.add_ms("tracker", time.perf_counter() - segmented)
        inputs = {"footpoint": tracked, "overlap": tracked[:]}  # a copy: update sets metadata
        for mode in MODES:
            start = time.perf_counter()
            result = analytics[mode].update(frame, inputs[mode]).metadata[METADATA_KEY]
            samples.add_ms(mode, time.perf_counter() - start)
            samples.events[mode].update(event.event for event in result.events)
        samples.add_count("in picture", sum(0 <= car.foot_x(step) < WIDTH for car in cars))
        samples.add_count("detections", len(detections))
        samples.add_count("confirmed", int(np.count_nonzero(tracked.tracker_id >= 0)))
    return samples


def report(samples: Samples, frames: int, objects: int) -> None:
    """Print the medians and each analytics mode's share of the frame time."""
    frame_ms = samples.median("segmenter") + samples.median("tracker")
    print(
        f"{objects} cars, {CAR_HEIGHT} px tall, at {WIDTH}x{HEIGHT}, {frames} frames"
        f" (medians past the first {WARMUP}): {samples.median('in picture'):.0f} in the picture,"
        f" {samples.median('detections'):.0f} detections,"
        f" {samples.median('confirmed'):.0f} confirmed tracks a frame"
    )
    print(
        f"segmenter {samples.median('segmenter'):.1f} ms + tracker"
        f" {samples.median('tracker'):.1f} ms = frame time {frame_ms:.1f} ms"
    )
    for mode in MODES:
        ms, events = samples.median(mode), samples.events[mode]
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(events.items()))
        print(
            f"analytics, 10 lines + 10 {mode} zones: {ms:.2f} ms ="
            f" {100 * ms / frame_ms:.1f}% of the frame time"
            f" ({sum(events.values())} events: {kinds or 'none'})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=60, help="cars in the scene")
    parser.add_argument("--frames", type=int, default=200)
    args = parser.parse_args()
    if args.frames <= WARMUP or args.objects < ROWS:
        parser.error(f"--frames must be over {WARMUP} and --objects at least {ROWS}")
    if not SHARED.is_dir():
        raise SystemExit(f"{SHARED} is missing: this benchmark needs the shared model and media")
    print(cpu_line(read_cpu()), flush=True)  # results differ from CPU to CPU
    report(measure(args.frames, args.objects), args.frames, args.objects)


if __name__ == "__main__":
    main()
