"""Deterministic synthetic tracking sequences: ground truth plus imperfect detections.

A scene is a set of actors (people drawn as ellipses, cars as rounded boxes) moving at their
own speeds, drawn nearest-first so they hide each other, plus static occluders (pillars). A
simulated detector sees each actor's visible part: it misses actors that are mostly hidden,
misses some at random (single frames and bursts), jitters boxes and masks, lowers confidence
with occlusion, and adds false positives (some flickering for a few frames).

Boxes follow the MOTChallenge convention: they cover an object's full extent within the frame,
also where it is hidden (ground truth lists every actor at least ``GT_MIN_VISIBILITY`` visible);
masks hold only the visible pixels, like an instance-segmentation model's.

Needs only numpy (supervision lazily, for :func:`to_detections`), so the baseline and scoring
virtual environments can read the same files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PERSON, CAR = 0, 2
SHAPE_POWER = {PERSON: 2.0, CAR: 4.0}
"""Superellipse exponent per class: 2 is an ellipse, 4 a rounded box."""

GT_MIN_VISIBILITY = 0.2
DETECT_MIN_VISIBILITY = 0.3


@dataclass(frozen=True)
class Actor:
    """One ground-truth object: where it starts, how it moves, how near the camera it is."""

    class_id: int
    size: tuple[float, float]
    start: int
    position: tuple[float, float]
    velocity: tuple[float, float]
    depth: float
    wander: float = 0.0
    end: int | None = None


@dataclass(frozen=True)
class DetectorModel:
    """How the simulated detector errs."""

    miss_rate: float = 0.03
    burst_rate: float = 0.0
    burst_frames: tuple[int, int] = (3, 10)
    fp_per_frame: float = 0.3
    fp_flicker: float = 0.3
    box_jitter: float = 0.03
    score_range: tuple[float, float] = (0.6, 0.95)


@dataclass(frozen=True)
class Scene:
    """Everything that defines a sequence before randomness is drawn."""

    actors: list[Actor]
    detector: DetectorModel = field(default_factory=DetectorModel)
    occluders: list[tuple[float, float, float, float]] = field(default_factory=list)


@dataclass
class Sequence:
    """A generated sequence: per-row arrays for detections and ground truth (frames 1-based).

    Detection masks are stored as crops: ``det_crop`` (D, 4 ints x0, y0, x1, y1) and the crops'
    pixels concatenated row-major in ``det_pixels``.
    """

    name: str
    width: int
    height: int
    fps: float
    num_frames: int
    det_frame: np.ndarray
    det_xyxy: np.ndarray
    det_score: np.ndarray
    det_class: np.ndarray
    det_crop: np.ndarray
    det_pixels: np.ndarray
    gt_frame: np.ndarray
    gt_id: np.ndarray
    gt_xyxy: np.ndarray
    gt_class: np.ndarray
    gt_visibility: np.ndarray

    def save(self, path: str | Path) -> None:
        """Write to one ``.npz`` file."""
        arrays = {k: v for k, v in vars(self).items() if isinstance(v, np.ndarray)}
        arrays["det_pixels"] = np.packbits(self.det_pixels)
        meta = np.array([self.width, self.height, self.fps, self.num_frames, len(self.det_pixels)])
        np.savez_compressed(path, name=np.array(self.name), meta=meta, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Sequence:
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files if k not in ("name", "meta")}
            width, height, fps, num_frames, num_pixels = data["meta"]
            name = str(data["name"])
        arrays["det_pixels"] = np.unpackbits(arrays["det_pixels"], count=int(num_pixels)).astype(
            bool
        )
        return cls(name, int(width), int(height), float(fps), int(num_frames), **arrays)

    def frame_rows(self, frame: int) -> np.ndarray:
        """Indices of frame ``frame``'s detections, in detector output order."""
        return np.nonzero(self.det_frame == frame)[0]

    def frame_masks(self, rows: np.ndarray) -> np.ndarray:
        """Full-frame (N, H, W) masks of detection ``rows``."""
        sizes = (self.det_crop[:, 2] - self.det_crop[:, 0]) * (
            self.det_crop[:, 3] - self.det_crop[:, 1]
        )
        starts = np.concatenate([[0], np.cumsum(sizes)])
        masks = np.zeros((len(rows), self.height, self.width), dtype=bool)
        for out, row in enumerate(rows):
            x0, y0, x1, y1 = self.det_crop[row]
            crop = self.det_pixels[starts[row] : starts[row + 1]]
            masks[out, y0:y1, x0:x1] = crop.reshape(y1 - y0, x1 - x0)
        return masks


