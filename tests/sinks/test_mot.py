"""MotSink: MOTChallenge lines keyed by the 1-based source frame number."""

from __future__ import annotations

import numpy as np
import supervision as sv

from rtseg.sinks import MotSink
from rtseg.sources import Frame


def test_lines_use_one_based_source_frames_and_skip_untracked(tmp_path):
    tracked = sv.Detections(
        xyxy=np.array([[10, 20, 40, 80], [0.5, 1.25, 3, 4]], dtype=np.float32),
        confidence=np.array([0.9, 0.45678], dtype=np.float32),
        class_id=np.array([0, 2]),
        tracker_id=np.array([1, 7]),
    )
    untracked = sv.Detections(
        xyxy=np.array([[1, 1, 2, 2]], dtype=np.float32),
        confidence=np.array([0.8], dtype=np.float32),
        class_id=np.array([0]),
    )
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    path = tmp_path / "mot.txt"
    sink = MotSink(path)
    sink.write(Frame(0, image, 0.0, 0.0), None, tracked)
    sink.write(Frame(2, image, 80.0, 0.0), None, untracked)
    sink.write(Frame(4, image, 160.0, 0.0), None, tracked[:1])
    sink.close()
    assert path.read_text().splitlines() == [
        "1,1,10.00,20.00,30.00,60.00,0.9000,-1,-1,-1",
        "1,7,0.50,1.25,2.50,2.75,0.4568,-1,-1,-1",
        "5,1,10.00,20.00,30.00,60.00,0.9000,-1,-1,-1",
    ]
