"""Annotated video as H.264 (yuv420p) in MP4 via PyAV: plays in browsers and common players.

The moov atom is moved to the front (``+faststart``) when the file is closed, so even a run
stopped early (Ctrl-C) leaves a complete, seekable file once :meth:`VideoSink.close` has run.
yuv420p needs even dimensions: an odd width/height loses its last column/row (a view, no copy).
Frames are timed at a constant ``fps``; frames whose size differs from the first are resized.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import supervision as sv

from rtseg.sinks.base import output_path
from rtseg.sources import DEFAULT_FPS, Frame

logger = logging.getLogger(__name__)

PREFERRED_CODEC = "libx264"
FALLBACK_CODEC = "mpeg4"
# superfast keeps encoding off the critical path on 2 cores. No B-frames: each one x264 holds
# back costs about 5 MB at 960x540 (17 MB of the encoder's 33 MB with superfast's 3), for files
# about 15 % larger at the same CRF; encoding gets faster, not slower (README, *Memory*).
X264_OPTIONS = {
    "preset": "superfast",
    "crf": "23",
    "bf": "0",
}
FALLBACK_BIT_RATE = 8_000_000


def encoder_available(name: str) -> bool:
    """Whether this PyAV/FFmpeg build can encode with codec ``name``."""
    try:
        av.Codec(name, "w")
    except av.codec.codec.UnknownCodecError:
        return False
    return True


def frame_rate(fps: float | None) -> Fraction:
    """A rational frame rate for the container (29.97 -> 30000/1001); DEFAULT_FPS if unknown."""
    return Fraction(fps if fps and fps > 0 else DEFAULT_FPS).limit_denominator(1001)


class VideoSink:
    """Writes each frame (annotated if given, else the raw image) to an MP4 file.

    The container opens at the first frame (its size sets the video size); closing without any
    frame leaves no file. Not thread-safe: call write/close from one thread.
    """

    needs_annotation = True

    def __init__(self, path: str | Path, fps: float | None = None) -> None:
        self.path = output_path(path)
        self.rate = frame_rate(fps)
        self.frames_written = 0
        self._container: av.container.OutputContainer | None = None
        self._stream: av.VideoStream | None = None
        self._source_hw: tuple[int, int] = (0, 0)
        self._warned_resize = False
        self._closed = False
        self._failed = False  # a write failed (disk full...): FFmpeg's muxer must not be used again

    def _open(self, height: int, width: int) -> None:
        codec = PREFERRED_CODEC
        if not encoder_available(codec):
            codec = FALLBACK_CODEC
            logger.warning(
                "%s encoder unavailable; writing %s with %s",
                PREFERRED_CODEC,
                self.path,
                FALLBACK_CODEC,
            )
        container = av.open(str(self.path), "w", options={"movflags": "+faststart"})
        stream = container.add_stream(codec, rate=self.rate)
        stream.width, stream.height = width - width % 2, height - height % 2
        stream.pix_fmt = "yuv420p"
        if codec == PREFERRED_CODEC:
            stream.options = X264_OPTIONS
        else:
            stream.bit_rate = FALLBACK_BIT_RATE
        self._container, self._stream, self._source_hw = container, stream, (height, width)

    def _fit(self, image: np.ndarray) -> np.ndarray:
        """The image at the stream's size: cropped by at most one row/column, else resized."""
        height, width = self._stream.height, self._stream.width
        if image.shape[:2] == self._source_hw:
            return image[:height, :width]
        if not self._warned_resize:
            logger.warning(
                "frame size %dx%d differs from the video's %dx%d; resizing",
                image.shape[1],
                image.shape[0],
                width,
                height,
            )
            self._warned_resize = True
        return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)

    def _mux(self, video_frame: av.VideoFrame | None) -> None:
        try:
            for packet in self._stream.encode(video_frame):
                self._container.mux(packet)
        except Exception:
            self._failed = True  # muxing again after an I/O error crashes PyAV (segfault)
            raise

    def write(self, frame: Frame, annotated: np.ndarray | None, detections: sv.Detections) -> None:
        """Encode one frame; ``detections`` is unused (the pixels already show them)."""
        if self._closed or self._failed:
            return
        image = frame.image if annotated is None else annotated
        if self._stream is None:
            self._open(*image.shape[:2])
        # OpenCV's BGR -> I420 (BT.601 limited range, like swscale's default) is ~4x faster
        # than letting PyAV convert.
        planar = cv2.cvtColor(np.ascontiguousarray(self._fit(image)), cv2.COLOR_BGR2YUV_I420)
        video_frame = av.VideoFrame.from_ndarray(planar, format="yuv420p")
        video_frame.pts = self.frames_written
        video_frame.time_base = 1 / self.rate
        self._mux(video_frame)
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder and finish the file; idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._container is None:
            logger.warning("no frames to write; %s was not created", self.path)
            return
        try:
            if not self._failed:
                self._mux(None)
        finally:
            self._container.close()
