"""A run that fails part-way keeps what it produced: every frame read reaches every working
sink, the files are complete and readable, and the failure is one line (never a crash)."""

from __future__ import annotations

import json

import av
import pytest

from rtseg.annotate import FrameAnnotator
from rtseg.pipeline import StageError
from rtseg.pipeline.plan import load_segmenter
from rtseg.sinks import JsonlSink, MotSink, VideoSink
from rtseg.sources import Frame, FrameSource, open_source
from rtseg.tracking import Tracker
from tests.pipeline.fakes import one_stream, run_one
from tests.test_cli import rtseg, run_args

FAIL_AT = 120


class FailingCamera(FrameSource):
    """The real clip, whose read number ``fail_at`` raises like a capture driver that dies."""

    is_live = False

    def __init__(self, inner: FrameSource, fail_at: int) -> None:
        self.name, self.fps, self.size = inner.name, inner.fps, inner.size
        self._inner, self._left = inner, fail_at

    def read(self) -> Frame | None:
        if self._left == 0:
            raise OSError("capture device went away")
        self._left -= 1
        return self._inner.read()

    def close(self) -> None:
        self._inner.close()


def jsonl_frames(path) -> list[int]:
    return [json.loads(line)["frame"] for line in path.read_text().splitlines()]


def mot_frames(path) -> set[int]:
    return {int(line.split(",")[0]) - 1 for line in path.read_text().splitlines()}


def test_a_capture_failure_writes_every_frame_read_to_every_sink(
    tmp_path, fp32_model, highway_clip
):
    """The model is slower than reading, so frames queue up before the failure: all of them
    reach the video, JSON Lines and MOT outputs before the error is raised."""
    segmenter, workers = load_segmenter(fp32_model, live=False, device="cpu")
    source = FailingCamera(open_source(highway_clip), FAIL_AT)
    video, jsonl, mot = tmp_path / "out.mp4", tmp_path / "out.jsonl", tmp_path / "out.txt"
    sinks = [VideoSink(video, source.fps), JsonlSink(jsonl, segmenter.names), MotSink(mot)]
    pipeline = one_stream(
        source,
        segmenter,
        Tracker(frame_rate=source.fps),
        sinks,
        FrameAnnotator(segmenter.names),
        infer_workers=workers,
    )
    with pytest.raises(StageError, match="capture failed: OSError: capture device went away"):
        run_one(pipeline)
    with av.open(str(video)) as container:
        assert sum(1 for _ in container.decode(video=0)) == FAIL_AT
    assert jsonl_frames(jsonl) == list(range(FAIL_AT))
    assert mot_frames(mot) and mot_frames(mot) <= set(range(FAIL_AT))
    assert max(mot_frames(mot)) >= FAIL_AT - 5  # tracks run up to the failure


def test_a_full_disk_for_the_video_ends_in_one_line_and_keeps_the_other_outputs(
    tmp_path, fp32_model, highway_clip
):
    """--output on a disk that fills (/dev/full): exit 1 with one error line; the JSON Lines
    and MOT files hold every frame read, in order, and are complete."""
    video, jsonl, mot = tmp_path / "out.mp4", tmp_path / "out.jsonl", tmp_path / "out.txt"
    video.symlink_to("/dev/full")
    done = rtseg(
        *run_args(highway_clip, fp32_model),
        *("--output", video, "--jsonl", jsonl, "--mot", mot),
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if "rtseg: error:" in line]
    assert errors == [
        f"rtseg: error: render failed: OSError: [Errno 28] No space left on device: '{video}'"
    ], done.stderr
    assert "Traceback" not in done.stderr
    frames = jsonl_frames(jsonl)
    # Reading stops at the failure; the frames already read (as many as the queues hold:
    # 8 with one waiting per queue, 13 with four) are all written, in order.
    assert len(frames) >= 5 and frames == list(range(len(frames)))
    assert mot_frames(mot) <= set(frames)
