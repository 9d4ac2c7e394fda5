"""Drawing a site's analytics: zones tinted by their occupancy, the part of each object's mask
inside a zone highlighted, lines with an arrow towards "in" and their running counts.

Reads the frame's :class:`~rtseg.analytics.AnalyticsResult` from
``detections.metadata["analytics"]``; draws nothing on frames without one. Masks are read as
box crops, zones are blended within their bounding boxes: no frame-size arrays per frame.
"""

from __future__ import annotations

import cv2
import numpy as np
import supervision as sv

from rtseg.analytics.events import METADATA_KEY, AnalyticsResult
from rtseg.analytics.geometry import in_normal, polygon_crop
from rtseg.analytics.site import Site
from rtseg.masks import box_crops

EMPTY_OPACITY, OCCUPIED_OPACITY, MASK_OPACITY = 0.12, 0.3, 0.6
ARROW_PX = 28
FONT = cv2.FONT_HERSHEY_SIMPLEX


class ZoneLineAnnotator:
    """Draws ``site``'s zones and lines with the counts of each frame's analytics."""

    def __init__(self, site: Site, palette: sv.ColorPalette = sv.ColorPalette.DEFAULT) -> None:
        self.site = site
        self.palette = palette
        self._resolved: dict[tuple[int, int], Site] = {}

    def annotate(self, scene: np.ndarray, detections: sv.Detections) -> np.ndarray:
        """Draw onto ``scene`` (HxWx3 BGR uint8) in place and return it."""
        result: AnalyticsResult | None = detections.metadata.get(METADATA_KEY)
        if result is None:
            return scene
        height, width = scene.shape[:2]
        site = self._resolved.setdefault((width, height), self.site.resolve(width, height))
        crops = (
            None if detections.mask is None else list(box_crops(detections.mask, detections.xyxy))
        )
        occupancy = result.zones_record()
        for z, zone in enumerate(site.zones):
            color = self.palette.by_idx(z).as_bgr()
            count = occupancy.get(zone.name, 0)
            tint_polygon(scene, zone.polygon, color, OCCUPIED_OPACITY if count else EMPTY_OPACITY)
            for row in np.flatnonzero(result.inside.get(zone.name, ())):
                if crops is not None:
                    highlight_inside(scene, crops[row], zone.polygon, color)
            corner = zone.polygon.min(axis=0).astype(int)
            label(scene, f"{zone.name}: {count}", (int(corner[0]) + 4, int(corner[1]) + 18), color)
        counts = result.lines_record()
        for k, line in enumerate(site.lines):
            color = self.palette.by_idx(len(site.zones) + k).as_bgr()
            a, b = np.rint(line.points).astype(int)
            cv2.line(scene, tuple(a.tolist()), tuple(b.tolist()), color, 2, cv2.LINE_AA)
            middle, normal = in_arrow(line.points, line.in_side)
            tip = middle + ARROW_PX * normal
            cv2.arrowedLine(
                scene, _pixel(middle), _pixel(tip), color, 2, cv2.LINE_AA, tipLength=0.35
            )
            tally = counts.get(line.name, {"in": 0, "out": 0})
            text = f"{line.name} in {tally['in']} out {tally['out']}"
            label(scene, text, _pixel(middle - ARROW_PX * normal), color)
        for x, y in np.rint(result.footpoints).astype(int).tolist():
            cv2.circle(scene, (x, y), 3, (255, 255, 255), -1, cv2.LINE_AA)
        return scene


def in_arrow(line: np.ndarray, in_side: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The line's midpoint and the unit normal pointing to its "in" side."""
    return line.mean(axis=0), in_normal(line, in_side)


def tint_polygon(scene: np.ndarray, polygon: np.ndarray, color: tuple, opacity: float) -> None:
    """Blend ``color`` into ``scene`` over ``polygon``, within its bounding box only."""
    height, width = scene.shape[:2]
    x0, y0 = np.clip(np.floor(polygon.min(axis=0)).astype(int), 0, [width, height])
    x1, y1 = np.clip(np.ceil(polygon.max(axis=0)).astype(int) + 1, 0, [width, height])
    region = scene[y0:y1, x0:x1]
    if not region.size:
        return
    inside = polygon_crop(polygon, int(x0), int(y0), *region.shape[:2])
    blend(region, inside, color, opacity)
    outline = np.rint(polygon).astype(np.int32)
    cv2.polylines(scene, [outline], True, color, 2, cv2.LINE_AA)


def highlight_inside(
    scene: np.ndarray, crop: tuple[np.ndarray, int, int], polygon: np.ndarray, color: tuple
) -> None:
    """Tint the part of a mask crop that lies inside ``polygon``."""
    mask, x, y = crop
    region = scene[y : y + mask.shape[0], x : x + mask.shape[1]]
    part = mask[: region.shape[0], : region.shape[1]]
    blend(region, part & polygon_crop(polygon, x, y, *part.shape), color, MASK_OPACITY)


def blend(region: np.ndarray, where: np.ndarray, color: tuple, opacity: float) -> None:
    """``region`` (a view into the scene) mixed with ``color`` at ``opacity`` where set."""
    if where.any():
        pixels = region[where].astype(np.float32)
        region[where] = np.rint(pixels * (1 - opacity) + np.float32(color) * opacity).astype(
            np.uint8
        )


def label(scene: np.ndarray, text: str, origin: tuple[int, int], color: tuple) -> None:
    """``text`` on a dark backing, for reading over any picture."""
    (w, h), base = cv2.getTextSize(text, FONT, 0.5, 1)
    x, y = origin
    cv2.rectangle(scene, (x - 2, y - h - 3), (x + w + 2, y + base), (0, 0, 0), -1)
    cv2.putText(scene, text, (x, y), FONT, 0.5, color, 1, cv2.LINE_AA)


def _pixel(point: np.ndarray) -> tuple[int, int]:
    x, y = np.rint(point).astype(int).tolist()
    return x, y
