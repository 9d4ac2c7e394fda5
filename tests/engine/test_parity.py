"""Parity of rtseg's Segmenter with Ultralytics' own predict on the same ONNX files.

The goldens in ``golden/`` were made once by ``scripts/make_golden.py`` in a throwaway venv
(Ultralytics ``predict(imgsz=320, conf=0.25, iou=0.7, retina_masks=True)``), so Ultralytics is
never imported here. Acceptance bar per model, pooled over every ../shared still and every frame
of the highway clip: detections matched one-to-one (same class, box IoU >= 0.9, optimal
assignment) for >= 95% of Ultralytics' detections and >= 95% of ours, and a median mask IoU of
matched pairs >= 0.95.

The float model's onnxruntime run is made once per session (``fp32_on_cpu``, conftest.py) and
kept (:class:`StoredRun`): the OpenVINO agreement tests hold other models to it as well.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import lap
import numpy as np
import supervision as sv
from pycocotools import mask as mask_utils

from rtseg import Segmenter
from tests.conftest import SHARED, require_shared

GOLDEN_DIR = Path(__file__).parent / "golden"
BOX_IOU_GATE = 0.9
MIN_MATCHED_FRACTION = 0.95
MIN_MEDIAN_MASK_IOU = 0.95
MAX_REPORTED_SOURCES = 20


@dataclass
class SourceScore:
    """Match outcome for one still or clip frame."""

    name: str
    n_golden: int
    n_ours: int
    mask_ious: list[float]
    same_input: bool

    @property
    def clean(self) -> bool:
        """True when every detection on both sides matched, each mask IoU at the median bar."""
        n_matched = len(self.mask_ious)
        return (
            n_matched == self.n_golden == self.n_ours
            and min(self.mask_ious, default=1.0) >= MIN_MEDIAN_MASK_IOU
        )

    @property
    def severity(self) -> tuple[int, float]:
        """Sort key, worst first: most unmatched detections, then the lowest mask IoU."""
        unmatched = self.n_golden + self.n_ours - 2 * len(self.mask_ious)
        return -unmatched, min(self.mask_ious, default=1.0)

    def describe(self) -> str:
        """One line for the assertion message."""
        worst = min(self.mask_ious, default=float("nan"))
        note = "" if self.same_input else " [decoded input differs from golden's]"
        return (
            f"{self.name}: golden={self.n_golden} ours={self.n_ours} "
            f"matched={len(self.mask_ious)} worst_mask_iou={worst:.3f}{note}"
        )


def load_golden(path: Path) -> dict[str, Any]:
    """Read one gzip-compressed JSON golden."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def frame_digest(frame: np.ndarray) -> str:
    """Short SHA-1 of a BGR frame's pixels (same definition as scripts/make_golden.py)."""
    return hashlib.sha1(np.ascontiguousarray(frame).tobytes()).hexdigest()[:16]


def iter_frames(header: dict[str, Any], clip: Path) -> Iterator[tuple[str, np.ndarray]]:
    """Yield (source name, BGR frame) exactly as the golden script decoded them."""
    clip_name = header["clip"]["name"]
    for name in header["media"]:
        if name == clip_name:
            continue
        frame = cv2.imread(str(require_shared(SHARED / "media" / name)), cv2.IMREAD_COLOR)
        assert frame is not None, f"cannot read {name}"
        yield name, frame
    cap = cv2.VideoCapture(str(clip))
    assert cap.isOpened(), f"cannot open {clip}"
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        yield f"{clip_name}#{index:03d}", frame
        index += 1
    cap.release()
    expected = header["clip"]["frames"]
    assert index == expected, f"decoded {index} clip frames, the golden has {expected}"


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of xyxy boxes: (N, 4) x (M, 4) -> (N, M)."""
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(br - tl, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def match(
    boxes_a: np.ndarray, classes_a: np.ndarray, boxes_b: np.ndarray, classes_b: np.ndarray
) -> list[tuple[int, int]]:
    """Optimal one-to-one pairs with the same class and box IoU >= BOX_IOU_GATE."""
    if len(boxes_a) == 0 or len(boxes_b) == 0:
        return []
    iou = box_iou(boxes_a, boxes_b)
    allowed = (classes_a[:, None] == classes_b[None, :]) & (iou >= BOX_IOU_GATE)
    cost = np.where(allowed, 1.0 - iou, 1.0)
    _, rows_to_cols, _ = lap.lapjv(cost, extend_cost=True, cost_limit=1.0 - BOX_IOU_GATE + 1e-6)
    return [(i, int(j)) for i, j in enumerate(rows_to_cols) if j >= 0 and allowed[i, j]]


def mask_iou(golden_rle: dict[str, Any], ours: np.ndarray) -> float:
    """IoU of a golden COCO RLE mask and one of our boolean masks, computed on RLEs."""
    our_rle = mask_utils.encode(np.asfortranarray(ours, dtype=np.uint8))
    if mask_utils.area(our_rle) == 0 and mask_utils.area(golden_rle) == 0:
        return 1.0
    return float(mask_utils.iou([our_rle], [golden_rle], [0])[0, 0])


def score_source(
    name: str, golden: dict[str, Any], dets: sv.Detections, digest: str
) -> SourceScore:
    """Match one source's detections against its golden record."""
    size = [golden["height"], golden["width"]]
    gold_boxes = np.asarray(golden["xyxy"], dtype=np.float64).reshape(-1, 4)
    gold_classes = np.asarray(golden["class_id"], dtype=np.int64)
    our_classes = np.asarray(dets.class_id, dtype=np.int64).reshape(-1)
    pairs = match(gold_boxes, gold_classes, np.asarray(dets.xyxy, dtype=np.float64), our_classes)
    if pairs:
        assert dets.mask is not None, f"{name}: detections carry no masks"
        assert dets.mask.shape[1:] == tuple(size), f"{name}: mask {dets.mask.shape[1:]} != {size}"
    ious = [mask_iou({"size": size, "counts": golden["masks"][g]}, dets.mask[o]) for g, o in pairs]
    return SourceScore(name, len(gold_boxes), len(dets), ious, digest == golden["digest"])


