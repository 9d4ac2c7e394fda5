"""Letterbox geometry and resizing, matching Ultralytics' ``LetterBox`` exactly (parity matters)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PAD_VALUE = 114


@dataclass(frozen=True)
class Letterbox:
    """How a frame of ``frame_hw`` was scaled by ``gain`` and padded into ``input_hw``."""

    frame_hw: tuple[int, int]
    input_hw: tuple[int, int]
    resized_hw: tuple[int, int]
    gain: float
    pad_top: int
    pad_left: int


def letterbox_geometry(
    frame_hw: tuple[int, int], input_hw: tuple[int, int], stride: int | None = None
) -> Letterbox:
    """Plan the letterbox of a frame into the model input.

    With ``stride`` set (dynamic-shape models), the input is shrunk to the smallest multiple of
    ``stride`` that holds the resized frame, as Ultralytics does for ``rect`` inference.
    """
    height, width = frame_hw
    gain = min(input_hw[0] / height, input_hw[1] / width)
    resized_w, resized_h = max(round(width * gain), 1), max(round(height * gain), 1)
    pad_w, pad_h = input_hw[1] - resized_w, input_hw[0] - resized_h
    if stride:
        pad_w, pad_h = pad_w % stride, pad_h % stride
    half_w, half_h = pad_w / 2, pad_h / 2
    top, bottom = round(half_h - 0.1), round(half_h + 0.1)
    left, right = round(half_w - 0.1), round(half_w + 0.1)
    return Letterbox(
        frame_hw=(height, width),
        input_hw=(resized_h + top + bottom, resized_w + left + right),
        resized_hw=(resized_h, resized_w),
        gain=gain,
        pad_top=top,
        pad_left=left,
    )


def apply_letterbox(frame: np.ndarray, box: Letterbox) -> np.ndarray:
    """Resize and pad a BGR frame as planned by ``box``; returns an HxWx3 uint8 image."""
    resized_h, resized_w = box.resized_hw
    if frame.shape[:2] != box.resized_hw:
        frame = cv2.resize(frame, (resized_w, resized_h), interpolation=cv2.INTER_LINEAR)
    bottom = box.input_hw[0] - resized_h - box.pad_top
    right = box.input_hw[1] - resized_w - box.pad_left
    return cv2.copyMakeBorder(
        frame,
        box.pad_top,
        bottom,
        box.pad_left,
        right,
        cv2.BORDER_CONSTANT,
        value=(PAD_VALUE, PAD_VALUE, PAD_VALUE),
    )


def to_blob(images: list[np.ndarray], dtype: np.dtype) -> np.ndarray:
    """Stack letterboxed BGR images into an NCHW RGB blob scaled to [0, 1] in ``dtype``."""
    batch = np.stack(images)[..., ::-1].transpose(0, 3, 1, 2)
    blob = np.empty(batch.shape, dtype=np.float32)
    np.divide(batch, np.float32(255.0), out=blob, casting="unsafe")
    return blob if dtype == np.float32 else blob.astype(dtype)


def boxes_to_frame(boxes: np.ndarray, box: Letterbox) -> np.ndarray:
    """Map xyxy boxes from model-input pixels back to frame pixels, clipped to the frame.

    Like Ultralytics' ``scale_boxes``: per-axis gains of the rounded resized size, rounded padding.
    """
    height, width = box.frame_hw
    in_h, in_w = box.input_hw
    gain = min(in_h / height, in_w / width)
    new_h, new_w = max(round(height * gain), 1), max(round(width * gain), 1)
    pad_x = round((in_w - new_w) / 2 - 0.1)
    pad_y = round((in_h - new_h) / 2 - 0.1)
    offset = np.array([pad_x, pad_y, pad_x, pad_y], dtype=np.float32)
    scale = np.array([new_w / width, new_h / height] * 2, dtype=np.float32)
    out = (boxes - offset) / scale
    np.clip(out[:, 0::2], 0, width, out=out[:, 0::2])
    np.clip(out[:, 1::2], 0, height, out=out[:, 1::2])
    return out.astype(np.float32, copy=False)
