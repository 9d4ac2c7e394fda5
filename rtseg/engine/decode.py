"""Decode raw YOLO-seg head outputs into candidate detections (pure numpy).

Two head layouts exist in Ultralytics segmentation exports:
- ``anchors``: ``[4 + nc + nm, A]`` per image (cx, cy, w, h, class scores, mask coefficients),
  used by YOLOv8 / YOLO11; needs NMS.
- ``end2end``: ``[D, 6 + nm]`` per image (x1, y1, x2, y2, score, class, mask coefficients),
  used by YOLO26; NMS-free, thresholded only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_NMS_CANDIDATES = 30000


@dataclass(frozen=True)
class Candidates:
    """Detections of one image in model-input pixels, in the order the model ranks them."""

    xyxy: np.ndarray  # (N, 4) float32
    confidence: np.ndarray  # (N,) float32
    class_id: np.ndarray  # (N,) int64
    coefficients: np.ndarray  # (N, nm) float32

    def take(self, index: np.ndarray) -> Candidates:
        return Candidates(
            self.xyxy[index],
            self.confidence[index],
            self.class_id[index],
            self.coefficients[index],
        )


@dataclass(frozen=True)
class DecodeOptions:
    """Filtering options shared by both head layouts."""

    conf: float = 0.25
    iou: float = 0.7
    classes: tuple[int, ...] | None = None
    agnostic: bool = False
    max_det: int = 300


def box_iou_one_to_many(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one xyxy box against many (no +1 pixel convention, like torchvision)."""
    inter_w = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    inter_h = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = inter_w * inter_h
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, np.finfo(np.float32).eps)


def nms(xyxy: np.ndarray, class_id: np.ndarray, iou: float, max_det: int) -> np.ndarray:
    """Greedy NMS over boxes already sorted by descending score; boxes of different classes
    never suppress each other unless ``class_id`` is all zeros (agnostic).

    Returns the kept indices, at most ``max_det``, in score order.
    """
    order = np.arange(len(xyxy))
    keep: list[int] = []
    while order.size and len(keep) < max_det:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        overlap = box_iou_one_to_many(xyxy[best], xyxy[rest])
        order = rest[(overlap <= iou) | (class_id[rest] != class_id[best])]
    return np.asarray(keep, dtype=np.int64)


def _filter_classes(class_id: np.ndarray, classes: tuple[int, ...] | None) -> np.ndarray:
    if classes is None:
        return np.ones(class_id.shape, dtype=bool)
    return np.isin(class_id, np.asarray(classes))


def decode_anchors(pred: np.ndarray, num_classes: int, options: DecodeOptions) -> Candidates:
    """Decode one image's ``[4 + nc + nm, A]`` output: threshold, class filter, NMS, max_det."""
    scores = pred[4 : 4 + num_classes]
    best_class = scores.argmax(axis=0)
    best_score = np.take_along_axis(scores, best_class[None], axis=0)[0]
    keep = np.flatnonzero(best_score > options.conf)
    keep = keep[_filter_classes(best_class[keep], options.classes)]
    keep = keep[np.argsort(-best_score[keep], kind="stable")[:MAX_NMS_CANDIDATES]]
    rows = pred[:, keep].T.astype(np.float32, copy=False)
    centre, size = rows[:, 0:2], rows[:, 2:4]
    xyxy = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
    candidates = Candidates(
        xyxy=xyxy,
        confidence=best_score[keep].astype(np.float32, copy=False),
        class_id=best_class[keep].astype(np.int64),
        coefficients=rows[:, 4 + num_classes :],
    )
    group = np.zeros_like(candidates.class_id) if options.agnostic else candidates.class_id
    return candidates.take(nms(candidates.xyxy, group, options.iou, options.max_det))


def decode_end2end(pred: np.ndarray, options: DecodeOptions) -> Candidates:
    """Decode one image's ``[D, 6 + nm]`` NMS-free output: threshold, class filter, max_det."""
    pred = pred.astype(np.float32, copy=False)
    class_id = pred[:, 5].round().astype(np.int64)
    keep = np.flatnonzero((pred[:, 4] > options.conf) & _filter_classes(class_id, options.classes))
    keep = keep[: options.max_det]
    return Candidates(
        xyxy=pred[keep, 0:4],
        confidence=pred[keep, 4],
        class_id=class_id[keep],
        coefficients=pred[keep, 6:],
    )
