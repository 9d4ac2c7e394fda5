"""``rtseg run`` on the recordings users bring: every frame of an AVI without timestamps, a phone
video with rotation, and the shared overhead clip (an AVI's H.264 copied into MP4) is processed
with FFmpeg's numbering, upright, with a one-time note and no warning."""

from __future__ import annotations

import math
import re

import pytest

from tests.conftest import SHARED, require_shared
from tests.test_cli import read_jsonl, rtseg, run_args
from tests.test_cli_damaged import stderr_lines, undecodable, warnings
from tests.zoo import make, probe

STRIDE = 5  # the overhead clip: every frame decoded, every fifth one through the model


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("h264.avi", "timestamps out of presentation order"),
        ("rotated-90.mp4", "display rotation 90°"),
    ],
)
def test_every_frame_upright_with_one_note(tmp_path, fp32_model, short_clip, name, note):
    clip = make(name, short_clip, tmp_path)
    reference = probe(clip)
    outputs = ("--jsonl", tmp_path / "out.jsonl", "--mot", tmp_path / "out.txt")
    done = rtseg(*run_args(clip.name, fp32_model), *outputs, "--output", "out.mp4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    records = read_jsonl(tmp_path / "out.jsonl")  # masks sized as the frames
    assert [record["frame"] for record in records] == list(range(reference["frames"]))
    assert {(record["width"], record["height"]) for record in records} == {reference["size"]}
    times = [record["time_ms"] for record in records]
    assert times == sorted(set(times))
    assert warnings(done.stderr) == [] and undecodable(done.stderr) == 0
    notes = [line for line in stderr_lines(done.stderr) if note in line]
    assert len(notes) == 1 and notes[0].startswith(f"rtseg: info: {clip.name} (")
    written = probe(tmp_path / "out.mp4")
    assert (written["frames"], written["size"]) == (reference["frames"], reference["size"])
    mot_frames = {int(line.split(",")[0]) for line in (tmp_path / "out.txt").read_text().split()}
    assert mot_frames <= set(range(1, reference["frames"] + 1))  # MOT numbers frames from 1


def test_the_overhead_clip_is_read_whole(tmp_path, fp32_model):
    clip = require_shared(SHARED / "media" / "crowd-overhead-1280x720.mp4")
    frames = probe(clip)["frames"]
    options = ("--jsonl", tmp_path / "out.jsonl", "--no-track", "--vid-stride", STRIDE)
    done = rtseg(*run_args(clip, fp32_model), *options, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    numbers = [record["frame"] for record in read_jsonl(tmp_path / "out.jsonl")]
    assert numbers == list(range(0, frames, STRIDE))
    assert len(numbers) == math.ceil(frames / STRIDE)
    assert warnings(done.stderr) == [] and undecodable(done.stderr) == 0
    assert re.search(rf"^{len(numbers)} frames in ", done.stderr, re.MULTILINE), done.stderr
