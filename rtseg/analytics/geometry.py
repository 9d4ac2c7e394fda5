"""Pure geometry for lines and zones: footpoints from mask crops, sides of a line, points in
polygons, and the share of a mask crop inside a polygon. Every function reads box crops only
(``rtseg.masks``), never a frame-size mask."""

from __future__ import annotations

import cv2
import numpy as np
import supervision as sv

from rtseg.masks import box_crops

FOOT_SHARE = 0.1
"""The footpoint is the centre of the mask's lowest rows: this share of its height (>= 1 row)."""


def crop_footpoint(crop: np.ndarray, x: int, y: int) -> tuple[float, float] | None:
    """The frame (x, y) of a mask crop's footpoint: the centre of its lowest set rows, at their
    bottom edge (feet or wheels); None for an empty crop."""
    rows = crop.any(axis=1)
    top = int(rows.argmax())
    if not rows[top]:
        return None
    bottom = len(rows) - 1 - int(rows[::-1].argmax())
    depth = max(1, round(FOOT_SHARE * (bottom - top + 1)))
    weights = crop[bottom - depth + 1 : bottom + 1].sum(axis=0)
    centre = float(weights @ np.arange(len(weights))) / float(weights.sum())
    return x + centre + 0.5, y + bottom + 1.0


Crop = tuple[np.ndarray, int, int]
"""A mask as ``rtseg.masks.box_crops`` yields it: the bool crop and its top-left frame x, y."""


def mask_crops(detections: sv.Detections) -> list[Crop] | None:
    """Each detection's mask crop (decoded once a frame, shared by every line and zone)."""
    if detections.mask is None:
        return None
    return list(box_crops(detections.mask, np.asarray(detections.xyxy)))


def footpoints(xyxy: np.ndarray, crops: list[Crop] | None) -> np.ndarray:
    """(N, 2) footpoint per detection: from its mask crop, else its box's bottom centre."""
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    points = np.stack([(xyxy[:, 0] + xyxy[:, 2]) / 2, xyxy[:, 3]], axis=1)
    for i, (crop, x, y) in enumerate(crops or ()):
        point = crop_footpoint(crop, x, y)
        if point is not None:
            points[i] = point
    return points


def signed_distance(points: np.ndarray, line: np.ndarray, in_side: np.ndarray) -> np.ndarray:
    """Distance of each (x, y) in ``points`` from the infinite line through ``line``'s two
    points, positive on the side of ``in_side``."""
    a, b = line
    direction = (b - a) / np.hypot(*(b - a))
    normal = np.array([-direction[1], direction[0]])
    if np.dot(in_side - a, normal) < 0:
        normal = -normal
    return (np.asarray(points, dtype=np.float64) - a) @ normal


def side_reach(line: np.ndarray, in_side: np.ndarray, width: int, height: int) -> np.ndarray:
    """How far from the line the frame reaches on its "out" and "in" sides (the farthest frame
    corner on each): a band wider than half of this could never be left on that side."""
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height]], dtype=np.float64)
    distance = signed_distance(corners, line, in_side)
    return np.array([max(0.0, -distance.min()), max(0.0, distance.max())])


def crosses_segment(
    start: np.ndarray, end: np.ndarray, line: np.ndarray, d0: float, d1: float
) -> bool:
    """Whether the move ``start`` -> ``end``, whose signed distances ``d0`` and ``d1`` from the
    line have opposite signs, passes the line between its two end points (not beyond them)."""
    a, b = line
    meet = start + (d0 / (d0 - d1)) * (end - start)
    along = b - a
    position = float(np.dot(meet - a, along) / np.dot(along, along))
    return 0.0 <= position <= 1.0


class Polygons:
    """Several polygons' edges in one array, so every point is tested against every polygon
    in one pass: (E, 2) start and end corners and, per edge, the polygon it belongs to."""

    def __init__(self, polygons: list[np.ndarray]) -> None:
        self.count = len(polygons)
        self.start = np.concatenate(polygons) if polygons else np.empty((0, 2))
        self.end = (
            np.concatenate([np.roll(p, -1, axis=0) for p in polygons]) if polygons else self.start
        )
        sizes = [len(p) for p in polygons]
        self.first = np.cumsum([0, *sizes[:-1]]).astype(np.intp)  # each polygon's first edge

    def contain(self, points: np.ndarray) -> np.ndarray:
        """(N, polygons) bool: each point inside each polygon (even-odd rule)."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if not self.count or not len(points):
            return np.zeros((len(points), self.count), dtype=bool)
        x, y = points[:, :1], points[:, 1:]
        (x0, y0), (x1, y1) = self.start.T, self.end.T
        straddles = (y0 > y) != (y1 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        hits = (straddles & (x < at)).astype(np.int32)
        return (np.add.reduceat(hits, self.first, axis=1) % 2).astype(bool)

    def distance(self, points: np.ndarray) -> np.ndarray:
        """(N, polygons): each point's distance from each polygon's outline."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
        if not self.count or not len(points):
            return np.zeros((len(points), self.count))
        edge = (self.end - self.start)[None]
        length2 = np.maximum((edge**2).sum(axis=2), 1e-12)
        t = np.clip(((points - self.start[None]) * edge).sum(axis=2) / length2, 0.0, 1.0)
        gap = points - (self.start[None] + t[..., None] * edge)
        return np.minimum.reduceat(np.sqrt((gap**2).sum(axis=2)), self.first, axis=1)


def polygon_crop(polygon: np.ndarray, x: int, y: int, height: int, width: int) -> np.ndarray:
    """Bool (height, width) array: the part of ``polygon`` over the crop whose top-left frame
    pixel is ``x``, ``y`` (pixel centres inside the polygon)."""
    canvas = np.zeros((height, width), dtype=np.uint8)
    shift = 4  # sub-pixel polygon corners
    corners = np.rint((polygon - [x + 0.5, y + 0.5]) * (1 << shift)).astype(np.int32)
    cv2.fillPoly(canvas, [corners], 1, lineType=cv2.LINE_8, shift=shift)
    return canvas.view(bool)


class ZoneRaster:
    """A zone's pixels (their centres inside ``polygon``) over its bounding box in a frame of
    ``width`` x ``height``, drawn once, so each mask's share inside is one slice and one AND."""

    def __init__(self, polygon: np.ndarray, width: int, height: int) -> None:
        low = np.clip(np.floor(polygon.min(axis=0)).astype(int), 0, [width, height])
        high = np.clip(np.ceil(polygon.max(axis=0)).astype(int) + 1, 0, [width, height])
        self.x, self.y = int(low[0]), int(low[1])
        width, height = (int(n) for n in high - low)
        self.pixels = (
            polygon_crop(polygon, self.x, self.y, height, width)
            if width and height
            else np.zeros((height, width), bool)  # a zone off the frame
        )

    def share(self, crop: Crop) -> float:
        """Share of a mask crop's pixels inside the zone (0 for an empty mask)."""
        mask, x, y = crop
        area = np.count_nonzero(mask)
        if not area:
            return 0.0
        top, left = max(y, self.y), max(x, self.x)
        bottom = min(y + mask.shape[0], self.y + self.pixels.shape[0])
        right = min(x + mask.shape[1], self.x + self.pixels.shape[1])
        if bottom <= top or right <= left:
            return 0.0
        part = mask[top - y : bottom - y, left - x : right - x]
        zone = self.pixels[top - self.y : bottom - self.y, left - self.x : right - self.x]
        return np.count_nonzero(part & zone) / area
