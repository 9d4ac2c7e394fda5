"""Recorded sources (a video file, or images from a file, folder or glob): every frame, in order.

``vid_stride`` N keeps source frames 0, N, 2N, ... and never decodes the others into images.
With ``loop`` the input restarts at its end, forever; ``Frame.index`` and ``time_ms`` keep
counting across passes (pass k starts at k * pass length), so indices stay unique and
increasing for trackers, JSON Lines and MOT output. ``frame_count`` is None when looping.
"""

from __future__ import annotations

import math
import re
import threading
import time
from abc import abstractmethod
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from rtseg.errors import RtsegError
from rtseg.sources.frame import Frame, FrameSource

IMAGE_EXTENSIONS = frozenset({".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"})

# One pass yields (position in the source, image, time_ms) and returns
# (number of positions in the pass, pass duration in ms or None).
Pass = Generator[tuple[int, np.ndarray, float | None], None, tuple[int, float | None]]


def natural_key(path: Path) -> list[int | str]:
    """Sort key that orders ``img2`` before ``img10`` (digit runs compare as numbers)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path).lower())]


def is_image_path(path: Path) -> bool:
    """Whether the file extension is one of the supported still-image formats."""
    return path.suffix.lower() in IMAGE_EXTENSIONS


def read_image(path: Path) -> np.ndarray:
    """Decode an image file to BGR uint8 (works with non-ASCII paths); RtsegError if unreadable."""
    try:
        image = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_COLOR)
    except OSError as exc:
        raise RtsegError(f"cannot read image {path}: {exc.strerror or exc}") from exc
    if image is None:
        raise RtsegError(f"cannot read image {path}: not a supported image or corrupt")
    return image


def strided_count(length: int, vid_stride: int) -> int:
    """How many of ``length`` source frames a stride of ``vid_stride`` keeps."""
    return math.ceil(length / vid_stride)


class RecordedSource(FrameSource):
    """Shared stride/loop/index bookkeeping; subclasses provide one pass over their input."""

    is_live = False

    def __init__(self, name: str, *, vid_stride: int, loop: bool) -> None:
        self.name = name
        self.vid_stride = vid_stride
        self.loop = loop
        self._lock = threading.Lock()
        self._frames = self._stream()

    @abstractmethod
    def _pass(self) -> Pass:
        """One pass over the input, yielding every ``vid_stride``-th frame."""

    def _stream(self) -> Iterator[Frame]:
        index_base, time_base = 0, 0.0
        while True:
            one_pass = self._pass()
            try:
                while True:
                    position, image, time_ms = next(one_pass)
                    stamp = None if time_ms is None else time_base + time_ms
                    yield Frame(index_base + position, image, stamp, time.monotonic())
            except StopIteration as end:
                length, duration_ms = end.value
            if not self.loop or length == 0:
                return
            index_base += length
            time_base += duration_ms or 0.0

    def read(self) -> Frame | None:
        with self._lock:
            return next(self._frames, None)

    def close(self) -> None:
        with self._lock:
            self._frames.close()


class VideoFileSource(RecordedSource):
    """A video file decoded with OpenCV (FFmpeg); ``time_ms`` is the container timestamp."""

    def __init__(self, path: Path, *, vid_stride: int = 1, loop: bool = False) -> None:
        super().__init__(str(path), vid_stride=vid_stride, loop=loop)
        self.path = path
        capture = cv2.VideoCapture(str(path))
        try:
            if not capture.isOpened():
                raise RtsegError(f"cannot read video {path}: not a video or unsupported codec")
            fps = capture.get(cv2.CAP_PROP_FPS)
            count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
            size = (
                int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            )
        finally:
            capture.release()
        self.fps = fps if fps > 0 else None
        self.frame_count = strided_count(count, vid_stride) if count > 0 and not loop else None
        self.size = size if min(size) > 0 else None

    def _pass(self) -> Pass:
        capture = cv2.VideoCapture(str(self.path))
        position, time_ms = 0, 0.0
        try:
            while capture.grab():
                time_ms = capture.get(cv2.CAP_PROP_POS_MSEC)
                if position % self.vid_stride == 0:
                    ok, image = capture.retrieve()
                    if not ok:
                        break
                    yield position, image, time_ms
                position += 1
        finally:
            capture.release()
        period_ms = 1000.0 / self.fps if self.fps else 0.0
        return position, time_ms + period_ms


class ImageSequenceSource(RecordedSource):
    """Still images in the given order; ``time_ms`` is None. Unreadable files raise RtsegError."""

    def __init__(
        self, name: str, paths: Sequence[Path], *, vid_stride: int = 1, loop: bool = False
    ) -> None:
        super().__init__(name, vid_stride=vid_stride, loop=loop)
        self.paths = tuple(paths)
        self.frame_count = None if loop else strided_count(len(self.paths), vid_stride)

    def _pass(self) -> Pass:
        for position in range(0, len(self.paths), self.vid_stride):
            yield position, read_image(self.paths[position]), None
        return len(self.paths), None