def summarize(model: str, scores: list[SourceScore]) -> tuple[float, float, float, str]:
    """Pooled matched fractions, median mask IoU and a readable report."""
    n_golden = sum(s.n_golden for s in scores)
    n_ours = sum(s.n_ours for s in scores)
    ious = [iou for s in scores for iou in s.mask_ious]
    golden_frac = len(ious) / max(n_golden, 1)
    ours_frac = len(ious) / max(n_ours, 1)
    median = float(np.median(ious)) if ious else 0.0
    failing = [s for s in scores if not s.clean]
    failing.sort(key=lambda s: s.severity)
    lines = [
        f"{model}: golden={n_golden} ours={n_ours} matched={len(ious)} "
        f"({golden_frac:.3f} of golden, {ours_frac:.3f} of ours), median mask IoU={median:.4f}",
        f"{len(failing)}/{len(scores)} sources not clean{' (worst first)' if failing else ''}:",
        *(s.describe() for s in failing[:MAX_REPORTED_SOURCES]),
    ]
    if len(failing) > MAX_REPORTED_SOURCES:
        lines.append(f"... and {len(failing) - MAX_REPORTED_SOURCES} more")
    return golden_frac, ours_frac, median, "\n".join(lines)


@dataclass(frozen=True)
class StoredResult:
    """One still or clip frame's detections, kept for reuse as the model gave them (masks as
    box crops: a few KB a frame)."""

    name: str
    digest: str
    detections: sv.Detections


@dataclass(frozen=True)
class StoredRun:
    """One model's detections on every shared still and clip frame, in the goldens' order."""

    model: Path
    clip: Path
    header: dict[str, Any]
    results: tuple[StoredResult, ...]

    def frames(self) -> Iterator[tuple[StoredResult, np.ndarray]]:
        """Each stored result with the frame it was computed on, decoded again."""
        frames = iter_frames(self.header, self.clip)
        for result, (name, frame) in zip(self.results, frames, strict=True):
            assert name == result.name
            yield result, frame


def golden_segmenter(model_path: Path, **engine: Any) -> Segmenter:
    """``model_path`` with the goldens' confidence and IoU thresholds (also rtseg's defaults)."""
    return Segmenter(model_path, conf=0.25, iou=0.7, **engine)


def store_run(model_path: Path, clip: Path, **engine: Any) -> StoredRun:
    """Run ``model_path`` (on the engine ``engine`` selects) on every shared still and clip
    frame and keep its detections."""
    header = load_golden(GOLDEN_DIR / f"{model_path.stem}.json.gz")["header"]
    segmenter = golden_segmenter(model_path, **engine)
    results = tuple(
        StoredResult(name, frame_digest(frame), segmenter(frame))
        for name, frame in iter_frames(header, clip)
    )
    return StoredRun(model_path, clip, header, results)


def assert_matches_golden(
    model_path: Path, golden: dict[str, Any], results: Iterable[tuple[str, sv.Detections, str]]
) -> None:
    """``results`` (name, detections, frame digest) of every shared still and clip frame match
    Ultralytics' ``golden`` detections and masks of ``model_path`` (consumed after the model
    file is checked against the golden's)."""
    digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
    assert digest == golden["header"]["model"]["sha256"], "model file changed; regenerate goldens"
    scores = [
        score_source(name, golden["sources"][name], dets, frame) for name, dets, frame in results
    ]
    assert len(scores) == len(golden["sources"]), "sources decoded differ from the golden's"
    golden_frac, ours_frac, median, report = summarize(model_path.name, scores)
    print(report)
    assert golden_frac >= MIN_MATCHED_FRACTION, report
    assert ours_frac >= MIN_MATCHED_FRACTION, report
    assert median >= MIN_MEDIAN_MASK_IOU, report


def assert_parity(model_path: Path, clip: Path, **engine: Any) -> None:
    """Every shared still and clip frame matches Ultralytics' golden detections and masks when
    ``model_path`` runs on the engine that ``engine`` (Segmenter keywords) selects."""
    golden = load_golden(GOLDEN_DIR / f"{model_path.stem}.json.gz")
    segmenter = golden_segmenter(model_path, **engine)
    frames = iter_frames(golden["header"], clip)
    assert_matches_golden(
        model_path,
        golden,
        ((name, segmenter(frame), frame_digest(frame)) for name, frame in frames),
    )


def test_parity_with_ultralytics_fp32(fp32_on_cpu: StoredRun) -> None:
    """Every shared still and clip frame matches Ultralytics' golden detections and masks: the
    float model on onnxruntime, run once for this and the agreement tests (fp32_on_cpu)."""
    assert_matches_golden(
        fp32_on_cpu.model,
        load_golden(GOLDEN_DIR / f"{fp32_on_cpu.model.stem}.json.gz"),
        ((result.name, result.detections, result.digest) for result in fp32_on_cpu.results),
    )


def test_parity_with_ultralytics_int8(int8_model: Path, highway_clip: Path) -> None:
    """The same for the shared onnxruntime dynamic-INT8 export."""
    assert_parity(int8_model, highway_clip, device="cpu")
