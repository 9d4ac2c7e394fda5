"""Pure geometry for lines and zones, for all of a frame's objects at once: footpoints from
the masks, sides of lines, points in polygons, and the share of each mask inside each polygon.
Masks are read as column runs (``rtseg.masks.ColumnRuns``), never decoded, never frame-size."""

from __future__ import annotations

import cv2
import numpy as np

from rtseg.masks import ColumnRuns

FOOT_SHARE = 0.1
"""The footpoint is the centre of the mask's lowest rows: this share of its height (>= 1 row)."""


def footpoints(xyxy: np.ndarray, runs: ColumnRuns | None) -> np.ndarray:
    """(N, 2) footpoint per detection: the centre of its mask's lowest set rows, at their
    bottom edge (feet or wheels); the box's bottom centre for a detection without mask pixels.
    All masks at once, from their column runs."""
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    points = np.stack([(xyxy[:, 0] + xyxy[:, 2]) / 2, xyxy[:, 3]], axis=1)
    if runs is None or not len(runs.owner):
        return points
    new = np.diff(runs.owner, prepend=-1) != 0
    starts = np.flatnonzero(new)  # each mask's first run (masks without pixels have none)
    group = np.cumsum(new) - 1  # each run's position among those masks
    bottom = np.maximum.reduceat(runs.stop, starts)  # one past the lowest set row
    top = np.minimum.reduceat(runs.top, starts)
    depth = np.maximum(1, np.rint(FOOT_SHARE * (bottom - top)).astype(np.int64))
    band_top = (bottom - depth)[group]
    in_band = np.maximum(0, np.minimum(runs.stop, bottom[group]) - np.maximum(runs.top, band_top))
    centre = np.add.reduceat(in_band * runs.x, starts) / np.add.reduceat(in_band, starts)
    points[runs.owner[starts]] = np.stack([centre + 0.5, bottom.astype(np.float64)], axis=1)
    return points


def signed_distance(points: np.ndarray, line: np.ndarray, in_side: np.ndarray) -> np.ndarray:
    """Distance of each (x, y) in ``points`` from the infinite line through ``line``'s two
    points, positive on the side of ``in_side``."""
    return (np.asarray(points, dtype=np.float64) - line[0]) @ in_normal(line, in_side)


def side_reach(line: np.ndarray, in_side: np.ndarray, width: int, height: int) -> np.ndarray:
    """How far from the line the frame reaches on its "out" and "in" sides (the farthest frame
    corner on each): a band wider than half of this could never be left on that side."""
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height]], dtype=np.float64)
    distance = signed_distance(corners, line, in_side)
    return np.array([max(0.0, -distance.min()), max(0.0, distance.max())])


