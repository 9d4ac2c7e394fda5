"""Compare rtseg's tracker with ByteTrack baselines on synthetic sequences (HOTA, MOTA, IDF1, IDsw).

1. Generate the seeded scenarios of scripts/tracking_sequences.py into RUN_DIR/<sequence>/.
2. Track them with rtseg (its defaults, boxes only and with mask IoU, and as ``rtseg run`` builds
   it at its default ``--conf``) in this environment.
3. Track the same detections with each baseline, in its own environment.
4. Score everything with TrackEval in its environment and print a markdown table.

Throwaway environments (not project dependencies)::

    python3 -m venv /tmp/venv-trackers && /tmp/venv-trackers/bin/pip install trackers
    python3 -m venv /tmp/venv-svbt && /tmp/venv-svbt/bin/pip install supervision==0.30.9
    python3 -m venv /tmp/venv-eval && /tmp/venv-eval/bin/pip install trackeval

    .venv/bin/python scripts/eval_tracker.py --out runs/tracker_eval
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

from tracking_sequences import SCENES, Sequence, generate, to_detections, write_gt

from rtseg.pipeline.stream_plan import ModelPlan
from rtseg.tracking import MotWriter, Tracker

SCRIPTS = Path(__file__).resolve().parent
OURS: dict[str, Callable[[float], Tracker]] = {  # name: tracker for a frame rate
    "rtseg": Tracker,
    "rtseg-mask": partial(Tracker, use_mask_iou=True),
    "rtseg-run": partial(Tracker.for_conf, ModelPlan().conf),  # `rtseg run`'s, default --conf
}
BASELINES = {
    "sv-bytetrack": "/tmp/venv-svbt/bin/python",
    "trackers-bytetrack": "/tmp/venv-trackers/bin/python",
}
METRICS = ("HOTA", "MOTA", "IDF1", "IDSW")
OCCLUSION_SCENES = ("crossing", "occlusion", "dense")


def write_sequences(out: Path, names: list[str], seed: int, num_frames: int) -> list[Path]:
    """Generate each scenario into ``out/<name>/`` (sequence.npz, gt.txt, seqinfo.json)."""
    dirs = []
    for name in names:
        seq_dir = out / name
        seq_dir.mkdir(parents=True, exist_ok=True)
        sequence = generate(name, seed=seed, num_frames=num_frames)
        sequence.save(seq_dir / "sequence.npz")
        write_gt(sequence, seq_dir / "gt.txt")
        info = {"num_frames": sequence.num_frames, "fps": sequence.fps, "seed": seed}
        (seq_dir / "seqinfo.json").write_text(json.dumps(info))
        dirs.append(seq_dir)
    return dirs


def run_ours(seq_dir: Path, name: str, make_tracker: Callable[[float], Tracker]) -> None:
    """Track ``seq_dir``'s detections with ``make_tracker(fps)`` and write ``<name>.txt``."""
    sequence = Sequence.load(seq_dir / "sequence.npz")
    tracker = make_tracker(sequence.fps)
    with_masks = tracker.use_mask_iou
    with MotWriter(seq_dir / f"{name}.txt") as writer:
        for frame in range(1, sequence.num_frames + 1):
            writer.write(tracker.update(to_detections(sequence, frame, with_masks)), frame)


def run_python(python: str, *args: str) -> bool:
    """Run one of our scripts with another environment's python; False (with a note) if absent."""
    if not Path(python).exists():
        print(f"skipped: {python} not found (see this script's docstring)", file=sys.stderr)
        return False
    subprocess.run([python, str(SCRIPTS / args[0]), *args[1:]], check=True)
    return True


def markdown_table(scores: dict) -> str:
    """Sequence x tracker rows of the main metrics."""
    lines = [
        "| sequence | tracker | " + " | ".join(METRICS) + " |",
        "|---|---|" + "---:|" * len(METRICS),
    ]
    for sequence, trackers in scores.items():
        for tracker, s in trackers.items():
            cells = [f"{100 * s[m]:.1f}" for m in METRICS[:3]] + [str(s["IDSW"])]
            lines.append(f"| {sequence} | {tracker} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdict(scores: dict, ours: str) -> list[str]:
    """Where ``ours`` falls short of the best baseline (empty list: it never does)."""
    problems = []
    for sequence, trackers in scores.items():
        baselines = [trackers[b] for b in BASELINES if b in trackers]
        if not baselines or ours not in trackers:
            continue
        mine = trackers[ours]
        for metric in ("HOTA", "MOTA", "IDF1"):
            best = max(b[metric] for b in baselines)
            if mine[metric] < best - 1e-9:
                problems.append(
                    f"{sequence}: {ours} {metric} {mine[metric]:.3f} < best baseline {best:.3f}"
                )
        if mine["IDSW"] > min(b["IDSW"] for b in baselines):
            problems.append(f"{sequence}: {ours} has more ID switches than the best baseline")
        if sequence in OCCLUSION_SCENES and mine["IDF1"] <= max(b["IDF1"] for b in baselines):
            problems.append(f"{sequence}: {ours} IDF1 not above the best baseline")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/tracker_eval"))
    parser.add_argument("--scenes", nargs="+", default=list(SCENES), choices=list(SCENES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--eval-python", default="/tmp/venv-eval/bin/python")
    for name, python in BASELINES.items():
        parser.add_argument(f"--{name}-python", default=python, help=f"python of the {name} venv")
    args = parser.parse_args()

    seq_dirs = write_sequences(args.out, args.scenes, args.seed, args.frames)
    for seq_dir in seq_dirs:
        for name, make_tracker in OURS.items():
            run_ours(seq_dir, name, make_tracker)
    for name in BASELINES:
        run_python(
            getattr(args, f"{name.replace('-', '_')}_python"),
            "run_baseline_tracker.py",
            name,
            str(args.out),
        )
    if not run_python(args.eval_python, "score_mot.py", str(args.out)):
        return
    scores = json.loads((args.out / "scores.json").read_text())
    print(markdown_table(scores))
    for ours in OURS:
        problems = verdict(scores, ours)
        print(
            f"\n{ours}: "
            + ("meets the bar on every sequence" if not problems else "; ".join(problems))
        )


if __name__ == "__main__":
    main()
