"""Damaged recorded video: a damaged packet costs only its frames, the rest of the file is read,
and every frame keeps its source number and timestamp. The damage is real: bytes overwritten in
a copy of the shared clip, a fragmented copy cut short; FFmpeg's ``ffprobe`` is the reference
for what can be decoded."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest

from rtseg.errors import RtsegError
from rtseg.sources import VideoFileSource, open_source
from rtseg.sources.realtime import PacedCapture, RealtimeSource
from rtseg.sources.resume import ResumedSource
from rtseg.sources.video_reader import Gap, VideoReader
from tests.conftest import HIGHWAY_CLIP, require_shared
from tests.damage import (
    cut_fragmented,
    ffmpeg_frame_numbers,
    garbage_in_the_middle,
    remuxed,
    stretch_text,
    stretches,
)

CLIP_FRAMES = 221
CLIP_PERIOD_MS = 40.0  # 25 fps
AFTER_THE_DAMAGE = 150  # a key frame of the re-encoded copy, past the damaged middle


@pytest.fixture(scope="module")
def media(tmp_path_factory, keyed_clip):
    """The damaged copies, built once for the module."""
    clip = require_shared(HIGHWAY_CLIP)
    folder = tmp_path_factory.mktemp("damaged")
    return {
        "clip": clip,
        "garbage": garbage_in_the_middle(clip, folder / "garbage.mp4"),
        "cut": cut_fragmented(clip, folder / "cut.mp4"),
        "keyed": keyed_clip,
        "keyed garbage": garbage_in_the_middle(keyed_clip, folder / "keyed-garbage.mp4"),
    }


def read_all(path, caplog, **options):
    """Every frame of ``path`` as a VideoFileSource reads it, the source, and its warnings."""
    caplog.clear()
    with caplog.at_level(logging.WARNING), VideoFileSource(path, **options) as source:
        frames = list(source)
    warnings = [record.getMessage() for record in caplog.records]
    return frames, source, warnings


def test_garbage_in_the_middle_costs_only_the_damaged_frames(media, caplog):
    damaged = media["garbage"]
    frames, source, warnings = read_all(damaged, caplog)
    numbers = [frame.index for frame in frames]
    reference = ffmpeg_frame_numbers(damaged)
    assert len(reference) < CLIP_FRAMES  # the damage is real: FFmpeg loses frames too
    assert len(set(numbers) ^ set(reference)) <= 1  # what FFmpeg decodes, with its numbers
    assert numbers == sorted(set(numbers)) and numbers[-1] == CLIP_FRAMES - 1  # on to the end
    assert [frame.time_ms for frame in frames] == pytest.approx(
        [number * CLIP_PERIOD_MS for number in numbers]
    )
    missing = sorted(set(range(CLIP_FRAMES)) - set(numbers))
    assert source.undecodable == len(missing) == CLIP_FRAMES - len(frames)
    assert warnings == [
        f"{damaged}: {stretch_text(first, last)} undecodable, skipped"
        for first, last in stretches(missing)
    ]
    clean = {frame.index: frame.image for frame in VideoFileSource(media["clip"])}
    assert all(np.array_equal(frame.image, clean[frame.index]) for frame in frames[: missing[0]])


def test_a_fragmented_file_cut_short_says_so_once(media, caplog):
    cut = media["cut"]
    frames, source, warnings = read_all(cut, caplog)
    numbers = [frame.index for frame in frames]
    reference = ffmpeg_frame_numbers(cut)
    assert len(set(numbers) ^ set(reference)) <= 1
    assert numbers == list(range(len(frames))) and len(frames) < 0.7 * CLIP_FRAMES
    assert source.frame_count == CLIP_FRAMES  # as its container declares
    assert source.undecodable == CLIP_FRAMES - len(frames)
    assert warnings == [
        f"{cut}: file ends before the {CLIP_FRAMES} frames its container declares;"
        f" {stretch_text(len(frames), CLIP_FRAMES - 1)} missing, skipped"
    ]


def test_frames_after_the_next_key_frame_are_the_clean_ones(media, caplog):
    clean = {frame.index: frame.image for frame in VideoFileSource(media["keyed"])}
    frames, source, _ = read_all(media["keyed garbage"], caplog)
    damaged = {frame.index: frame.image for frame in frames}
    lost = sorted(set(clean) - set(damaged))
    assert lost and source.undecodable == len(lost) and lost[-1] < AFTER_THE_DAMAGE
    assert all(np.array_equal(damaged[n], clean[n]) for n in range(AFTER_THE_DAMAGE, CLIP_FRAMES))


@pytest.mark.parametrize("container", ["mkv", "ts"])
def test_other_containers_account_for_every_frame(tmp_path, highway_clip, caplog, container):
    """Matroska and MPEG-TS demuxers lose damaged packets silently: the frame numbers around
    them still show the stretch, and no number goes unaccounted for."""
    copy = remuxed(highway_clip, tmp_path / f"clip.{container}")
    damaged = garbage_in_the_middle(copy, tmp_path / f"damaged.{container}")
    frames, source, warnings = read_all(damaged, caplog)
    numbers = [frame.index for frame in frames]
    assert abs(len(numbers) - len(ffmpeg_frame_numbers(damaged))) <= 1
    said = re.findall(
        r"frames? (\d+)(?:\u2013(\d+))? undecodable, skipped$", "\n".join(warnings), re.M
    )
    skipped = [n for first, last in said for n in range(int(first), int(last or first) + 1)]
    assert sorted(numbers + skipped) == list(range(CLIP_FRAMES))  # each decoded or said, once
    assert source.undecodable == len(skipped) > 0


def test_stride_loop_and_resume_keep_source_numbers_across_damage(media, caplog):
    whole, _, _ = read_all(media["garbage"], caplog)
    numbers = [frame.index for frame in whole]
    strided, source, _ = read_all(media["garbage"], caplog, vid_stride=3)
    assert [frame.index for frame in strided] == [n for n in numbers if n % 3 == 0]
    assert source.undecodable == CLIP_FRAMES - len(whole)  # counted, converted or not

    looping = VideoFileSource(media["garbage"], vid_stride=100, loop=True)
    assert [looping.read().index for _ in range(4)] == [0, 100, 200, CLIP_FRAMES]
    looping.close()

    with ResumedSource(open_source(media["garbage"]), 150) as resumed:
        assert [frame.index for frame in resumed] == [n for n in numbers if n >= 150]
        assert resumed.undecodable == 0  # the damage before 150 is the earlier run's to count
    with ResumedSource(open_source(media["garbage"]), 100) as resumed:
        assert [frame.index for frame in resumed] == [n for n in numbers if n >= 100]
        assert resumed.undecodable == CLIP_FRAMES - len(whole)


def test_realtime_playback_reads_through_the_same_reader(media):
    with RealtimeSource(PacedCapture(media["garbage"], fps=1000.0), "fast camera") as source:
        frames = list(source)
    decodable = len(ffmpeg_frame_numbers(media["garbage"]))
    assert abs(len(frames) + source.dropped - decodable) <= 1
    assert source.undecodable == CLIP_FRAMES - len(frames) - source.dropped


def test_reader_facts_and_gap_names(media):
    reader = VideoReader(media["cut"])
    assert (reader.fps, reader.size, reader.declared_frames) == (25.0, (960, 540), CLIP_FRAMES)
    reader.close()
    assert Gap(7, 7, 1).frames == "frame 7"
    assert Gap(104, 108, 5).frames == "frames 104\u2013108"


def test_a_file_with_no_decodable_frame_is_an_error(media, tmp_path):
    ruined = tmp_path / "ruined.mp4"
    data = bytearray(media["clip"].read_bytes())
    start, end = 64, len(data) - 16 * 1024  # the boxes around stay (the index is at the end)
    data[start:end] = np.random.default_rng(1).bytes(end - start)  # the pictures become noise
    ruined.write_bytes(bytes(data))
    with pytest.raises(RtsegError, match="no frame of it can be decoded"):
        list(VideoFileSource(ruined))
