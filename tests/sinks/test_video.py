"""VideoSink: real MP4 files, decoded back with PyAV and OpenCV."""

from __future__ import annotations

import logging
from fractions import Fraction
from itertools import islice

import av
import cv2
import numpy as np
import pytest
import supervision as sv
from av.video.frame import PictureType

from rtseg.errors import RtsegError
from rtseg.sinks import VideoSink
from rtseg.sinks import video as video_module
from rtseg.sources import Frame, VideoFileSource

NO_DETECTIONS = sv.Detections.empty()


def clip_frames(clip, count: int) -> list[Frame]:
    with VideoFileSource(clip) as source:
        return list(islice(source, count))


def synthetic_frame(index: int, width: int, height: int) -> Frame:
    """A horizontal gradient that shifts with ``index`` (easy to compare after lossy coding)."""
    row = (np.arange(width) * 4 + index * 8) % 256
    image = np.repeat(np.broadcast_to(row[None, :, None], (height, width, 1)), 3, axis=2)
    return Frame(index, np.ascontiguousarray(image, dtype=np.uint8), None, 0.0)


def decoded(path) -> tuple[av.video.stream.VideoStream, list[np.ndarray]]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        images = [f.to_ndarray(format="bgr24") for f in container.decode(stream)]
        return stream, images


def opencv_frame_count(path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.grab():
        count += 1
    capture.release()
    return count


def write_all(sink: VideoSink, frames: list[Frame]) -> None:
    for frame in frames:
        sink.write(frame, None, NO_DETECTIONS)
    sink.close()


def test_h264_mp4_with_every_frame_at_source_fps(highway_clip, tmp_path):
    frames = clip_frames(highway_clip, 12)
    path = tmp_path / "out.mp4"
    sink = VideoSink(path, fps=25.0)
    for frame in frames:
        sink.write(frame, frame.image, NO_DETECTIONS)
    sink.close()
    sink.close()
    stream, images = decoded(path)
    assert stream.codec_context.name == "h264"
    assert stream.codec_context.pix_fmt == "yuv420p"
    assert (stream.width, stream.height, stream.average_rate) == (960, 540, 25)
    assert len(images) == 12 == opencv_frame_count(path)
    error = np.abs(images[5].astype(int) - frames[5].image.astype(int)).mean()
    assert error < 6
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: playable while downloading


def test_no_b_frames_so_the_encoder_holds_no_frames_back(highway_clip, tmp_path):
    path = tmp_path / "out.mp4"
    write_all(VideoSink(path, fps=25.0), clip_frames(highway_clip, 12))
    with av.open(str(path)) as container:
        kinds = [PictureType(frame.pict_type) for frame in container.decode(video=0)]
    assert len(kinds) == 12
    assert kinds[0] == PictureType.I
    assert set(kinds) <= {PictureType.I, PictureType.P}


def test_closed_early_is_still_playable(highway_clip, tmp_path):
    path = tmp_path / "early.mp4"
    write_all(VideoSink(path, fps=25.0), clip_frames(highway_clip, 3))
    assert len(decoded(path)[1]) == 3 == opencv_frame_count(path)


def test_odd_size_loses_last_row_and_column(tmp_path):
    path = tmp_path / "odd.mp4"
    frames = [synthetic_frame(i, 161, 91) for i in range(4)]
    write_all(VideoSink(path, fps=10), frames)
    stream, images = decoded(path)
    assert (stream.width, stream.height) == (160, 90)
    assert len(images) == 4
    assert np.abs(images[2].astype(int) - frames[2].image[:90, :160].astype(int)).mean() < 6


def test_unknown_and_fractional_fps(tmp_path):
    write_all(VideoSink(tmp_path / "a.mp4"), [synthetic_frame(0, 32, 32)])
    write_all(VideoSink(tmp_path / "b.mp4", fps=30000 / 1001), [synthetic_frame(0, 32, 32)])
    assert decoded(tmp_path / "a.mp4")[0].average_rate == 30
    assert decoded(tmp_path / "b.mp4")[0].average_rate == Fraction(30000, 1001)


def test_frames_of_another_size_are_resized_with_one_warning(tmp_path, caplog):
    path = tmp_path / "mixed.mp4"
    frames = [synthetic_frame(0, 64, 48), synthetic_frame(1, 100, 30), synthetic_frame(2, 20, 20)]
    with caplog.at_level(logging.WARNING):
        write_all(VideoSink(path, fps=10), frames)
    assert len([r for r in caplog.records if "differs" in r.message]) == 1
    stream, images = decoded(path)
    assert (stream.width, stream.height, len(images)) == (64, 48, 3)


def test_falls_back_to_mpeg4_with_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(video_module, "encoder_available", lambda name: name != "libx264")
    path = tmp_path / "fallback.mp4"
    with caplog.at_level(logging.WARNING):
        write_all(VideoSink(path, fps=10), [synthetic_frame(i, 32, 32) for i in range(3)])
    assert len(caplog.records) == 1 and "libx264" in caplog.records[0].message
    stream, images = decoded(path)
    assert stream.codec_context.name == "mpeg4" and len(images) == 3


def test_no_frames_no_file(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        VideoSink(tmp_path / "empty.mp4").close()
    assert not (tmp_path / "empty.mp4").exists()
    assert "no frames" in caplog.text


def test_unwritable_path_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RtsegError, match="cannot create folder"):
        VideoSink(blocker / "out.mp4")
    with pytest.raises(RtsegError, match="is a folder"):
        VideoSink(tmp_path)


def test_a_full_disk_fails_the_write_and_close_does_not_crash(tmp_path):
    """A disk that fills mid-run (here /dev/full): the write raises OSError once, and closing
    afterwards must not touch FFmpeg's failed muxer again (that crashed the process)."""
    target = tmp_path / "full.mp4"
    target.symlink_to("/dev/full")
    sink = VideoSink(target, 25)
    with pytest.raises(OSError, match="No space left"):
        for index in range(500):  # the muxer's buffer fills after a few dozen frames
            sink.write(synthetic_frame(index, 320, 240), None, NO_DETECTIONS)
    written = sink.frames_written
    sink.write(synthetic_frame(500, 320, 240), None, NO_DETECTIONS)  # ignored from now on
    sink.close()
    assert 0 < written == sink.frames_written < 500