class Lines:
    """Several lines in arrays, each with its unit normal towards its "in" side, so every
    point's side of every line is one array operation."""

    def __init__(self, lines: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """``lines``: each line's two points (2, 2) and a point on its "in" side (2,)."""
        self.start = np.array([points[0] for points, _ in lines], dtype=np.float64).reshape(-1, 2)
        self.along = np.array(
            [points[1] - points[0] for points, _ in lines], dtype=np.float64
        ).reshape(-1, 2)
        self.normal = np.array(
            [in_normal(points, in_side) for points, in_side in lines], dtype=np.float64
        ).reshape(-1, 2)

    def distance(self, points: np.ndarray) -> np.ndarray:
        """(N, lines): each point's signed distance from each (infinite) line, positive on
        its "in" side."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
        return ((points - self.start[None]) * self.normal[None]).sum(axis=2)

    def passed_between_ends(self, start: np.ndarray, end: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Bool per move ``start[i]`` -> ``end[i]`` (ends on opposite sides of line ``k[i]``):
        whether it passes the line between its two end points (not beyond them)."""
        d0 = ((start - self.start[k]) * self.normal[k]).sum(axis=1)
        d1 = ((end - self.start[k]) * self.normal[k]).sum(axis=1)
        meet = start + (d0 / (d0 - d1))[:, None] * (end - start)
        along = self.along[k]
        position = ((meet - self.start[k]) * along).sum(axis=1) / (along * along).sum(axis=1)
        return (position >= 0.0) & (position <= 1.0)


def in_normal(line: np.ndarray, in_side: np.ndarray) -> np.ndarray:
    """The line's unit normal pointing to the side of ``in_side``."""
    a, b = line
    direction = (b - a) / np.hypot(*(b - a))
    normal = np.array([-direction[1], direction[0]])
    return -normal if np.dot(in_side - a, normal) < 0 else normal


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


class ZoneRasters:
    """Zones' pixels (their centres inside each polygon) over their bounding boxes in a frame
    of ``width`` x ``height``, drawn once as column prefix sums in one table, so the share of
    every mask inside every zone is a few array operations over the masks' column runs."""

    def __init__(self, polygons: list[np.ndarray], width: int, height: int) -> None:
        boxes, tables = [], []
        for polygon in polygons:
            low = np.clip(np.floor(polygon.min(axis=0)).astype(int), 0, [width, height])
            high = np.clip(np.ceil(polygon.max(axis=0)).astype(int) + 1, 0, [width, height])
            (x0, y0), (x1, y1) = low.tolist(), np.maximum(high, low).tolist()
            pixels = polygon_crop(polygon, x0, y0, y1 - y0, x1 - x0)
            prefix = np.zeros((y1 - y0 + 1, x1 - x0), dtype=np.int64)
            np.cumsum(pixels, axis=0, out=prefix[1:])
            boxes.append((x0, y0, x1, y1))
            tables.append(prefix.ravel())
        self.boxes = np.array(boxes, dtype=np.int64).reshape(-1, 4)  # exclusive ends
        self.widths = self.boxes[:, 2] - self.boxes[:, 0]
        self.heights = self.boxes[:, 3] - self.boxes[:, 1]
        sizes = [len(table) for table in tables]
        self.base = np.cumsum([0, *sizes[:-1]]).astype(np.int64)  # each zone's first entry
        self.table = np.concatenate(tables) if tables else np.zeros(0, dtype=np.int64)

    def shares(self, runs: ColumnRuns, wanted: np.ndarray | None = None) -> np.ndarray:
        """(masks, zones): the share of each mask's pixels inside each zone (0 for a mask
        without pixels, and for the masks not ``wanted``, a bool per mask)."""
        out = np.zeros((runs.count, len(self.boxes)))
        masks, zones = np.nonzero(
            (np.ones(runs.count, dtype=bool) if wanted is None else wanted)[:, None]
            & (runs.boxes[:, None, 0] < self.boxes[None, :, 2])
            & (runs.boxes[:, None, 2] > self.boxes[None, :, 0])
            & (runs.boxes[:, None, 1] < self.boxes[None, :, 3])
            & (runs.boxes[:, None, 3] > self.boxes[None, :, 1])
        )  # the pairs whose boxes meet
        # a mask's runs go column by column, so those in a zone's columns are one slice
        span = 1 + max(int(runs.x.max(initial=0)), int(self.boxes[:, 2].max(initial=0)))
        order = runs.owner * span + runs.x  # ascending
        left, right = self.boxes[zones, 0], self.boxes[zones, 2]
        first = np.searchsorted(order, masks * span + left)
        count = np.searchsorted(order, masks * span + right) - first
        if not count.sum():
            return out
        pair = np.repeat(np.arange(len(masks)), count)
        run = np.arange(len(pair)) + np.repeat(first - (np.cumsum(count) - count), count)
        top, height, columns = (
            np.repeat(values[zones], count)
            for values in (self.boxes[:, 1], self.heights, self.widths)
        )
        cell = np.repeat(self.base[zones] - left, count) + runs.x[run]  # entry of row 0
        rows = [np.clip(ends[run] - top, 0, height) * columns for ends in (runs.top, runs.stop)]
        inside = self.table[cell + rows[1]] - self.table[cell + rows[0]]
        area = runs.area[masks]
        out[masks, zones] = np.divide(
            np.bincount(pair, weights=inside, minlength=len(masks)),
            area,
            out=np.zeros(len(masks)),
            where=area > 0,
        )
        return out
