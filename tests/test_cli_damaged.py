"""``rtseg run`` on really damaged input: everything decodable is processed with its source frame
number, every damaged stretch is said once, the summary counts it, and ``--strict`` makes the
run fail (exit 1) only after all output is written."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.conftest import SHARED, require_shared
from tests.damage import (
    cut_fragmented,
    ffmpeg_frame_numbers,
    garbage_in_the_middle,
    stretch_text,
    stretches,
)
from tests.test_cli import read_jsonl, rtseg, run_args

CLIP_FRAMES = 221
COMPARED = 150  # a frame past the damage (a key frame of the re-encoded copy)
STILLS = ["highway_normal_1.png", "highway_normal_2.png", "highway_rain_1.png", "highway_snow.png"]


def stderr_lines(stderr: str) -> list[str]:
    """stderr as lines, the progress bar's carriage-return redraws split off."""
    return [line.strip() for line in re.split(r"[\r\n]", stderr) if line.strip()]


def warnings(stderr: str) -> list[str]:
    prefix = "rtseg: warning: "
    return [line.removeprefix(prefix) for line in stderr_lines(stderr) if line.startswith(prefix)]


def undecodable(stderr: str, stream: str = "") -> int:
    """The count on the summary's ``undecodable frames: N`` line (of ``stream``, if named)."""
    match = re.search(rf"^{re.escape(stream)}undecodable frames: (\d+)$", stderr, re.MULTILINE)
    assert match, stderr
    return int(match.group(1))


def test_noise_in_the_middle_of_a_video(tmp_path, fp32_model, highway_clip):
    damaged = garbage_in_the_middle(highway_clip, tmp_path / "clip.mp4")
    jsonl = tmp_path / "out.jsonl"
    done = rtseg(*run_args(damaged.name, fp32_model), "--jsonl", jsonl, cwd=tmp_path)
    assert done.returncode == 0, done.stderr  # everything decodable was processed
    numbers = [record["frame"] for record in read_jsonl(jsonl)]
    assert len(set(numbers) ^ set(ffmpeg_frame_numbers(damaged))) <= 1
    assert numbers[-1] == CLIP_FRAMES - 1  # read on to the end
    missing = sorted(set(range(CLIP_FRAMES)) - set(numbers))
    assert missing and warnings(done.stderr) == [
        f"clip.mp4: {stretch_text(first, last)} undecodable, skipped"
        for first, last in stretches(missing)
    ]
    assert f"{len(numbers)} frames in" in done.stderr
    assert undecodable(done.stderr) == len(missing)
    assert "[h264" not in done.stderr  # FFmpeg's own reports only with --verbose


def test_a_cut_recording_with_strict_fails_after_writing_everything(
    tmp_path, fp32_model, highway_clip
):
    cut = cut_fragmented(highway_clip, tmp_path / "cut.mp4")
    jsonl = tmp_path / "out.jsonl"
    done = rtseg(*run_args(cut, fp32_model), "--jsonl", jsonl, "--strict", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    numbers = [record["frame"] for record in read_jsonl(jsonl)]
    assert abs(len(numbers) - len(ffmpeg_frame_numbers(cut))) <= 1
    assert numbers == list(range(len(numbers)))
    skipped = CLIP_FRAMES - len(numbers)
    assert warnings(done.stderr) == [
        f"{cut}: file ends before the {CLIP_FRAMES} frames its container declares;"
        f" {stretch_text(len(numbers), CLIP_FRAMES - 1)} missing, skipped"
    ]
    assert undecodable(done.stderr) == skipped
    lines = stderr_lines(done.stderr)
    assert lines[-1] == f"rtseg: error: --strict: {skipped} undecodable frames skipped"


def test_frames_after_the_damage_keep_their_numbers_and_detections(
    tmp_path, fp32_model, keyed_clip
):
    """A camera-like copy (a key frame each second) with noise over its middle: frame 150 of it
    is frame 150 of the clean copy, so the model finds exactly the same there."""
    damaged = garbage_in_the_middle(keyed_clip, tmp_path / "damaged.mp4")
    records = {}
    for name, clip in (("clean", keyed_clip), ("damaged", damaged)):
        jsonl = tmp_path / f"{name}.jsonl"
        options = ("--jsonl", jsonl, "--no-track", "--vid-stride", 10)
        done = rtseg(*run_args(clip, fp32_model), *options, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        records[name] = {record["frame"]: record for record in read_jsonl(jsonl)}
    assert undecodable(done.stderr) > 0
    lost = [int(n) for n in re.findall(r"frames? (?:\d+\u2013)?(\d+) undecodable", done.stderr)]
    assert lost and max(lost) < COMPARED
    assert records["damaged"][COMPARED]["detections"]  # something to compare
    assert records["damaged"][COMPARED] == records["clean"][COMPARED]


def copy_stills(folder):
    media = require_shared(SHARED / "media")
    folder.mkdir()
    for number, name in enumerate(STILLS, start=1):
        shutil.copy(media / name, folder / f"{number}.png")
    return folder


@pytest.mark.parametrize(("strict", "code"), [((), 0), (("--strict",), 1)])
def test_a_truncated_image_in_a_folder(tmp_path, fp32_model, strict, code):
    folder = copy_stills(tmp_path / "stills")
    third = folder / "3.png"
    third.write_bytes(third.read_bytes()[: third.stat().st_size // 2])
    jsonl = tmp_path / "out.jsonl"
    done = rtseg(*run_args(folder, fp32_model), "--jsonl", jsonl, *strict, cwd=tmp_path)
    assert done.returncode == code, done.stderr
    assert [record["frame"] for record in read_jsonl(jsonl)] == [0, 1, 3]
    [warning] = warnings(done.stderr)
    assert str(third) in warning and warning.endswith("skipped")
    assert undecodable(done.stderr) == 1


def test_several_streams_count_their_own_damage(tmp_path, fp32_model, highway_clip):
    damaged = garbage_in_the_middle(highway_clip, tmp_path / "damaged.mp4")
    sources = ("--source", damaged, "--source", highway_clip)
    options = ("--jsonl", tmp_path / "out.jsonl", "--vid-stride", 20, "--strict")
    done = rtseg("run", *sources, "--model", fp32_model, "--device", "cpu", *options, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    lost = CLIP_FRAMES - len(ffmpeg_frame_numbers(damaged))
    assert abs(undecodable(done.stderr, "damaged: ") - lost) <= 1
    assert undecodable(done.stderr, f"{highway_clip.stem}: ") == 0
    assert stderr_lines(done.stderr)[-1].startswith("rtseg: error: --strict: ")
