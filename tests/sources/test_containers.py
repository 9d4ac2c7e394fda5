"""Every frame of every container: the zoo of tests/zoo.py (AVI, MKV, MOV, WebM, TS, FLV, HEVC,
raw H.264, variable frame rate, a start offset, rotations) and the shared clips, each read as
FFmpeg reads it: its decoded frame count (OpenCV's too), numbers 0..n-1, the size players
show, FFmpeg's pictures, increasing timestamps, and no warning. Images from folders stand
upright as photos taken upright do (EXIF orientation)."""

from __future__ import annotations

import itertools
import logging

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from rtseg.sources import ImageSequenceSource, VideoFileSource
from tests.conftest import SHARED, require_shared
from tests.zoo import ZOO, ffmpeg_frame, make, opencv_frames, probe

SHARED_CLIPS = [
    "highway-dashcam-960x540.mp4",
    "bridge-traffic-640x360.mp4",
    "crowd-overhead-1280x720.mp4",
]
COMPARED_FRAME = 31  # a frame past the zoo's stall, dropped frames and B-frame reordering
EXIF_ROTATE_90_CW = 6  # EXIF orientation: the camera was turned, the picture must turn back


@pytest.fixture(scope="module")
def zoo(tmp_path_factory, short_clip):
    folder = tmp_path_factory.mktemp("zoo")
    return {name: make(name, short_clip, folder) for name in ZOO}


def read(path, caplog):
    """Every frame of ``path`` as rtseg reads it, the source, and the log lines it wrote."""
    caplog.clear()
    with caplog.at_level(logging.INFO), VideoFileSource(path) as source:
        frames = list(source)
    return frames, source, [(record.levelno, record.getMessage()) for record in caplog.records]


def assert_read_as_ffmpeg_reads(path, caplog):
    reference = probe(path)
    frames, source, logged = read(path, caplog)
    assert [frame.index for frame in frames] == list(range(reference["frames"]))
    assert source.undecodable == 0
    assert [message for level, message in logged if level >= logging.WARNING] == []
    width, height = reference["size"]
    assert opencv_frames(path) == (len(frames), (width, height))
    assert source.size == (width, height)
    assert all(frame.image.shape == (height, width, 3) for frame in frames)
    times = [frame.time_ms for frame in frames]
    assert all(later > earlier for earlier, later in itertools.pairwise(times))
    return frames, logged


@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_file_is_read_as_ffmpeg_reads_it(zoo, name, caplog):
    frames, logged = assert_read_as_ffmpeg_reads(zoo[name], caplog)
    expected = ffmpeg_frame(zoo[name], COMPARED_FRAME)
    assert np.abs(frames[COMPARED_FRAME].image.astype(int) - expected).mean() < 1.0
    notes = [message for _, message in logged]
    assert len(notes) == len(set(notes)) <= 2  # each fallback said once, never per frame


@pytest.mark.parametrize("clip", SHARED_CLIPS)
def test_shared_clip_is_read_whole(clip, caplog):
    assert_read_as_ffmpeg_reads(require_shared(SHARED / "media" / clip), caplog)


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("h264.avi", "h264.avi (avi, h264): timestamps out of presentation order;"),
        ("raw.h264", "raw.h264 (h264, h264): no timestamps;"),
        ("phone-vfr.mp4", "phone-vfr.mp4 (mov, h264): variable frame rate;"),
        ("rotated-90.mp4", "rotated-90.mp4 (mov, h264): display rotation 90°;"),
    ],
)
def test_a_fallback_is_said_once_with_container_and_codec(zoo, name, note, caplog):
    _, _, logged = read(zoo[name], caplog)
    assert [message for _, message in logged if message.startswith(note)] != []
    assert all(level == logging.INFO for level, _ in logged)


def test_an_intact_file_says_nothing(zoo, caplog):
    _, _, logged = read(zoo["h264.mkv"], caplog)
    assert logged == []


def test_times_follow_the_timestamps_of_a_variable_rate_file(zoo, caplog):
    frames, _, _ = read(zoo["phone-vfr.mp4"], caplog)
    steps = np.diff([frame.time_ms for frame in frames])
    assert steps.max() > 100 and steps.min() < 40  # the stall and the jitter are kept


def test_times_start_at_zero_after_a_start_offset(zoo, caplog):
    frames, _, _ = read(zoo["offset.mp4"], caplog)
    assert [frame.time_ms for frame in frames[:3]] == pytest.approx([0.0, 40.0, 80.0])


def test_folder_images_stand_upright_by_their_exif_orientation(tmp_path):
    still = require_shared(SHARED / "media" / "highway_normal_1.png")
    picture = Image.open(still).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = EXIF_ROTATE_90_CW
    folder = tmp_path / "photos"
    folder.mkdir()
    picture.save(folder / "1.jpg", exif=exif.tobytes(), quality=95)
    picture.save(folder / "2.jpg", quality=95)
    with ImageSequenceSource(str(folder), sorted(folder.iterdir())) as source:
        turned, plain = (frame.image for frame in source)
    upright = ImageOps.exif_transpose(Image.open(folder / "1.jpg"))
    expected = cv2.cvtColor(np.asarray(upright), cv2.COLOR_RGB2BGR)
    assert turned.shape == expected.shape == (picture.width, picture.height, 3)
    assert plain.shape == (picture.height, picture.width, 3)
    assert np.abs(turned.astype(int) - expected).mean() < 2.0


def test_files_read_side_by_side_in_one_process_keep_every_frame(zoo, caplog):
    """Several streams in one process: each reader's packets stay its own through the decoder,
    while the other reads ahead and behind it."""
    first, second = zoo["h264.mkv"], zoo["hevc.mp4"]
    with caplog.at_level(logging.WARNING), VideoFileSource(first) as one:
        ahead = [one.read().index for _ in range(20)]
        with VideoFileSource(second) as other:
            other_numbers = [frame.index for frame in other]
        numbers = ahead + [frame.index for frame in one]
    assert numbers == list(range(probe(first)["frames"]))
    assert other_numbers == list(range(probe(second)["frames"]))
    assert caplog.records == []
