"""Live preview in an OpenCV window; degrades to a no-op (one warning) where no window can open.

GUI toolkits must be driven from one thread, the main one (Qt warns and hangs otherwise, macOS
refuses): :meth:`WindowSink.write`, called by the render thread, only hands the newest frame
over (never blocking, so the window cannot slow a recorded run down); :meth:`WindowSink.pump`
and :meth:`WindowSink.close`, called from the thread running the pipeline, make every HighGUI
call. 'q' or Esc in the window, or closing it, sets ``stop_requested``.
"""

from __future__ import annotations

import contextlib
import logging

import cv2
import numpy as np
import supervision as sv

from rtseg.handover import Handover
from rtseg.sinks.display import display_problem, fit_to_screen, screen_size
from rtseg.sources import Frame

logger = logging.getLogger(__name__)

STOP_KEYS = frozenset({ord("q"), ord("Q"), 27})  # 27 = Esc
# Frame-sized image area: no toolbar or status bar (Qt's would take room from the image).
WINDOW_FLAGS = cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL


class WindowSink:
    """Shows the (annotated) frames in a window titled ``title``, opened at the first frame's
    size (scaled down only to fit the screen) and resizable."""

    needs_annotation = True

    def __init__(self, title: str = "rtseg") -> None:
        self.title = title
        self.stop_requested = False
        self._enabled = True
        self._shown = False
        self._latest: Handover[np.ndarray] = Handover()  # the newest image only
        if problem := display_problem():
            self._disable(problem)

    def _disable(self, reason: str) -> None:
        logger.warning("preview window disabled: %s", reason)
        self._enabled = False
        self.needs_annotation = False  # nothing to show: spare the pipeline the drawing

    def write(self, frame: Frame, annotated: np.ndarray | None, detections: sv.Detections) -> None:
        """Hand the frame over to :meth:`pump` (any thread; never blocks)."""
        if self._enabled and not self.stop_requested:
            self._latest.offer(frame.image if annotated is None else annotated)

    def pump(self) -> None:
        """Show the newest frame handed over, if any, and handle the window's input: keys,
        closing, repainting. Call often, always from the same thread (the main one)."""
        if not self._enabled or self.stop_requested:
            return
        image = self._latest.take()
        try:
            if self._shown and cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
                self.stop_requested = True  # closed by the user
                return
            if image is not None:
                if not self._shown:
                    self._open(image.shape[1], image.shape[0])
                cv2.imshow(self.title, image)
            key = cv2.waitKey(1) if self._shown else -1
        except cv2.error as exc:
            if self._shown:  # Qt drops its window state once the user has closed the window
                self.stop_requested = True
            else:
                self._disable(str(exc).strip().splitlines()[-1])
            return
        if (key & 0xFF) in STOP_KEYS:
            self.stop_requested = True

    def _open(self, width: int, height: int) -> None:
        cv2.namedWindow(self.title, WINDOW_FLAGS)
        self._shown = True
        cv2.resizeWindow(self.title, *fit_to_screen(width, height, screen_size()))

    def close(self) -> None:
        """Close the window if one was opened (from :meth:`pump`'s thread); idempotent."""
        if self._shown:
            self._shown = False
            with contextlib.suppress(cv2.error):  # the user may have closed it already
                cv2.destroyWindow(self.title)
                cv2.waitKey(1)  # let the toolkit take the window off the screen
