"""open_source: spec parsing and one-line errors for every kind of unusable source."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from rtseg.errors import RtsegError
from rtseg.sources import ImageSequenceSource, VideoFileSource, open_source
from rtseg.sources.factory import redact_url, stream_url, webcam_index
from tests.conftest import SHARED, require_shared


def open_error(spec, **options) -> str:
    """The message of the RtsegError that opening ``spec`` raises (asserted to be one line)."""
    with pytest.raises(RtsegError) as caught:
        open_source(spec, **options)
    message = str(caught.value)
    assert message and "\n" not in message
    return message


@pytest.mark.parametrize(
    ("spec", "index"),
    [(0, 0), ("0", 0), (" 2 ", 2), ("cam0", None), ("rtsp://h/0", None), ("-1", None)],
)
def test_webcam_index(spec, index):
    assert webcam_index(spec) == index


def test_stream_urls():
    assert stream_url("rtsp://cam.local:554/live") == "rtsp://cam.local:554/live"
    assert stream_url("HTTPS://example.com/a.mjpg") == "HTTPS://example.com/a.mjpg"
    assert stream_url("videos/clip.mp4") is None
    with pytest.raises(RtsegError, match="no host"):
        stream_url("rtsp://")
    with pytest.raises(RtsegError, match="unsupported URL"):
        stream_url("ftp://example.com/clip.mp4")


def test_redact_url_hides_passwords_only():
    assert redact_url("rtsp://admin:secret@10.0.0.2:554/s") == "rtsp://admin:***@10.0.0.2:554/s"
    assert redact_url("rtsp://10.0.0.2/s") == "rtsp://10.0.0.2/s"


def test_dispatch_by_kind(highway_clip, tmp_path):
    cv2.imwrite(str(tmp_path / "x.png"), np.zeros((4, 4, 3), np.uint8))
    still = require_shared(SHARED / "media" / "highway_normal_1.png")
    with open_source(str(highway_clip)) as video:
        assert isinstance(video, VideoFileSource)
    with open_source(tmp_path) as folder, open_source(str(tmp_path / "*.png")) as pattern:
        assert isinstance(folder, ImageSequenceSource) and folder.frame_count == 1
        assert isinstance(pattern, ImageSequenceSource) and pattern.frame_count == 1
    with open_source(str(still)) as image:
        frame = image.read()
        assert image.read() is None
    assert np.array_equal(frame.image, cv2.imread(str(still)))


def test_folder_lists_images_naturally_and_ignores_other_files(tmp_path):
    for level, name in enumerate(["f10.jpg", "f2.png", "f1.PNG"], start=1):
        cv2.imwrite(str(tmp_path / name), np.full((4, 4, 3), level, np.uint8))
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "sub.png").mkdir()
    with open_source(tmp_path) as source:
        assert [p.name for p in source.paths] == ["f1.PNG", "f2.png", "f10.jpg"]


def test_errors_name_the_source(tmp_path):
    assert "missing.mp4" in open_error(str(tmp_path / "missing.mp4"))
    assert "no images in folder" in open_error(tmp_path)
    assert "no images match" in open_error(str(tmp_path / "*.jpg"))
    fake_video = tmp_path / "fake.mp4"
    fake_video.write_text("not a video")
    assert "cannot read video" in open_error(str(fake_video))
    assert "vid_stride" in open_error(str(fake_video), vid_stride=0)


def test_missing_webcam_is_a_clear_error():
    assert open_error("7") == "cannot open webcam 7: no camera at that index, or it is in use"


@pytest.mark.parametrize("url", ["rtsp://127.0.0.1:9/live", "http://127.0.0.1:9/video.mjpg"])
def test_dead_stream_is_a_clear_error(url):
    assert open_error(url).startswith(f"cannot open stream {url}: unreachable")
