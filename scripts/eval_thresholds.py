"""How `rtseg run`'s confidence thresholds track real footage: before and after issue 18.

No ground truth here, so the table counts what a person can check by looking at the clip:
distinct track ids (the cars or people a run reports), ids lasting a second or more, how long
tracks last, how many tracked rows are output and how many of them are below ``--conf``
(only the low-confidence association outputs those), the share of confident detections (>= 0.5,
objects the detector is sure of) shown with a track, and restarts (a track starting within a
second of another's end, where that one was last seen: the same object under a new id).

Settings, at ``--conf`` C (default 0.25):

* before: the model filtered at C, ``Tracker()`` (high 0.5, new tracks from 0.6);
* after: the model keeps detections down to the tracker's low threshold (0.1) and
  ``Tracker.for_conf(C)`` tracks them (high = C, new tracks from max(C, 0.6)), as `rtseg run`
  does now;
* new=C+0.1: the same, new tracks from C + 0.1 (ByteTrack's high-to-new step), the mapping
  measured and not taken.

The model runs once per clip (OpenCV decoding, every frame) at the lowest threshold any
setting needs; its boxes are cached under ``--cache`` and every setting tracks those::

    .venv/bin/python scripts/eval_thresholds.py [--conf 0.25] [--cache runs/thresholds]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import supervision as sv

from rtseg.engine import Segmenter
from rtseg.tracking import Tracker, detection_floor
from rtseg.tracking.costs import box_iou

SHARED = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_MODEL = SHARED / "models" / "yolov8n-seg-fp32-320.onnx"
DEFAULT_CLIPS = [
    SHARED / "media" / name
    for name in (
        "highway-dashcam-960x540.mp4",
        "bridge-traffic-640x360.mp4",
        "crowd-overhead-1280x720.mp4",
    )
]
CONFIDENT = 0.5  # a detection the model is sure of: an object that is there
RESTART_IOU = 0.3  # a new track this close to where another ended is that object again


@dataclass(frozen=True)
class Clip:
    """One clip's cached detections: per-row frame index, box, confidence, class."""

    fps: float
    frames: int
    frame: np.ndarray
    xyxy: np.ndarray
    confidence: np.ndarray
    class_id: np.ndarray

    def detections(self, index: int, keep: Callable[[np.ndarray], np.ndarray]) -> sv.Detections:
        """Frame ``index``'s detections whose confidences pass ``keep``."""
        rows = (self.frame == index) & keep(self.confidence)
        return sv.Detections(
            xyxy=self.xyxy[rows], confidence=self.confidence[rows], class_id=self.class_id[rows]
        )


@dataclass(frozen=True)
class Setting:
    """What the model keeps and the tracker that takes it."""

    keep: Callable[[np.ndarray], np.ndarray]
    tracker: Callable[[float], Tracker]  # for a frame rate


def settings(conf: float) -> dict[str, Setting]:
    """The settings compared at ``--conf`` ``conf`` (see the module's docstring)."""
    floor = detection_floor(conf)
    return {
        "before": Setting(lambda c: c > conf, Tracker),  # the model's own test: above conf
        "after": Setting(lambda c: c >= floor, lambda fps: Tracker.for_conf(conf, fps)),
        "new=C+0.1": Setting(
            lambda c: c >= floor,
            lambda fps: Tracker(
                fps, high_thresh=conf, low_thresh=floor, new_track_thresh=conf + 0.1
            ),
        ),
    }


def frames(capture: cv2.VideoCapture) -> Iterator[np.ndarray]:
    while True:
        ok, image = capture.read()
        if not ok:
            return
        yield image


