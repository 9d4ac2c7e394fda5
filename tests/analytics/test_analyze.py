"""rtseg analyze replays a --jsonl run (masks, ids) through the same analytics, and site
files are checked with one-line errors naming the file and key."""

from __future__ import annotations

import json

import numpy as np
import pytest
import supervision as sv
import yaml

from rtseg.analytics import Analytics, load_site, parse_site
from rtseg.cli import main
from rtseg.errors import RtsegError
from rtseg.sinks import JsonlSink
from tests.analytics.helpers import HEIGHT, WIDTH, frame

SITE = """
lines:
  - name: gate
    points: [[0.1, 0.5], [0.9, 0.5]]   # fractions of the frame
    in_side: [0.5, 0.9]
zones:
  - name: pen
    polygon: [[100, 220], [500, 220], [500, 340], [100, 340]]
    mode: overlap
    min_overlap: 0.5
"""


def blob(x: float, y: float) -> np.ndarray:
    """A frame-size mask: a 30 x 50 blob whose lowest row ends at ``y``."""
    mask = np.zeros((HEIGHT, WIDTH), dtype=bool)
    mask[int(y) - 50 : int(y), int(x) - 15 : int(x) + 15] = True
    return mask


def recorded_run(path) -> list[sv.Detections]:
    """Two tracks walking down across the gate into the pen, written as rtseg run would."""
    sink = JsonlSink(path, names={0: "person"})
    steps = []
    for index in range(12):
        feet = [(200, 120 + 20 * index), (400, 100 + 20 * index)]
        masks = np.stack([blob(x, y) for x, y in feet])
        detections = sv.Detections(
            xyxy=sv.mask_to_xyxy(masks).astype(np.float32),
            mask=sv.CompactMask.from_dense(masks, sv.mask_to_xyxy(masks), (HEIGHT, WIDTH)),
            confidence=np.array([0.9, 0.8], dtype=np.float32),
            class_id=np.array([0, 0]),
            tracker_id=np.array([1, 2]),
        )
        sink.write(frame(index), None, detections)
        steps.append(detections)
    sink.close()
    return steps


def test_analyze_counts_a_recorded_run_like_the_live_analytics(tmp_path, capsys) -> None:
    run_file, site_file, events_file = (
        tmp_path / n for n in ("run.jsonl", "site.yaml", "ev.jsonl")
    )
    steps = recorded_run(run_file)
    site_file.write_text(SITE)
    live = Analytics(load_site(site_file), names={0: "person"})
    expected = [
        e.to_dict()
        for i, d in enumerate(steps)
        for e in live.update(frame(i), d).metadata["analytics"].events
    ]

    assert (
        main(
            [
                "analyze",
                "--jsonl",
                str(run_file),
                "--analytics",
                str(site_file),
                "--events",
                str(events_file),
            ]
        )
        == 0
    )
    written = [json.loads(line) for line in events_file.read_text().splitlines()]
    assert written == expected
    assert [e["event"] for e in written].count("line_cross") == 2
    assert [e["event"] for e in written].count("zone_enter") == 2
    out = capsys.readouterr().out
    assert "line gate: in 2, out 0" in out and "zone pen: 2 inside now" in out


def test_analyze_names_the_stream_of_a_one_stream_run(tmp_path, capsys) -> None:
    run_file, site_file, events_file = (
        tmp_path / n for n in ("run.jsonl", "site.yaml", "ev.jsonl")
    )
    recorded_run(run_file)
    site_file.write_text(SITE)
    flags = ["--jsonl", run_file, "--analytics", site_file, "--events", events_file]
    assert main(["analyze", *map(str, flags), "--stream", "cam"]) == 0
    written = [json.loads(line) for line in events_file.read_text().splitlines()]
    assert written and {e["stream"] for e in written} == {"cam"}
    assert "cam: line gate: in 2, out 0" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("lines: [{name: a, points: [[0, 0], [5, 5]]}]", "lines[0].in_side"),
        ("lines: [{name: a, points: [[0, 0]], in_side: [1, 1]}]", "lines[0].points"),
        ("zones: [{name: z, polygon: [[0, 0], [9, 0], [9, 9]], mode: middle}]", "zones[0].mode"),
        ("zones: [{name: z, polygon: [[0, 0], [9, 0]]}]", "zones[0].polygon"),
        ("zones: [{name: z, polygon: [[0, 0], [9, 0], [9, 9]], loiter: 3}]", "zones[0].loiter"),
        ("zones: [{name: z, polygon: [[0, 0], [9, 0], [9, 9]], classes: [person]}]", "classes"),
        ("areas: []", "areas"),
        ("lines: [{name: a, points: [[0, 0], [9, 9]], in_side: [5, 5]}]", "in_side lies on"),
        ("lines: [oops", "not valid YAML"),
    ],
)
def test_bad_site_files_are_one_line_errors_naming_the_key(tmp_path, capsys, text, key) -> None:
    site_file = tmp_path / "site.yaml"
    site_file.write_text(text)
    with pytest.raises(RtsegError, match=f"site.yaml.*{key.replace('[', '.').replace(']', '.')}"):
        load_site(site_file)
    code = main(["analyze", "--jsonl", str(tmp_path / "none.jsonl"), "--analytics", str(site_file)])
    (line,) = capsys.readouterr().err.splitlines()
    assert code == 2 and line.startswith("rtseg: error: ") and str(site_file) in line


def test_fractions_resolve_to_the_frame_size() -> None:
    text = "lines: [{name: a, points: [[0, 0.5], [1, 0.5]], in_side: [0.5, 1]}]"
    site_spec = parse_site(yaml.safe_load(text))
    (line,) = site_spec.resolve(1920, 1080).lines
    assert line.points.tolist() == [[0, 540], [1920, 540]] and line.in_side.tolist() == [960, 1080]
