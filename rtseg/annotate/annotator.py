"""FrameAnnotator: masks, boxes, labels and optional traces, colored consistently per instance."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import supervision as sv

from rtseg.analytics import Site
from rtseg.annotate.labels import instance_labels
from rtseg.annotate.masks import blend_masks, blend_tables
from rtseg.annotate.zones import ZoneLineAnnotator


def color_indices(detections: sv.Detections) -> np.ndarray:
    """Palette index per instance: its tracker id when tracked, else its class id, else its row.

    Used as every annotator's color lookup, so an instance's mask, box, label and trace match
    and a track keeps its color from frame to frame.
    """
    for key in (detections.tracker_id, detections.class_id):
        if key is not None:
            return np.asarray(key, dtype=np.int64)
    return np.arange(len(detections), dtype=np.int64)


class FrameAnnotator:
    """Draws detections on a frame in place (callers pass a copy if they need the original)."""

    def __init__(
        self,
        names: Mapping[int, str] | None = None,
        *,
        show_boxes: bool = True,
        show_labels: bool = True,
        show_masks: bool = True,
        trace: bool = False,
        mask_opacity: float = 0.5,
        palette: sv.ColorPalette = sv.ColorPalette.DEFAULT,
        site: Site | None = None,
    ) -> None:
        self.names = names
        self._zones = ZoneLineAnnotator(site, palette) if site is not None else None
        self._tables = blend_tables(palette, mask_opacity) if show_masks else None
        self._boxes = sv.BoxAnnotator(color=palette, thickness=2) if show_boxes else None
        self._labels = (
            sv.LabelAnnotator(color=palette, text_scale=0.5, text_padding=4)
            if show_labels
            else None
        )
        self._traces = sv.TraceAnnotator(color=palette, thickness=2) if trace else None

    def annotate(self, scene: np.ndarray, detections: sv.Detections) -> np.ndarray:
        """Draw ``detections`` onto ``scene`` (HxWx3 BGR uint8) in place and return it; with
        a ``site``, its zones and lines and their counts on top."""
        if len(detections):
            self._draw_detections(scene, detections)
        if self._zones is not None:
            self._zones.annotate(scene, detections)
        return scene

    def _draw_detections(self, scene: np.ndarray, detections: sv.Detections) -> None:
        colors = color_indices(detections)
        if self._tables is not None and detections.mask is not None:
            blend_masks(scene, detections.mask, detections.xyxy, colors, self._tables)
        if self._traces is not None and detections.tracker_id is not None:
            self._traces.annotate(scene, detections, custom_color_lookup=colors)
        if self._boxes is not None:
            self._boxes.annotate(scene, detections, custom_color_lookup=colors)
        if self._labels is not None:
            labels = instance_labels(detections, self.names)
            self._labels.annotate(scene, detections, labels=labels, custom_color_lookup=colors)