def to_detections(sequence: Sequence, frame: int, with_masks: bool = False):
    """Frame ``frame`` of ``sequence`` as ``supervision.Detections``."""
    import supervision as sv

    rows = sequence.frame_rows(frame)
    return sv.Detections(
        xyxy=sequence.det_xyxy[rows].astype(np.float32),
        confidence=sequence.det_score[rows].astype(np.float32),
        class_id=sequence.det_class[rows].astype(int),
        mask=sequence.frame_masks(rows) if with_masks else None,
    )


def write_gt(sequence: Sequence, path: str | Path) -> None:
    """Ground truth as a MOTChallenge ``gt.txt``: frame,id,x,y,w,h,1,class,visibility."""
    with Path(path).open("w", encoding="utf-8") as out:
        for f, i, (x1, y1, x2, y2), c, v in zip(
            sequence.gt_frame,
            sequence.gt_id,
            sequence.gt_xyxy,
            sequence.gt_class,
            sequence.gt_visibility,
            strict=True,
        ):
            out.write(f"{f},{i},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},1,{c},{v:.3f}\n")


# --- rendering ---------------------------------------------------------------------------------


@dataclass
class _Crop:
    """A binary shape cut to its box; ``x``, ``y`` is its top-left pixel in the frame."""

    mask: np.ndarray
    x: int
    y: int

    def erase(self, other: _Crop) -> None:
        """Clear the pixels that ``other`` covers."""
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1 = min(self.x + self.mask.shape[1], other.x + other.mask.shape[1])
        y1 = min(self.y + self.mask.shape[0], other.y + other.mask.shape[0])
        if x1 > x0 and y1 > y0:
            window = (slice(y0 - self.y, y1 - self.y), slice(x0 - self.x, x1 - self.x))
            theirs = other.mask[y0 - other.y : y1 - other.y, x0 - other.x : x1 - other.x]
            self.mask[window] &= ~theirs

    def box(self) -> np.ndarray | None:
        """Tight xyxy box of the set pixels, or None when empty."""
        ys, xs = np.nonzero(self.mask)
        if not len(xs):
            return None
        return np.array(
            [self.x + xs.min(), self.y + ys.min(), self.x + xs.max() + 1, self.y + ys.max() + 1],
            float,
        )


def _render(
    centre: np.ndarray, size: np.ndarray, power: float, bounds: tuple[int, int] | None
) -> _Crop:
    """Superellipse of ``size`` at ``centre``; clipped to ``bounds`` (width, height) if given."""
    half = np.maximum(size / 2.0, 0.5)
    x0, y0 = np.floor(centre - half).astype(int)
    x1, y1 = np.ceil(centre + half).astype(int)
    if bounds is not None:
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = max(min(x1, bounds[0]), x0), max(min(y1, bounds[1]), y0)
    dx = np.abs((np.arange(x0, x1) + 0.5 - centre[0]) / half[0]) ** power
    dy = np.abs((np.arange(y0, y1) + 0.5 - centre[1]) / half[1]) ** power
    return _Crop(dy[:, None] + dx[None, :] <= 1.0, int(x0), int(y0))


def _occluder_crop(rect: tuple[float, float, float, float]) -> _Crop:
    x0, y0, x1, y1 = (round(v) for v in rect)
    return _Crop(np.ones((y1 - y0, x1 - x0), dtype=bool), x0, y0)


# --- simulation --------------------------------------------------------------------------------


