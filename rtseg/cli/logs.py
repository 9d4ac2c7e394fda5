"""The command line's log: one ``rtseg: level: message`` line per record on stderr."""

from __future__ import annotations

import logging
import os
import sys

import av.logging
import cv2
from tqdm import tqdm

FFMPEG_LOG_LEVEL = "OPENCV_FFMPEG_LOGLEVEL"
FFMPEG_QUIET = "-8"  # AV_LOG_QUIET


class OneLineFormatter(logging.Formatter):
    """``rtseg: warning: message`` — the same shape as the error lines."""

    def format(self, record: logging.LogRecord) -> str:
        record.levelname_lower = record.levelname.lower()
        return super().format(record)


class BarSafeHandler(logging.StreamHandler):
    """Writes each record through tqdm, so a warning never lands behind a progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=self.stream)
        except Exception:
            self.handleError(record)


def configure_logging(verbose: bool) -> None:
    """One-line log records on stderr; OpenCV's and FFmpeg's own native logs only with
    ``--verbose`` (their multi-line reports, e.g. on every reconnect attempt or damaged packet,
    would bury the one line rtseg prints for the same problem)."""
    cv2.utils.logging.setLogLevel(
        cv2.utils.logging.LOG_LEVEL_WARNING if verbose else cv2.utils.logging.LOG_LEVEL_SILENT
    )
    if verbose:
        av.logging.restore_default_callback()  # PyAV's FFmpeg: silent unless asked
    else:
        os.environ.setdefault(FFMPEG_LOG_LEVEL, FFMPEG_QUIET)  # read when a capture first opens
    handler = BarSafeHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter("rtseg: %(levelname_lower)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
