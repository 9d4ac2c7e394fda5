"""A real X server (Debian's Xvfb) for the preview-window tests, and what the tests do with it:
find a window and its geometry (xdotool, xwininfo), grab the screen (ffmpeg's x11grab), press
keys (xdotool) and close a window the way a window manager's close button does (Xlib)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import select
import shutil
import subprocess

import numpy as np
import pytest

from tests.waiting import wait_until

SCREEN = (1920, 1080)
START_GUARD_S = 30.0  # hang guards only
TOOLS = ("Xvfb", "xdotool", "xwininfo", "ffmpeg")


def require_xvfb() -> None:
    """Fail in CI when the X tools are missing, skip locally with a reason."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    message = f"{', '.join(missing)} not installed (bash scripts/setup.sh test installs them)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide {message}")
    pytest.skip(message)


class XServer:
    """Xvfb on a display number it picks itself (``-displayfd``), for a ``with`` block."""

    def __init__(self, screen: tuple[int, int] = SCREEN) -> None:
        self.screen = screen
        self.display = ""
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> XServer:
        read_end, write_end = os.pipe()
        width, height = self.screen
        command = [
            *("Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{width}x{height}x24"),
            *("-nolisten", "tcp", "-noreset"),  # noreset: no restart as the last client leaves
        ]
        self._process = subprocess.Popen(
            command,
            pass_fds=(write_end,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write_end)
        said = b""
        try:  # Xvfb writes the number, then a newline: a pipe closed before that kills it
            while not said.endswith(b"\n"):
                ready, _, _ = select.select([read_end], [], [], START_GUARD_S)
                chunk = os.read(read_end, 64) if ready else b""
                assert chunk, "Xvfb did not start"
                said += chunk
        finally:
            os.close(read_end)
        number = said.decode().strip()
        assert number.isdigit(), "Xvfb did not say its display number"
        self.display = f":{number}"
        wait_until(self._accepts_clients, START_GUARD_S, f"Xvfb {self.display} to accept clients")
        return self

    def _accepts_clients(self) -> bool:
        command = ["xwininfo", "-root", "-display", self.display]
        return subprocess.run(command, capture_output=True, timeout=START_GUARD_S).returncode == 0

    def __exit__(self, *exc_info: object) -> None:
        assert self._process is not None
        self._process.terminate()
        self._process.wait(START_GUARD_S)

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """``base`` with DISPLAY set to this server."""
        return {**base, "DISPLAY": self.display}

    def _run(self, *command: str) -> str:
        done = subprocess.run(
            command,
            env=self.env(dict(os.environ)),
            capture_output=True,
            text=True,
            timeout=START_GUARD_S,
        )
        return done.stdout

    def windows(self, title: str) -> list[int]:
        """Ids of the mapped windows whose title contains ``title``."""
        found = self._run("xdotool", "search", "--onlyvisible", "--name", re.escape(title))
        return [int(line) for line in found.split()]

    def geometry(self, window: int) -> tuple[int, int, int, int]:
        """(x, y, width, height) of ``window`` on the screen."""
        info = self._run("xwininfo", "-id", str(window))
        fields = dict(
            re.findall(r"^\s*(Absolute upper-left [XY]|Width|Height):\s*(-?\d+)", info, re.M)
        )
        return (
            int(fields["Absolute upper-left X"]),
            int(fields["Absolute upper-left Y"]),
            int(fields["Width"]),
            int(fields["Height"]),
        )

    def grab(self, x: int, y: int, width: int, height: int) -> np.ndarray:
        """The screen's pixels in that rectangle, as a BGR image."""
        command = [
            *("ffmpeg", "-loglevel", "error", "-f", "x11grab", "-draw_mouse", "0"),
            *("-video_size", f"{width}x{height}"),
            *("-i", f"{self.display}+{x},{y}", "-frames:v", "1"),
            *("-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:"),
        ]
        done = subprocess.run(
            command,
            capture_output=True,
            timeout=START_GUARD_S,
            check=True,
        )
        return np.frombuffer(done.stdout, np.uint8).reshape(height, width, 3)

    def key(self, window: int, key: str) -> None:
        """Press and release ``key`` (an X keysym name: q, Escape) in ``window``."""
        self._run("xdotool", "key", "--window", str(window), key)

    def close_window(self, window: int) -> None:
        """Ask ``window``'s program to close it (WM_DELETE_WINDOW), as a window manager does
        when its close button is clicked (Xvfb runs none)."""
        xlib = ctypes.CDLL(ctypes.util.find_library("X11"))
        xlib.XOpenDisplay.restype = ctypes.c_void_p
        xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
        xlib.XInternAtom.restype = ctypes.c_ulong
        xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        xlib.XSendEvent.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.c_int,
            ctypes.c_long,
            ctypes.c_void_p,
        ]
        for function in (xlib.XFlush, xlib.XCloseDisplay):
            function.argtypes = [ctypes.c_void_p]
        connection = xlib.XOpenDisplay(self.display.encode())
        assert connection, f"cannot connect to {self.display}"
        try:
            event = ClientMessage(
                type=CLIENT_MESSAGE,
                send_event=1,
                display=connection,
                window=window,
                message_type=xlib.XInternAtom(connection, b"WM_PROTOCOLS", 0),
                format=32,
            )
            event.data[0] = xlib.XInternAtom(connection, b"WM_DELETE_WINDOW", 0)
            assert xlib.XSendEvent(connection, window, 0, 0, ctypes.byref(event))
            xlib.XFlush(connection)
        finally:
            xlib.XCloseDisplay(connection)


CLIENT_MESSAGE = 33


class ClientMessage(ctypes.Structure):
    """Xlib's XClientMessageEvent, padded to the size of an XEvent (24 longs)."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
        ("padding", ctypes.c_long * 24),
    ]
