"""WindowSink: no display means one warning and a no-op; keys and closing request a stop."""

from __future__ import annotations

import logging

import numpy as np
import supervision as sv

from rtseg.sinks import WindowSink
from rtseg.sinks import window as window_module
from rtseg.sinks.window import display_available
from rtseg.sources import Frame

FRAME = Frame(0, np.zeros((24, 32, 3), dtype=np.uint8), 0.0, 0.0)


def test_display_detection():
    assert not display_available("linux", {})
    assert display_available("linux", {"DISPLAY": ":0"})
    assert display_available("linux", {"WAYLAND_DISPLAY": "wayland-0"})
    assert display_available("win32", {})


def test_without_display_warns_once_and_does_nothing(monkeypatch, caplog):
    monkeypatch.setattr(window_module, "display_available", lambda: False)
    with caplog.at_level(logging.WARNING):
        sink = WindowSink("preview")
        for _ in range(3):
            sink.write(FRAME, FRAME.image, sv.Detections.empty())
        sink.close()
    assert len(caplog.records) == 1 and "no display" in caplog.records[0].message
    assert "\n" not in caplog.records[0].message
    assert not sink.stop_requested
    assert not sink.needs_annotation  # the pipeline need not draw for a window nobody sees


class FakeHighGui:
    """Stands in for cv2's window calls (no display exists here)."""

    def __init__(self, keys: list[int], visible: float = 1.0, fail: bool = False) -> None:
        self.keys, self.visible, self.fail, self.shown = keys, visible, fail, 0

    def install(self, monkeypatch) -> None:
        monkeypatch.setattr(window_module, "display_available", lambda: True)
        for name in ("namedWindow", "imshow", "waitKey", "getWindowProperty", "destroyWindow"):
            monkeypatch.setattr(window_module.cv2, name, getattr(self, name))

    def namedWindow(self, title, flags):
        if self.fail:
            raise window_module.cv2.error("OpenCV(5.0.0) window.cpp:1: error: no GUI backend\n")

    def imshow(self, title, image):
        self.shown += 1

    def waitKey(self, delay):
        return self.keys.pop(0) if self.keys else -1

    def getWindowProperty(self, title, prop):
        return self.visible

    def destroyWindow(self, title):
        pass


def test_q_or_escape_requests_stop(monkeypatch):
    for key in (ord("q"), 27):
        gui = FakeHighGui([-1, key])
        gui.install(monkeypatch)
        sink = WindowSink()
        sink.write(FRAME, None, sv.Detections.empty())
        assert not sink.stop_requested
        sink.write(FRAME, None, sv.Detections.empty())
        assert sink.stop_requested
        sink.close()


def test_closing_the_window_requests_stop(monkeypatch):
    gui = FakeHighGui([])
    gui.install(monkeypatch)
    sink = WindowSink()
    sink.write(FRAME, None, sv.Detections.empty())
    gui.visible = 0.0
    sink.write(FRAME, None, sv.Detections.empty())
    assert sink.stop_requested and gui.shown == 1


def test_gui_errors_disable_the_window_with_one_line(monkeypatch, caplog):
    FakeHighGui([], fail=True).install(monkeypatch)
    with caplog.at_level(logging.WARNING):
        sink = WindowSink()
        sink.write(FRAME, None, sv.Detections.empty())
        sink.write(FRAME, None, sv.Detections.empty())
    assert [r.message for r in caplog.records] == [
        "preview window disabled: OpenCV(5.0.0) window.cpp:1: error: no GUI backend"
    ]
