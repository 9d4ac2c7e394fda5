"""The synthetic evaluation: sequence generator, file format, our tracker's score on small cases.

IDF1 is recomputed here exactly as TrackEval's Identity metric defines it (IoU >= 0.5 pairs
counted per frame, one global optimal id matching), so the tests need no scoring package.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from rtseg.tracking import MotWriter, Tracker
from rtseg.tracking.costs import box_iou

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
ts = importlib.import_module("tracking_sequences")
eval_tracker = importlib.import_module("eval_tracker")


def idf1(gt: np.ndarray, tracked: np.ndarray) -> float:
    """IDF1 of MOT rows ``frame, id, x, y, w, h`` (TrackEval's Identity, threshold 0.5)."""
    gt_ids, gt_col = np.unique(gt[:, 1], return_inverse=True)
    tr_ids, tr_col = np.unique(tracked[:, 1], return_inverse=True)
    overlap = np.zeros((len(gt_ids), len(tr_ids)))
    for frame in np.unique(gt[:, 0]):
        g, t = gt[:, 0] == frame, tracked[:, 0] == frame
        xyxy = [
            np.hstack([rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6]]) for rows in (gt[g], tracked[t])
        ]
        rows, cols = np.nonzero(box_iou(*xyxy) >= 0.5)
        np.add.at(overlap, (gt_col[g][rows], tr_col[t][cols]), 1)
    r, c = linear_sum_assignment(overlap, maximize=True)
    return 2 * overlap[r, c].sum() / (len(gt) + len(tracked))


def track(sequence, **options) -> np.ndarray:
    tracker = Tracker(frame_rate=sequence.fps, **options)
    rows = []
    for frame in range(1, sequence.num_frames + 1):
        out = tracker.update(ts.to_detections(sequence, frame, options.get("use_mask_iou", False)))
        xywh = np.hstack([out.xyxy[:, :2], out.xyxy[:, 2:] - out.xyxy[:, :2]])
        rows += [[frame, i, *b] for i, b in zip(out.tracker_id, xywh, strict=True)]
    return np.array(rows, dtype=float).reshape(-1, 6)


def gt_rows(sequence) -> np.ndarray:
    xywh = np.hstack([sequence.gt_xyxy[:, :2], sequence.gt_xyxy[:, 2:] - sequence.gt_xyxy[:, :2]])
    return np.column_stack([sequence.gt_frame, sequence.gt_id, xywh]).astype(float)


def test_idf1_helper_on_known_cases():
    gt = np.array([[1, 1, 0, 0, 10, 10], [2, 1, 0, 0, 10, 10], [1, 2, 50, 0, 10, 10]], float)
    assert idf1(gt, gt) == 1.0
    split = gt.copy()
    split[1, 1] = 9  # the second frame of object 1 gets another id
    assert idf1(gt, split) == pytest.approx(2 * 2 / 6)


def test_generation_is_deterministic_and_round_trips(tmp_path):
    a = ts.generate("crossing", seed=3, num_frames=60)
    b = ts.generate("crossing", seed=3, num_frames=60)
    a.save(tmp_path / "a.npz")
    loaded = ts.Sequence.load(tmp_path / "a.npz")
    for name, value in vars(a).items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(value, getattr(b, name)), name
            assert np.array_equal(value, getattr(loaded, name)), name
    assert (loaded.width, loaded.height, loaded.num_frames) == (a.width, a.height, 60)
    assert not np.array_equal(a.det_xyxy, ts.generate("crossing", seed=4, num_frames=60).det_xyxy)


def test_detection_masks_sit_inside_their_boxes():
    sequence = ts.generate("occlusion", seed=0, num_frames=40)
    rows = sequence.frame_rows(30)
    masks = sequence.frame_masks(rows)
    assert masks.shape == (len(rows), sequence.height, sequence.width)
    for mask, (x1, y1, x2, y2) in zip(masks, sequence.det_xyxy[rows], strict=True):
        ys, xs = np.nonzero(mask)
        if len(xs):
            assert (
                xs.min() >= x1 - 1
                and xs.max() < x2 + 1
                and ys.min() >= y1 - 1
                and ys.max() < y2 + 1
            )


def test_every_scene_has_the_errors_it_promises():
    misses_fp = ts.generate("misses_fp", seed=0, num_frames=120)
    matched = [
        box_iou(
            misses_fp.gt_xyxy[misses_fp.gt_frame == f], misses_fp.det_xyxy[misses_fp.frame_rows(f)]
        )
        for f in range(1, 121)
    ]
    false_pos = sum(int((m.max(axis=0, initial=0) < 0.3).sum()) for m in matched)
    missed = sum(int((m.max(axis=1, initial=0) < 0.3).sum()) for m in matched)
    assert false_pos > 100 and missed > 100
    occlusion = ts.generate("occlusion", seed=0, num_frames=300)
    assert (occlusion.gt_visibility < 0.5).sum() > 50


def test_our_tracker_scores_high_on_easy_and_crossing_scenes():
    for name in ("speeds", "crossing"):
        sequence = ts.generate(name, seed=0, num_frames=150)
        assert idf1(gt_rows(sequence), track(sequence)) > 0.9, name


def test_mask_iou_variant_runs_on_generated_masks():
    sequence = ts.generate("crossing", seed=1, num_frames=80)
    assert idf1(gt_rows(sequence), track(sequence, use_mask_iou=True)) > 0.9


def test_eval_writes_gt_and_mot_files(tmp_path):
    (seq_dir,) = eval_tracker.write_sequences(tmp_path, ["speeds"], seed=0, num_frames=30)
    eval_tracker.run_ours(seq_dir, "rtseg", Tracker)
    gt = np.loadtxt(seq_dir / "gt.txt", delimiter=",", ndmin=2)
    ours = np.loadtxt(seq_dir / "rtseg.txt", delimiter=",", ndmin=2)
    assert gt.shape[1] == 9 and ours.shape[1] == 10 and len(ours) > 0
    assert idf1(gt[:, :6], ours[:, :6]) > 0.8


def test_table_and_verdict():
    scores = {
        "crossing": {
            "rtseg": {"HOTA": 0.9, "MOTA": 0.9, "IDF1": 0.95, "IDSW": 0},
            "sv-bytetrack": {"HOTA": 0.9, "MOTA": 0.8, "IDF1": 0.9, "IDSW": 1},
        }
    }
    assert "| crossing | rtseg | 90.0 | 90.0 | 95.0 | 0 |" in eval_tracker.markdown_table(scores)
    assert eval_tracker.verdict(scores, "rtseg") == []
    scores["crossing"]["rtseg"]["IDF1"] = 0.9
    assert len(eval_tracker.verdict(scores, "rtseg")) == 1


def test_mot_writer_output_is_what_the_scorer_reads(tmp_path):
    sequence = ts.generate("speeds", seed=0, num_frames=10)
    tracker = Tracker()
    with MotWriter(tmp_path / "x.txt") as writer:
        for frame in range(1, 11):
            writer.write(tracker.update(ts.to_detections(sequence, frame)), frame)
    rows = np.loadtxt(tmp_path / "x.txt", delimiter=",", ndmin=2)
    assert set(rows[:, 0]) <= set(range(1, 11)) and (rows[:, 7:] == -1).all()
