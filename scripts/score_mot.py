"""Score MOTChallenge tracker files against ground truth with TrackEval (HOTA, CLEAR, Identity).

Runs in a throwaway environment that has ``trackeval`` (see scripts/eval_tracker.py):

    python scripts/score_mot.py RUN_DIR          # RUN_DIR/<sequence>/{gt.txt, <tracker>.txt}

Writes RUN_DIR/scores.json: {sequence: {tracker: {HOTA, MOTA, IDF1, IDSW, ...}}}. Boxes are
matched by IoU exactly as TrackEval's MOTChallenge 2D-box dataset does (no distractor classes).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from trackeval.metrics import CLEAR, HOTA, Identity


def read_mot(path: Path) -> np.ndarray:
    """(N, 6) rows ``frame, id, x, y, w, h`` of a MOTChallenge file (empty file -> no rows)."""
    if path.stat().st_size == 0:
        return np.zeros((0, 6))
    return np.loadtxt(path, delimiter=",", ndmin=2)[:, :6]


def box_iou_xywh(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix of (N, 4) and (M, 4) ``x, y, w, h`` boxes."""
    a_xyxy = np.hstack([a[:, :2], a[:, :2] + a[:, 2:]])
    b_xyxy = np.hstack([b[:, :2], b[:, :2] + b[:, 2:]])
    lt = np.maximum(a_xyxy[:, None, :2], b_xyxy[None, :, :2])
    rb = np.minimum(a_xyxy[:, None, 2:], b_xyxy[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def trackeval_data(gt: np.ndarray, tracked: np.ndarray, num_frames: int) -> dict:
    """The per-sequence dict TrackEval metrics consume (ids relabelled to 0..n-1)."""
    gt_ids, gt_labels = np.unique(gt[:, 1], return_inverse=True)
    tr_ids, tr_labels = np.unique(tracked[:, 1], return_inverse=True)
    data = {"gt_ids": [], "tracker_ids": [], "similarity_scores": []}
    for frame in range(1, num_frames + 1):
        g = gt[:, 0] == frame
        t = tracked[:, 0] == frame
        if len(np.unique(tr_labels[t])) != int(t.sum()):
            raise ValueError(f"frame {frame}: a tracker id appears twice")
        data["gt_ids"].append(gt_labels[g].astype(int))
        data["tracker_ids"].append(tr_labels[t].astype(int))
        data["similarity_scores"].append(box_iou_xywh(gt[g, 2:6], tracked[t, 2:6]))
    data.update(
        num_timesteps=num_frames,
        num_gt_ids=len(gt_ids),
        num_tracker_ids=len(tr_ids),
        num_gt_dets=len(gt),
        num_tracker_dets=len(tracked),
    )
    return data


def score(gt: np.ndarray, tracked: np.ndarray, num_frames: int) -> dict[str, float]:
    """HOTA/DetA/AssA, MOTA, IDF1, ID switches and friends for one tracker on one sequence."""
    data = trackeval_data(gt, tracked, num_frames)
    quiet = {"PRINT_CONFIG": False}
    hota = HOTA(quiet).eval_sequence(data)
    clear = CLEAR(quiet).eval_sequence(data)
    identity = Identity(quiet).eval_sequence(data)
    return {
        "HOTA": float(np.mean(hota["HOTA"])),
        "DetA": float(np.mean(hota["DetA"])),
        "AssA": float(np.mean(hota["AssA"])),
        "MOTA": float(clear["MOTA"]),
        "IDF1": float(identity["IDF1"]),
        "IDSW": int(clear["IDSW"]),
        "FP": int(clear["CLR_FP"]),
        "FN": int(clear["CLR_FN"]),
        "IDs": len(np.unique(tracked[:, 1])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    for seq_dir in sorted(p for p in args.run_dir.iterdir() if (p / "gt.txt").exists()):
        num_frames = int(json.loads((seq_dir / "seqinfo.json").read_text())["num_frames"])
        gt = read_mot(seq_dir / "gt.txt")
        results[seq_dir.name] = {
            path.stem: score(gt, read_mot(path), num_frames)
            for path in sorted(seq_dir.glob("*.txt"))
            if path.name != "gt.txt"
        }
    (args.run_dir / "scores.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
