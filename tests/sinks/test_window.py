"""WindowSink's parts that need no window: whether one can open (probed on a real Xvfb), its
size on the screen, the one-slot handoff, and one warning when it cannot open. What the window
shows and how it stops a run is tested end to end in tests/test_cli_window.py."""

from __future__ import annotations

import logging

import cv2
import numpy as np
import supervision as sv

from rtseg.sinks import WindowSink
from rtseg.sinks import window as window_module
from rtseg.sinks.display import display_problem, fit_to_screen, screen_size
from rtseg.sources import Frame
from tests.xserver import XServer, require_xvfb

FRAME = Frame(0, np.zeros((24, 32, 3), dtype=np.uint8), 0.0, 0.0)


def test_a_display_must_be_reachable_for_qt():
    require_xvfb()
    with XServer((800, 600)) as x:
        assert display_problem("linux", {"DISPLAY": x.display}, "QT") is None
    assert display_problem("linux", {"DISPLAY": x.display}, "QT") == (
        f"cannot connect to X display {x.display}"
    )
    assert display_problem("linux", {}, "QT") == "no display (DISPLAY is unset)"
    # opencv-python's Qt has no Wayland plugin: Wayland alone is no display for it
    assert display_problem("linux", {"WAYLAND_DISPLAY": "wayland-0"}, "QT") is not None
    assert display_problem("linux", {"WAYLAND_DISPLAY": "wayland-0"}, "GTK3") is None
    assert display_problem("win32", {}, "WIN32") is None


def test_screen_size_comes_from_the_x_server(monkeypatch):
    require_xvfb()
    with XServer((800, 600)) as x:
        monkeypatch.setenv("DISPLAY", x.display)
        assert screen_size() == (800, 600)


def test_windows_open_at_frame_size_scaled_down_only_to_fit():
    assert fit_to_screen(960, 540, (1920, 1080)) == (960, 540)
    assert fit_to_screen(960, 540, (800, 600)) == (720, 405)  # 0.9 of the width
    assert fit_to_screen(1920, 1280, (1920, 1080)) == (1458, 972)  # 0.9 of the height
    assert fit_to_screen(4000, 3000, None) == (4000, 3000)  # unknown screen: as is


def test_without_display_warns_once_and_does_nothing(monkeypatch, caplog):
    monkeypatch.delenv("DISPLAY", raising=False)
    with caplog.at_level(logging.WARNING):
        sink = WindowSink("preview")
        for _ in range(3):
            sink.write(FRAME, FRAME.image, sv.Detections.empty())
            sink.pump()
        sink.close()
    assert [record.message for record in caplog.records] == [
        "preview window disabled: no display (DISPLAY is unset)"
    ]
    assert not sink.stop_requested
    assert not sink.needs_annotation  # the pipeline need not draw for a window nobody sees


def test_a_gui_error_disables_the_window_with_one_line(monkeypatch, caplog):
    """As with opencv-python-headless, whose HighGUI calls all raise."""

    def no_gui(*args: object) -> None:
        raise cv2.error("OpenCV(5.0.0) window.cpp:1: error: no GUI backend\n")

    monkeypatch.setattr(window_module, "display_problem", lambda: None)
    monkeypatch.setattr(window_module.cv2, "namedWindow", no_gui)
    with caplog.at_level(logging.WARNING):
        sink = WindowSink()
        for _ in range(2):
            sink.write(FRAME, None, sv.Detections.empty())
            sink.pump()
    assert [record.message for record in caplog.records] == [
        "preview window disabled: OpenCV(5.0.0) window.cpp:1: error: no GUI backend"
    ]
    assert not sink.stop_requested and not sink.needs_annotation
