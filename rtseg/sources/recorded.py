"""Recorded sources (a video file, or images from a file, folder or glob): every frame, in order.

``vid_stride`` N keeps source frames 0, N, 2N, ... and never converts the others into images.
With ``loop`` the input restarts at its end, forever; ``Frame.index`` and ``time_ms`` keep
counting across passes (pass k starts at k * pass length), so indices stay unique and
increasing for trackers, JSON Lines and MOT output. ``frame_count`` is None when looping.

Damage costs only what is damaged: undecodable video frames and unreadable images are skipped
with one warning per stretch and counted in ``undecodable``; the rest is processed. Only an
input with nothing readable at all is an error.
"""

from __future__ import annotations

import logging
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
from rtseg.sources.video_reader import Gap, Note, VideoReader, to_bgr

logger = logging.getLogger(__name__)

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
        self.undecodable = 0
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

    def _skipped(self, count: int, message: str) -> None:
        """Count ``count`` frames that cannot be read and say so in one warning line."""
        self.undecodable += count
        logger.warning("%s", message)

    def read(self) -> Frame | None:
        with self._lock:
            return next(self._frames, None)

    def close(self) -> None:
        with self._lock:
            self._frames.close()


class VideoFileSource(RecordedSource):
    """A video file decoded by FFmpeg (PyAV) packet by packet: frames a damaged packet holds are
    skipped, the rest of the file is read. ``Frame.index`` is the source frame number (decoding
    order, damaged stretches left as gaps), ``time_ms`` the presentation timestamp, and images
    stand upright as players show them (see :mod:`rtseg.sources.video_reader`). What changed
    how the file is read (unusable timestamps, a variable rate, a rotation) is said once."""

    def __init__(self, path: Path, *, vid_stride: int = 1, loop: bool = False) -> None:
        super().__init__(str(path), vid_stride=vid_stride, loop=loop)
        self.path = path
        reader = VideoReader(path)
        self.fps, self.size = reader.fps, reader.upright_size()
        reader.close()
        self._said: set[str] = set()
        declared = reader.declared_frames
        self.frame_count = strided_count(declared, vid_stride) if declared and not loop else None

    def _pass(self) -> Pass:
        reader = VideoReader(self.path)
        decoded = 0
        try:
            for item in reader.frames():
                if isinstance(item, Gap):
                    self._skipped(item.count, self._gap_message(item))
                elif isinstance(item, Note):
                    self._note(item.text)
                else:
                    decoded += 1
                    if item.index % self.vid_stride == 0:
                        yield item.index, to_bgr(item.frame), item.time_ms
        finally:
            reader.close()
        if not decoded and reader.last_index >= 0:
            raise RtsegError(f"cannot read video {self.path}: no frame of it can be decoded")
        period_ms = 1000.0 / reader.fps if reader.fps else 0.0
        return reader.length, reader.duration_ms or reader.length * period_ms

    def _note(self, text: str) -> None:
        """Say ``text`` once for this source, not again on each pass of a loop."""
        if text not in self._said:
            self._said.add(text)
            logger.info("%s", text)

    def _gap_message(self, gap: Gap) -> str:
        if gap.truncated:
            return (
                f"{self.name}: file ends before the {gap.last + 1} frames its container declares;"
                f" {gap.frames} missing, skipped"
            )
        return f"{self.name}: {gap.frames} undecodable, skipped"


class ImageSequenceSource(RecordedSource):
    """Still images in the given order; ``time_ms`` is None. An unreadable image is skipped with
    a warning naming it; RtsegError when none of them can be read."""

    def __init__(
        self, name: str, paths: Sequence[Path], *, vid_stride: int = 1, loop: bool = False
    ) -> None:
        super().__init__(name, vid_stride=vid_stride, loop=loop)
        self.paths = tuple(paths)
        self.frame_count = None if loop else strided_count(len(self.paths), vid_stride)

    def _pass(self) -> Pass:
        read = 0
        for position in range(0, len(self.paths), self.vid_stride):
            try:
                image = read_image(self.paths[position])
            except RtsegError as error:
                if len(self.paths) == 1:
                    raise
                self._skipped(1, f"{error}; skipped")
                continue
            read += 1
            yield position, image, None
        if not read:
            raise RtsegError(f"none of the images of {self.name} can be read")
        return len(self.paths), None
