"""Live preview in an OpenCV window; degrades to a no-op (one warning) where there is no display.

'q' or Esc in the window, or closing it, sets ``stop_requested`` for the pipeline to poll.
HighGUI must be driven from one thread: call write/close from the same thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Mapping

import cv2
import numpy as np
import supervision as sv

from rtseg.sources import Frame

logger = logging.getLogger(__name__)

STOP_KEYS = frozenset({ord("q"), ord("Q"), 27})  # 27 = Esc


def display_available(
    platform: str = sys.platform, environ: Mapping[str, str] = os.environ
) -> bool:
    """False on Linux without an X11 or Wayland display (where opening a window would fail)."""
    if not platform.startswith("linux"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


class WindowSink:
    """Shows each (annotated) frame in a resizable window titled ``title``."""

    needs_annotation = True

    def __init__(self, title: str = "rtseg") -> None:
        self.title = title
        self.stop_requested = False
        self._enabled = True
        self._shown = False
        if not display_available():
            self._disable("no display (DISPLAY and WAYLAND_DISPLAY are unset)")

    def _disable(self, reason: str) -> None:
        logger.warning("preview window disabled: %s", reason)
        self._enabled = False
        self.needs_annotation = False  # nothing to show: spare the pipeline the drawing

    def write(self, frame: Frame, annotated: np.ndarray | None, detections: sv.Detections) -> None:
        if not self._enabled or self.stop_requested:
            return
        try:
            if self._shown and cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
                self.stop_requested = True  # closed by the user
                return
            if not self._shown:
                cv2.namedWindow(self.title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO)
                self._shown = True
            cv2.imshow(self.title, frame.image if annotated is None else annotated)
            key = cv2.waitKey(1)
        except cv2.error as exc:
            self._disable(str(exc).strip().splitlines()[-1])
            return
        if (key & 0xFF) in STOP_KEYS:
            self.stop_requested = True

    def close(self) -> None:
        """Close the window if one was opened; idempotent."""
        if self._shown:
            self._shown = False
            with contextlib.suppress(cv2.error):  # the user may have closed it already
                cv2.destroyWindow(self.title)
                cv2.waitKey(1)