def _trajectories(actors: list[Actor], num_frames: int, rng: np.random.Generator) -> np.ndarray:
    """(A, F, 2) centres per actor and frame index (0-based); NaN where the actor is absent."""
    out = np.full((len(actors), num_frames, 2), np.nan)
    for a, actor in enumerate(actors):
        position = np.array(actor.position, float)
        velocity = np.array(actor.velocity, float)
        last = num_frames if actor.end is None else min(actor.end, num_frames)
        for f in range(actor.start - 1, last):
            out[a, f] = position
            velocity = velocity + rng.normal(0.0, actor.wander, 2) if actor.wander else velocity
            position = position + velocity
    return out


def simulate(
    name: str,
    scene: Scene,
    seed: int,
    num_frames: int = 300,
    width: int = 960,
    height: int = 540,
    fps: float = 30.0,
) -> Sequence:
    """Render ``scene`` into ground truth and detections, deterministically for ``seed``."""
    rng = np.random.default_rng(seed)
    det = scene.detector
    centres = _trajectories(scene.actors, num_frames, rng)
    base_score = rng.uniform(*det.score_range, len(scene.actors))
    order = np.argsort([a.depth for a in scene.actors], kind="stable")
    occluders = [_occluder_crop(r) for r in scene.occluders]
    burst_left = np.zeros(len(scene.actors), dtype=int)
    flickers: list[list] = []
    dets: list[tuple] = []
    gts: list[tuple] = []
    bounds = (width, height)

    for f in range(num_frames):
        front: list[_Crop] = list(occluders)
        for a in order:
            actor = scene.actors[a]
            if np.isnan(centres[a, f, 0]):
                continue
            size = np.array(actor.size, float)
            power = SHAPE_POWER[actor.class_id]
            full_area = np.count_nonzero(_render(centres[a, f], size, power, None).mask)
            visible = _render(centres[a, f], size, power, bounds)
            shape = _Crop(visible.mask.copy(), visible.x, visible.y)
            for crop in front:
                visible.erase(crop)
            front.append(shape)
            visibility = np.count_nonzero(visible.mask) / max(full_area, 1)
            box = shape.box()
            if box is None or visibility < GT_MIN_VISIBILITY:
                continue
            gts.append((f + 1, a + 1, box, actor.class_id, visibility))
            burst_left[a] = max(burst_left[a] - 1, 0)
            if burst_left[a] == 0 and rng.random() < det.burst_rate:
                burst_left[a] = rng.integers(det.burst_frames[0], det.burst_frames[1] + 1)
            seen = visibility >= DETECT_MIN_VISIBILITY and burst_left[a] == 0
            if not seen or rng.random() < det.miss_rate:
                continue
            jitter = rng.normal(0.0, det.box_jitter, 4) * np.tile(size, 2)
            mask = _render(
                centres[a, f] + jitter[:2], np.maximum(size + jitter[2:], 4.0), power, bounds
            )
            det_box = mask.box()
            for crop in front[:-1]:
                mask.erase(crop)
            if det_box is None:
                continue
            score = base_score[a] * (0.5 + 0.5 * visibility) + rng.normal(0.0, 0.05)
            dets.append((f + 1, det_box, float(np.clip(score, 0.05, 0.99)), actor.class_id, mask))

        dets.extend(_false_positives(f + 1, det, flickers, rng, bounds))

    return _assemble(name, width, height, fps, num_frames, dets, gts, rng)


def _false_positives(
    frame: int,
    det: DetectorModel,
    flickers: list[list],
    rng: np.random.Generator,
    bounds: tuple[int, int],
) -> list[tuple]:
    """This frame's false positives: new random boxes plus flickering ones still alive."""
    width, height = bounds
    for _ in range(rng.poisson(det.fp_per_frame)):
        class_id = PERSON if rng.random() < 0.6 else CAR
        size = np.array([40.0, 90.0] if class_id == PERSON else [110.0, 60.0]) * rng.uniform(
            0.4, 1.2
        )
        centre = rng.uniform(
            [size[0] / 2, size[1] / 2], [width - size[0] / 2, height - size[1] / 2]
        )
        frames = int(rng.integers(2, 6)) if rng.random() < det.fp_flicker else 1
        flickers.append([centre, size, class_id, float(rng.uniform(0.1, 0.75)), frames])
    out = []
    for item in flickers:
        centre, size, class_id, score, _ = item
        centre = centre + rng.normal(0.0, 2.0, 2)
        mask = _render(centre, size, SHAPE_POWER[class_id], bounds)
        box = mask.box()
        if box is not None:
            noisy = float(np.clip(score + rng.normal(0.0, 0.05), 0.05, 0.99))
            out.append((frame, box, noisy, class_id, mask))
        item[4] -= 1
    flickers[:] = [item for item in flickers if item[4] > 0]
    return out


