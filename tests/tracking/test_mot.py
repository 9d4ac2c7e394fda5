"""MOTChallenge text output."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv

from rtseg.tracking import MotWriter, mot_lines


def tracked() -> sv.Detections:
    out = sv.Detections(
        xyxy=np.array([[10.0, 20.0, 50.0, 100.0], [0.0, 0.0, 5.5, 5.0]]),
        confidence=np.array([0.9, 0.25]),
    )
    out.tracker_id = np.array([7, -1])
    return out


def test_lines_are_frame_id_xywh_conf_and_skip_untracked():
    assert mot_lines(tracked(), 3) == ["3,7,10.00,20.00,40.00,80.00,0.9000,-1,-1,-1"]


def test_no_tracker_ids_or_bad_frame():
    assert mot_lines(sv.Detections.empty(), 1) == []
    with pytest.raises(ValueError):
        mot_lines(tracked(), 0)


def test_writer_appends_frames(tmp_path):
    path = tmp_path / "run.txt"
    with MotWriter(path) as writer:
        writer.write(tracked(), 1)
        writer.write(sv.Detections.empty(), 2)
        writer.write(tracked(), 3)
    assert path.read_text().splitlines() == [
        "1,7,10.00,20.00,40.00,80.00,0.9000,-1,-1,-1",
        "3,7,10.00,20.00,40.00,80.00,0.9000,-1,-1,-1",
    ]
