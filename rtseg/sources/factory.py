"""Turn a user's source spec (path, glob, webcam index or URL) into an open FrameSource."""

from __future__ import annotations

import glob
import logging
import os
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from rtseg.errors import RtsegError
from rtseg.sources.frame import FrameSource
from rtseg.sources.live import TRANSPORTS, LiveSource, open_capture
from rtseg.sources.realtime import open_realtime
from rtseg.sources.reconnect import ReconnectPolicy
from rtseg.sources.recorded import (
    IMAGE_EXTENSIONS,
    ImageSequenceSource,
    VideoFileSource,
    is_image_path,
    natural_key,
)

logger = logging.getLogger(__name__)

STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https")
GLOB_CHARS = frozenset("*?[")
RECONNECT = ReconnectPolicy()


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``, safe to show in messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def webcam_index(spec: str | int) -> int | None:
    """The webcam index a spec names (``0``, ``"0"``, ``" 1 "``), or None if it names none."""
    if isinstance(spec, int):
        return spec
    text = spec.strip()
    return int(text) if text.isdigit() else None


def stream_url(spec: str) -> str | None:
    """The stream URL a spec names, None if it is no URL; RtsegError for malformed/unknown ones."""
    if "://" not in spec:
        return None
    parts = urlsplit(spec)
    if parts.scheme.lower() not in STREAM_SCHEMES:
        supported = ", ".join(f"{scheme}://" for scheme in STREAM_SCHEMES)
        raise RtsegError(f"unsupported URL {redact_url(spec)!r}: use a path or {supported}")
    if not parts.hostname:
        raise RtsegError(f"bad URL {redact_url(spec)!r}: no host")
    return spec


def list_images(paths: list[Path]) -> list[Path]:
    """The image files among ``paths``, in natural order."""
    return sorted(
        (path for path in paths if path.is_file() and is_image_path(path)), key=natural_key
    )


def open_source(
    spec: str | int | os.PathLike[str],
    *,
    vid_stride: int = 1,
    loop: bool = False,
    realtime: bool = False,
    transport: str | None = None,
    reconnect: ReconnectPolicy | None = RECONNECT,
) -> FrameSource:
    """Open a video/image file, folder, glob, webcam index or rtsp/http(s) URL.

    ``realtime`` plays a video file as a live camera (paced at its fps, newest frame only).
    ``transport`` ("tcp" or "udp") picks how RTSP streams carry RTP (other sources ignore
    it); None lets FFmpeg prefer TCP. A stream that worked reconnects after a loss as
    ``reconnect`` says (None: the input ends instead); a stream that cannot be opened at all is
    an error, not retried. A URL announcing a length (a served file) ends once it has delivered
    (nearly) all of it; stopping sooner is a loss like any other. Webcams end when they stop.
    Raises RtsegError with one line naming the source when it cannot be used.
    """
    spec = spec if isinstance(spec, int) else os.fspath(spec)
    if vid_stride < 1:
        raise RtsegError(f"vid_stride must be a positive integer, got {vid_stride}")
    if transport not in (None, *TRANSPORTS):
        raise RtsegError(f"unknown transport {transport!r}: use {' or '.join(TRANSPORTS)}")
    index = webcam_index(spec)
    url = None if index is not None else stream_url(spec)
    if index is None and url is None:
        if realtime:
            return _open_realtime(spec, vid_stride=vid_stride, loop=loop)
        return _open_recorded(spec, vid_stride=vid_stride, loop=loop)
    if vid_stride != 1 or loop or realtime:
        logger.warning("vid_stride, loop and realtime apply to recorded sources; ignored")
    if index is not None:
        name = f"webcam {index}"
        return LiveSource(open_capture(index, name), name)
    name = f"stream {redact_url(url)}"
    reopen = partial(open_capture, url, name, transport)
    capture = reopen()
    return LiveSource(
        capture, name, reopen=reopen if reconnect is not None else None, policy=reconnect
    )


def _open_realtime(spec: str, *, vid_stride: int, loop: bool) -> FrameSource:
    path = Path(spec).expanduser()
    if not path.is_file() or is_image_path(path):
        raise RtsegError(f"realtime plays a video file as live; {spec} is not one")
    if vid_stride != 1:
        logger.warning("vid_stride applies to recorded sources; ignored for realtime playback")
    return open_realtime(path, loop=loop)


def _open_recorded(spec: str, *, vid_stride: int, loop: bool) -> FrameSource:
    path = Path(spec).expanduser()
    extensions = ", ".join(sorted(IMAGE_EXTENSIONS))
    if path.is_dir():
        images = list_images(list(path.iterdir()))
        if not images:
            raise RtsegError(f"no images in folder {path} (looked for {extensions})")
        return ImageSequenceSource(str(path), images, vid_stride=vid_stride, loop=loop)
    if path.is_file():
        if is_image_path(path):
            return ImageSequenceSource(str(path), [path], vid_stride=vid_stride, loop=loop)
        return VideoFileSource(path, vid_stride=vid_stride, loop=loop)
    if GLOB_CHARS & set(spec):
        images = list_images([Path(match) for match in glob.glob(str(path), recursive=True)])
        if not images:
            raise RtsegError(f"no images match {spec} (looked for {extensions})")
        return ImageSequenceSource(spec, images, vid_stride=vid_stride, loop=loop)
    raise RtsegError(f"source not found: {spec} (no such file or folder)")