def _assemble(name, width, height, fps, num_frames, dets, gts, rng) -> Sequence:
    """Stack rows into arrays; shuffle detections within each frame (detectors have no order)."""
    keys = rng.random(len(dets))
    order = sorted(range(len(dets)), key=lambda i: (dets[i][0], keys[i]))
    dets = [dets[i] for i in order]
    crops = [d[4] for d in dets]
    return Sequence(
        name=name,
        width=width,
        height=height,
        fps=fps,
        num_frames=num_frames,
        det_frame=np.array([d[0] for d in dets], dtype=np.int64),
        det_xyxy=np.array([d[1] for d in dets], dtype=np.float64).reshape(-1, 4),
        det_score=np.array([d[2] for d in dets], dtype=np.float64),
        det_class=np.array([d[3] for d in dets], dtype=np.int64),
        det_crop=np.array(
            [[c.x, c.y, c.x + c.mask.shape[1], c.y + c.mask.shape[0]] for c in crops],
            dtype=np.int64,
        ).reshape(-1, 4),
        det_pixels=np.concatenate([c.mask.ravel() for c in crops]) if crops else np.zeros(0, bool),
        gt_frame=np.array([g[0] for g in gts], dtype=np.int64),
        gt_id=np.array([g[1] for g in gts], dtype=np.int64),
        gt_xyxy=np.array([g[2] for g in gts], dtype=np.float64).reshape(-1, 4),
        gt_class=np.array([g[3] for g in gts], dtype=np.int64),
        gt_visibility=np.array([g[4] for g in gts], dtype=np.float64),
    )


# --- scenarios ---------------------------------------------------------------------------------


def _person(rng: np.random.Generator, **kwargs) -> Actor:
    scale = rng.uniform(0.8, 1.25)
    return Actor(PERSON, (40.0 * scale, 95.0 * scale), **kwargs)


def _car(rng: np.random.Generator, **kwargs) -> Actor:
    scale = rng.uniform(0.8, 1.2)
    return Actor(CAR, (120.0 * scale, 60.0 * scale), **kwargs)


