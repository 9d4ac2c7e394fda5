"""Run a baseline tracker over generated sequences and write MOTChallenge results.

Runs in the baseline's own throwaway environment (see scripts/eval_tracker.py):

    /tmp/venv-svbt/bin/python scripts/run_baseline_tracker.py sv-bytetrack RUN_DIR
    /tmp/venv-trackers/bin/python scripts/run_baseline_tracker.py trackers-bytetrack RUN_DIR

Each baseline runs with its library defaults (only ``frame_rate`` set), on exactly the boxes,
scores and classes stored in RUN_DIR/<sequence>/sequence.npz, and writes
RUN_DIR/<sequence>/<name>.txt with rtseg's own MOT writer (loaded by path, so rtseg need not be
installed here).
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

from tracking_sequences import Sequence, to_detections

REPO = Path(__file__).resolve().parents[1]


def _load_mot_module():
    spec = importlib.util.spec_from_file_location(
        "rtseg_mot", REPO / "rtseg" / "tracking" / "mot.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_tracker(name: str, fps: float):
    """A fresh baseline tracker and the function that feeds it one frame of detections."""
    if name == "sv-bytetrack":
        import supervision as sv

        tracker = sv.ByteTrack(frame_rate=fps)
        return tracker.update_with_detections
    if name == "trackers-bytetrack":
        from trackers import ByteTrackTracker

        tracker = ByteTrackTracker(frame_rate=fps)
        return tracker.update
    raise SystemExit(f"unknown baseline {name!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tracker", choices=["sv-bytetrack", "trackers-bytetrack"])
    parser.add_argument("run_dir", type=Path)
    args = parser.parse_args()
    mot = _load_mot_module()
    for seq_path in sorted(args.run_dir.glob("*/sequence.npz")):
        sequence = Sequence.load(seq_path)
        update = make_tracker(args.tracker, sequence.fps)
        with mot.MotWriter(seq_path.parent / f"{args.tracker}.txt") as writer:
            for frame in range(1, sequence.num_frames + 1):
                writer.write(update(to_detections(sequence, frame)), frame)


if __name__ == "__main__":
    main()
