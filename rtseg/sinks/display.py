"""Whether a preview window can open here, and the screen's size so it opens at its frame's size
yet fits.

OpenCV's Qt backend (the one opencv-python ships on Linux) reaches the screen through X11 only
and aborts the whole process when it cannot connect, so a display is probed with Xlib first (Qt
links Xlib, so it is there wherever a window can open). HighGUI has no call for the screen's
size (a fullscreen probe needs a window manager), so it is asked from Xlib too, or user32 on
Windows; elsewhere it is unknown and the window system keeps windows on screen (macOS does).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from collections.abc import Mapping

import cv2

SCREEN_SHARE = 0.9  # of the screen a window may take: room for title bars, panels and docks


def display_problem(
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
    framework: str | None = None,
) -> str | None:
    """Why no window can open here (one line), or None when one can. Only Linux is checked:
    Qt needs an X server it can connect to, GTK an X11 or Wayland display."""
    if not platform.startswith("linux"):
        return None
    framework = cv2.currentUIFramework() if framework is None else framework
    x_display = environ.get("DISPLAY")
    if framework.upper().startswith("GTK") and environ.get("WAYLAND_DISPLAY"):
        return None
    if not x_display:
        return "no display (DISPLAY is unset)"
    if x11_screen_size(x_display) is None:
        return f"cannot connect to X display {x_display}"
    return None


def screen_size() -> tuple[int, int] | None:
    """(width, height) of the default screen in pixels, or None when it cannot be found."""
    if sys.platform == "win32":
        user32 = ctypes.WinDLL("user32")
        return user32.GetSystemMetrics(0), user32.GetSystemMetrics(1)  # SM_CX/CYSCREEN
    if x_display := os.environ.get("DISPLAY"):
        return x11_screen_size(x_display)
    return None


def x11_screen_size(x_display: str) -> tuple[int, int] | None:
    """The default screen's size on X display ``x_display``; None when it cannot be reached."""
    name = ctypes.util.find_library("X11")
    if name is None:
        return None
    try:
        xlib = ctypes.CDLL(name)
    except OSError:
        return None
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    for function in (xlib.XDefaultScreen, xlib.XCloseDisplay):
        function.argtypes = [ctypes.c_void_p]
    for function in (xlib.XDisplayWidth, xlib.XDisplayHeight):
        function.argtypes = [ctypes.c_void_p, ctypes.c_int]
    connection = xlib.XOpenDisplay(x_display.encode())
    if not connection:
        return None
    try:
        screen = xlib.XDefaultScreen(connection)
        return xlib.XDisplayWidth(connection, screen), xlib.XDisplayHeight(connection, screen)
    finally:
        xlib.XCloseDisplay(connection)


def fit_to_screen(
    width: int, height: int, screen: tuple[int, int] | None, share: float = SCREEN_SHARE
) -> tuple[int, int]:
    """``width`` x ``height``, scaled down (keeping the aspect ratio) only when it would take
    more than ``share`` of ``screen`` in either direction; unchanged when ``screen`` is None."""
    if screen is None:
        return width, height
    scale = min(1.0, share * screen[0] / width, share * screen[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))
