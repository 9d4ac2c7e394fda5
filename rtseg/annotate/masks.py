"""Translucent instance masks, blended only inside each instance's box.

A full-frame blend per instance costs O(instances x frame); blending the box crop each mask is
kept as costs O(box area). Each palette color has a precomputed per-channel lookup table
``v -> v * (1 - opacity) + color * opacity``, so a blend is one ``cv2.LUT`` over the box and one
masked copy back, with no float arithmetic per pixel.
"""

from __future__ import annotations

import cv2
import numpy as np
import supervision as sv
from supervision.detection.compact_mask import CompactMask

from rtseg.masks import box_crops


def blend_tables(palette: sv.ColorPalette, opacity: float) -> np.ndarray:
    """(colors, 1, 256, 3) uint8 tables blending each BGR palette color in at ``opacity``."""
    colors = np.array([color.as_bgr() for color in palette.colors], dtype=np.float64)
    levels = np.arange(256, dtype=np.float64)[None, :, None]
    tables = levels * (1.0 - opacity) + colors[:, None, :] * opacity
    return np.rint(tables).astype(np.uint8)[:, None]


def pixel_boxes(xyxy: np.ndarray, width: int, height: int) -> np.ndarray:
    """(N, 4) int boxes covering every pixel a float box touches, clipped to the frame."""
    boxes = np.empty((len(xyxy), 4), dtype=np.int64)
    boxes[:, :2] = np.floor(xyxy[:, :2])
    boxes[:, 2:] = np.ceil(xyxy[:, 2:])
    np.clip(boxes[:, 0::2], 0, width, out=boxes[:, 0::2])
    np.clip(boxes[:, 1::2], 0, height, out=boxes[:, 1::2])
    return boxes


def blend_masks(
    scene: np.ndarray,
    masks: np.ndarray | CompactMask,
    xyxy: np.ndarray,
    color_index: np.ndarray,
    tables: np.ndarray,
) -> np.ndarray:
    """Tint ``scene`` (HxWx3 uint8, in place) where each mask is set, reading only its box crop.

    Mask pixels outside an instance's box are not drawn (engine masks are crops of their
    boxes; dense (N, H, W) masks are cut to them). Larger boxes are drawn first so small
    instances stay visible on top. ``color_index`` picks each instance's table (modulo palette).
    """
    boxes = pixel_boxes(xyxy, scene.shape[1], scene.shape[0])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    crops = list(box_crops(masks, xyxy))
    for i in np.argsort(-areas, kind="stable"):
        crop, x, y = crops[i]
        region = scene[y : y + crop.shape[0], x : x + crop.shape[1]]
        tinted = cv2.LUT(region, tables[color_index[i] % len(tables)])
        np.copyto(region, tinted, where=crop[..., None])
    return scene