def detect(path: Path, model: Path, conf: float) -> Clip:
    """Run ``model`` on every frame of ``path``, keeping detections above ``conf`` (boxes only:
    every frame's masks would not fit in memory)."""
    segmenter = Segmenter(model, device="cpu", conf=conf)
    capture = cv2.VideoCapture(str(path))
    try:
        found = [(d.xyxy, d.confidence, d.class_id) for d in map(segmenter, frames(capture))]
        fps = capture.get(cv2.CAP_PROP_FPS)
    finally:
        capture.release()
    xyxy, confidence, class_id = (np.concatenate(column) for column in zip(*found, strict=True))
    return Clip(
        fps=fps,
        frames=len(found),
        frame=np.repeat(np.arange(len(found)), [len(boxes) for boxes, _, _ in found]),
        xyxy=xyxy,
        confidence=confidence,
        class_id=class_id,
    )


def cached_clip(path: Path, model: Path, conf: float, cache: Path) -> Clip:
    """The clip's detections above ``conf``, from ``cache`` when already there."""
    file = cache / f"{path.stem}-{model.stem}-{conf}.npz"
    if not file.exists():
        cache.mkdir(parents=True, exist_ok=True)
        clip = detect(path, model, conf)
        np.savez(file, **clip.__dict__)
    with np.load(file) as data:
        fields = {key: data[key] for key in data.files}
    return Clip(**{**fields, "fps": float(fields["fps"]), "frames": int(fields["frames"])})


Tracks = dict[int, list[tuple[int, np.ndarray, float]]]  # id: its (frame, box, confidence) rows


def track(clip: Clip, setting: Setting) -> tuple[Tracks, float]:
    """Each track's rows and the share of confident detections shown with a track."""
    tracker = setting.tracker(clip.fps)
    tracks: Tracks = {}
    confident = shown = 0
    for index in range(clip.frames):
        detections = clip.detections(index, setting.keep)
        tracked = tracker.update(detections)
        confident += int(np.sum(detections.confidence >= CONFIDENT))
        shown += int(np.sum(tracked.confidence >= CONFIDENT))
        for track_id, box, confidence in zip(
            tracked.tracker_id, tracked.xyxy, tracked.confidence, strict=True
        ):
            tracks.setdefault(int(track_id), []).append((index, box, float(confidence)))
    return tracks, shown / max(confident, 1)


def restarts(tracks: Tracks, fps: float) -> int:
    """Tracks that start within a second of another's end, where that one was last seen."""
    ends = [rows[-1][:2] for rows in tracks.values()]
    count = 0
    for rows in tracks.values():
        start, box, _ = rows[0]
        count += any(
            0 < start - end <= fps and box_iou(box[None], last[None])[0, 0] >= RESTART_IOU
            for end, last in ends
        )
    return count


def row(clip: Clip, setting: Setting, conf: float) -> list[str]:
    """The table's cells for ``clip`` tracked with ``setting`` at ``--conf`` ``conf``."""
    tracks, shown = track(clip, setting)
    lengths = np.array([len(rows) for rows in tracks.values()])
    below = sum(confidence < conf for rows in tracks.values() for *_, confidence in rows)
    return [
        str(len(tracks)),
        str(int(np.sum(lengths >= clip.fps))),
        f"{lengths.mean():.0f}" if len(lengths) else "0",
        str(int(lengths.sum())),
        str(below),
        f"{shown:.2f}",
        str(restarts(tracks, clip.fps)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--clips", type=Path, nargs="+", default=DEFAULT_CLIPS)
    parser.add_argument("--conf", type=float, default=0.25)
    parser.add_argument("--cache", type=Path, default=Path("runs/thresholds"))
    args = parser.parse_args()
    header = ["ids", "ids >= 1 s", "mean length", "rows", "rows < conf", "shown", "restarts"]
    print(f"--conf {args.conf}\n")
    print("| clip | setting | " + " | ".join(header) + " |")
    print("|---|---|" + "---:|" * len(header))
    for path in args.clips:
        clip = cached_clip(path, args.model, detection_floor(args.conf), args.cache)
        for name, setting in settings(args.conf).items():
            print(f"| {path.stem} | {name} | " + " | ".join(row(clip, setting, args.conf)) + " |")


if __name__ == "__main__":
    main()
