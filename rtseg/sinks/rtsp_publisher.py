"""The ``--rtsp-out`` publishing process: raw BGR frames on stdin → H.264 (libx264) → RTSP.

:class:`~rtseg.sinks.rtsp.RtspSink` runs this file as a child process, so a server that stalls
the connection can always be cut off by ending the process. The URL (with any password) comes
on stdin, never on the command line, where ``ps`` shows it to every user of the machine.

On stdin: one JSON line ``{"url", "width", "height", "fps", "transport"}``, then frames of
``width * height * 3`` bytes until end of input. On stderr: ``publishing`` once the server took
the stream, ``error: <why>`` (never the password) when publishing fails; the exit status is
then 1. It is run by path, not with ``-m``, so it starts without importing rtseg: only the
standard library, NumPy and PyAV.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import BinaryIO
from urllib.parse import urlsplit

import av
import numpy as np

PUBLISHING = "publishing"
ERROR_PREFIX = "error: "


def read_frames(stream: BinaryIO, width: int, height: int) -> Iterator[np.ndarray]:
    """The BGR frames on ``stream`` until it ends (a partial last frame is dropped)."""
    size = width * height * 3
    while len(data := stream.read(size)) == size:
        yield np.frombuffer(data, np.uint8).reshape(height, width, 3)


def publish(header: dict, frames: Iterator[np.ndarray], report: Callable[[str], None]) -> None:
    """Encode ``frames`` with libx264 (ultrafast, zerolatency, a key frame every second) and
    send them to the RTSP server in ``header``; ``report`` hears ``publishing`` once the
    server took the stream header (PyAV writes it with the first packet)."""
    fps = Fraction(header["fps"]).limit_denominator(1001)
    container = av.open(
        header["url"], "w", format="rtsp", options={"rtsp_transport": header["transport"]}
    )
    try:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = header["width"], header["height"], "yuv420p"
        video.options = {"preset": "ultrafast", "tune": "zerolatency"}
        video.codec_context.gop_size = max(1, round(fps))
        published = False
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = index
            for packet in video.encode(frame):
                container.mux(packet)
                if not published:
                    published = True
                    report(PUBLISHING)
        for packet in video.encode(None):
            container.mux(packet)
    finally:
        with contextlib.suppress(av.FFmpegError, OSError):  # the server may be gone already
            container.close()


def reason(error: Exception, url: str) -> str:
    """What went wrong, for the parent's log: FFmpeg's words without the URL they name, and
    never the password."""
    if isinstance(error, av.FFmpegError) and error.strerror:
        text = error.strerror
    else:
        text = f"{type(error).__name__}: {error}"
    password = urlsplit(url).password
    return text.replace(password, "***") if password else text


def main() -> int:
    def report(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    header = json.loads(sys.stdin.buffer.readline())
    frames = read_frames(sys.stdin.buffer, header["width"], header["height"])
    try:
        publish(header, frames, report)
    except Exception as error:  # any failure is one line for the parent, which retries
        report(ERROR_PREFIX + reason(error, header["url"]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
