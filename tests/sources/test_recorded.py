"""Recorded sources: every frame in order, stride, loop, timestamps, natural image order."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from rtseg.errors import RtsegError
from rtseg.sources import ImageSequenceSource, VideoFileSource
from rtseg.sources.recorded import natural_key

CLIP_FRAMES = 221
CLIP_PERIOD_MS = 40.0  # 25 fps


def write_solid_pngs(folder: Path, names: list[str]) -> dict[str, int]:
    """Write one solid-gray PNG per name; return each file's gray level."""
    levels = {}
    for level, name in enumerate(names, start=1):
        levels[name] = level * 10
        cv2.imwrite(str(folder / name), np.full((6, 8, 3), level * 10, dtype=np.uint8))
    return levels


def test_video_yields_every_frame_in_order_with_container_timestamps(highway_clip):
    with VideoFileSource(highway_clip) as source:
        assert (source.fps, source.frame_count, source.size) == (25.0, CLIP_FRAMES, (960, 540))
        assert not source.is_live
        frames = list(source)
    assert [f.index for f in frames] == list(range(CLIP_FRAMES))
    assert [f.time_ms for f in frames] == pytest.approx(
        [i * CLIP_PERIOD_MS for i in range(CLIP_FRAMES)]
    )
    assert all(f.image.shape == (540, 960, 3) and f.image.dtype == np.uint8 for f in frames)
    assert frames[0].captured_at <= frames[-1].captured_at


def test_video_stride_keeps_source_indices_and_pixels(highway_clip):
    with VideoFileSource(highway_clip) as full:
        every = list(full)
    with VideoFileSource(highway_clip, vid_stride=2) as source:
        assert source.frame_count == 111
        strided = list(source)
    assert [f.index for f in strided] == list(range(0, CLIP_FRAMES, 2))
    assert [f.time_ms for f in strided] == pytest.approx(
        [f.index * CLIP_PERIOD_MS for f in strided]
    )
    assert all(np.array_equal(f.image, every[f.index].image) for f in strided[:5])


def test_video_loop_restarts_and_keeps_counting(highway_clip):
    source = VideoFileSource(highway_clip, vid_stride=100, loop=True)
    assert source.frame_count is None
    frames = [source.read() for _ in range(7)]
    source.close()
    assert [f.index for f in frames] == [0, 100, 200, 221, 321, 421, 442]
    pass_ms = CLIP_FRAMES * CLIP_PERIOD_MS
    assert [f.time_ms for f in frames] == pytest.approx(
        [
            0,
            4000,
            8000,
            pass_ms,
            pass_ms + 4000,
            pass_ms + 8000,
            2 * pass_ms,
        ]
    )
    assert np.array_equal(frames[0].image, frames[3].image)
    assert source.read() is None


def test_close_ends_the_stream_and_is_idempotent(highway_clip):
    source = VideoFileSource(highway_clip)
    assert source.read().index == 0
    source.close()
    source.close()
    assert source.read() is None


def test_image_sequence_in_given_order_without_timestamps(tmp_path):
    names = ["a.png", "b.png", "c.png"]
    levels = write_solid_pngs(tmp_path, names)
    paths = [tmp_path / name for name in reversed(names)]
    with ImageSequenceSource("imgs", paths, vid_stride=2) as source:
        assert (source.fps, source.frame_count, source.size) == (None, 2, None)
        frames = list(source)
    assert [f.index for f in frames] == [0, 2]
    assert [f.time_ms for f in frames] == [None, None]
    assert [int(f.image[0, 0, 0]) for f in frames] == [levels["c.png"], levels["a.png"]]


def test_image_loop_wraps_around(tmp_path):
    write_solid_pngs(tmp_path, ["a.png", "b.png"])
    source = ImageSequenceSource("imgs", sorted(tmp_path.iterdir()), loop=True)
    assert [source.read().index for _ in range(5)] == [0, 1, 2, 3, 4]
    source.close()


def test_unreadable_image_raises_one_line_error_naming_it(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    source = ImageSequenceSource("imgs", [broken])
    with pytest.raises(RtsegError, match=r"broken\.png") as caught:
        source.read()
    assert "\n" not in str(caught.value)


def test_natural_order():
    names = ["img10.png", "img2.png", "IMG1.png", "img1b.png"]
    assert sorted(names, key=lambda n: natural_key(Path(n))) == [
        "IMG1.png",
        "img1b.png",
        "img2.png",
        "img10.png",
    ]


def truncate(path: Path, keep: float = 0.5) -> None:
    """Cut the file after ``keep`` of its bytes, as an interrupted copy leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def test_an_unreadable_image_in_a_folder_is_skipped_with_one_warning(tmp_path, caplog):
    names = ["1.png", "2.png", "3.png", "4.png"]
    levels = write_solid_pngs(tmp_path, names)
    truncate(tmp_path / "3.png")
    with (
        caplog.at_level("WARNING"),
        ImageSequenceSource("imgs", sorted(tmp_path.iterdir())) as source,
    ):
        frames = list(source)
    assert [f.index for f in frames] == [0, 1, 3]
    assert [int(f.image[0, 0, 0]) for f in frames] == [
        levels[n] for n in ("1.png", "2.png", "4.png")
    ]
    assert source.undecodable == 1
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 1 and str(tmp_path / "3.png") in warnings[0]
    assert warnings[0].endswith("skipped")


def test_a_folder_with_no_readable_image_is_an_error(tmp_path):
    for name in ("a.png", "b.png"):
        (tmp_path / name).write_bytes(b"not a png")
    with pytest.raises(RtsegError, match="none of the images"):
        list(ImageSequenceSource("imgs", sorted(tmp_path.iterdir())))