def _wanderers(
    rng: np.random.Generator,
    count: int,
    speed: tuple[float, float],
    num_frames: int,
    width: int = 960,
    height: int = 540,
    wander: float = 0.05,
) -> list[Actor]:
    """Actors entering at staggered times from random points, heading across the frame."""
    actors = []
    for _ in range(count):
        make = _person if rng.random() < 0.6 else _car
        angle = rng.uniform(0.0, 2.0 * math.pi)
        magnitude = rng.uniform(*speed)
        start = int(rng.integers(1, max(num_frames // 2, 2)))
        position = (rng.uniform(80, width - 80), rng.uniform(60, height - 60))
        velocity = (magnitude * math.cos(angle), magnitude * math.sin(angle) * 0.5)
        actors.append(
            make(
                rng,
                start=start,
                position=position,
                velocity=velocity,
                depth=rng.uniform(0, 1),
                wander=wander,
            )
        )
    return actors


def scene_speeds(rng: np.random.Generator, num_frames: int) -> Scene:
    """Objects at very different speeds (0.5 to 14 px/frame), few interactions."""
    actors = _wanderers(rng, 10, (0.5, 14.0), num_frames)
    return Scene(actors, DetectorModel(miss_rate=0.03, fp_per_frame=0.3))


def scene_crossing(rng: np.random.Generator, num_frames: int) -> Scene:
    """Look-alike objects walking into each other: head-on passes, X crossings, an overtake."""
    actors = []
    for k in range(3):
        y = 120.0 + 150.0 * k + rng.uniform(-10, 10)
        t0 = 1 + 60 * k
        speed = rng.uniform(2.5, 4.5)
        actors.append(
            _person(rng, start=t0, position=(60.0, y), velocity=(speed, 0.0), depth=0.2 + k)
        )
        actors.append(
            _person(
                rng,
                start=t0,
                position=(900.0, y + rng.uniform(-8, 8)),
                velocity=(-speed * rng.uniform(0.8, 1.2), 0.0),
                depth=0.5 + k,
                wander=0.02,
            )
        )
    for k in range(2):
        t0 = 30 + 90 * k
        actors.append(
            _person(rng, start=t0, position=(200.0, 80.0), velocity=(3.5, 2.2), depth=5.0 + k)
        )
        actors.append(
            _person(rng, start=t0, position=(760.0, 80.0), velocity=(-3.5, 2.2), depth=5.5 + k)
        )
    actors.append(_car(rng, start=20, position=(80.0, 440.0), velocity=(2.0, 0.0), depth=8.0))
    actors.append(_car(rng, start=60, position=(-40.0, 445.0), velocity=(5.0, 0.0), depth=7.5))
    return Scene(actors, DetectorModel(miss_rate=0.03, fp_per_frame=0.3))


def scene_occlusion(rng: np.random.Generator, num_frames: int) -> Scene:
    """People walking behind pillars (hidden 10-30 frames) and passing in front of each other."""
    occluders = [(250.0, 0.0, 330.0, 540.0), (560.0, 150.0, 650.0, 540.0)]
    actors = []
    for k in range(8):
        leftward = k % 2 == 1
        speed = rng.uniform(2.5, 6.0)
        y = 140.0 + 45.0 * k + rng.uniform(-10, 10)
        start = 1 + 25 * k
        x = 900.0 if leftward else 60.0
        actors.append(
            _person(
                rng,
                start=start,
                position=(x, y),
                velocity=(-speed if leftward else speed, 0.0),
                depth=rng.uniform(0, 1),
                wander=0.02,
            )
        )
    return Scene(actors, DetectorModel(miss_rate=0.03, fp_per_frame=0.3), occluders)


def scene_misses_fp(rng: np.random.Generator, num_frames: int) -> Scene:
    """A noisy detector: 15% misses, missing bursts of 3-10 frames, flickering false positives."""
    actors = _wanderers(rng, 10, (1.0, 6.0), num_frames)
    model = DetectorModel(miss_rate=0.15, burst_rate=0.02, fp_per_frame=2.5, fp_flicker=0.4)
    return Scene(actors, model)


def scene_jitter(rng: np.random.Generator, num_frames: int) -> Scene:
    """Heavily jittered boxes and masks (8% of the object size per coordinate)."""
    actors = _wanderers(rng, 10, (1.0, 8.0), num_frames)
    return Scene(actors, DetectorModel(box_jitter=0.08, miss_rate=0.05, fp_per_frame=0.5))


def scene_dense(rng: np.random.Generator, num_frames: int) -> Scene:
    """A crowd: 30 objects, many crossings, every kind of detector error at once."""
    actors = _wanderers(rng, 30, (0.5, 7.0), num_frames, wander=0.08)
    model = DetectorModel(miss_rate=0.08, burst_rate=0.01, fp_per_frame=1.5, box_jitter=0.05)
    return Scene(actors, model, [(450.0, 200.0, 510.0, 540.0)])


SCENES = {
    "speeds": scene_speeds,
    "crossing": scene_crossing,
    "occlusion": scene_occlusion,
    "misses_fp": scene_misses_fp,
    "jitter": scene_jitter,
    "dense": scene_dense,
}
"""Scenario name -> scene builder. ``crossing``, ``occlusion`` and ``dense`` test occlusions."""


def generate(name: str, seed: int = 0, num_frames: int = 300) -> Sequence:
    """The ``name`` scenario rendered for ``seed``."""
    rng = np.random.default_rng([seed, list(SCENES).index(name)])
    scene = SCENES[name](rng, num_frames)
    return simulate(name, scene, seed=int(rng.integers(2**31)), num_frames=num_frames)
