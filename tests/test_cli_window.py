"""``rtseg run --show`` under a real X server (Xvfb): the annotated frames on the screen at the
frame's size, a clean exit at the end of input, q / Esc / closing the window / Ctrl-C stopping
the run, and one warning where the display cannot be reached. Time limits are hang guards."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.conftest import SHARED, require_shared
from tests.test_cli import clean_env, rtseg_command, run_args
from tests.waiting import wait_until
from tests.xserver import XServer, require_xvfb

HANG_GUARD_S = 300.0
CLIP_FRAMES = 221
CLIP_SIZE = (960, 540)
TITLE = "highway-dashcam"  # the window is titled after the source
QT_THREAD_WARNINGS = ("QObject", "QBasicTimer", "thread")
SAME = 12  # per-pixel difference of the same picture decoded twice (colour conversion)
DRAWN = 40  # per-pixel difference of something drawn over the picture
LABEL_ROOM = (8, 40, 140, 8)  # around a box (left, top, right, bottom): its label, its outline
GRABS = 4  # screen grabs a second apart, from the first frame painted
GRAB_POLL_S = 0.5  # between grabs waiting for the first frame: each one runs ffmpeg, which
# competes with the run and the X server for the CPU
PICTURE_COLOURS = 100  # a window not painted yet is flat (Qt's grey, black); a frame has ~27000


@pytest.fixture(autouse=True)
def x_tools() -> None:
    require_xvfb()


def start(x: XServer, tmp_path: Path, *args: object) -> subprocess.Popen:
    with (tmp_path / "stderr.txt").open("w") as stderr:
        return subprocess.Popen(
            rtseg_command(*args),
            cwd=tmp_path,
            env=x.env(clean_env()),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def open_window(x: XServer, process: subprocess.Popen, size: tuple[int, int]) -> tuple:
    """The preview window's (id, geometry), once it is mapped at ``size``."""

    def sized() -> tuple | None:
        for window in x.windows(TITLE):
            geometry = x.geometry(window)
            if geometry[2:] == size:
                return window, geometry
        return None

    return wait_until(sized, HANG_GUARD_S, f"a {size} window", lambda: process.poll() is None)


def colours(image: np.ndarray) -> int:
    """How many different colours ``image`` holds."""
    return len(np.unique(image.astype(np.uint32) @ np.array([1, 1 << 8, 1 << 16], np.uint32)))


def screen_grabs(x: XServer, process: subprocess.Popen, geometry: tuple) -> list[np.ndarray]:
    """Up to ``GRABS`` grabs of the window at ``geometry`` a second apart, from the first one
    that shows a picture: on a slow machine the window is mapped well before its first frame
    is painted, so a grab a fixed time after mapping can show it still blank. A grab counts only
    if the window is still on the screen after it (the run's end takes it off)."""

    def picture() -> list[np.ndarray]:
        grab = x.grab(*geometry)
        return [grab] if colours(grab) > PICTURE_COLOURS else []

    def alive() -> bool:
        return process.poll() is None

    grabs = wait_until(picture, HANG_GUARD_S, "a frame painted in the window", alive, GRAB_POLL_S)
    while len(grabs) < GRABS and alive():
        time.sleep(1.0)
        grab = x.grab(*geometry)
        if not x.windows(TITLE):
            break
        grabs.append(grab)
    return grabs


def clip_frames(clip: Path) -> list[np.ndarray]:
    with av.open(str(clip)) as container:
        return [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]


def thumbnail(image: np.ndarray) -> np.ndarray:
    return cv2.resize(image, (120, 68), interpolation=cv2.INTER_AREA).astype(np.int16)


def drawn_pixels(grab: np.ndarray, frames: list[np.ndarray], records: list[dict]) -> tuple:
    """Match ``grab`` to the clip frame it shows; (pixels drawn over it near its detections,
    drawn elsewhere, share of the picture unchanged)."""
    thumbs = np.stack([thumbnail(frame) for frame in frames])
    index = int(np.abs(thumbs - thumbnail(grab)).mean(axis=(1, 2, 3)).argmin())
    difference = np.abs(frames[index].astype(np.int16) - grab.astype(np.int16)).max(axis=2)
    drawn = difference > DRAWN
    near = np.zeros_like(drawn)
    left, top, right, bottom = LABEL_ROOM
    for detection in records[index]["detections"]:
        x1, y1, x2, y2 = (round(value) for value in detection["box_xyxy"])
        near[max(0, y1 - top) : y2 + bottom, max(0, x1 - left) : x2 + right] = True
    return int(drawn[near].sum()), int(drawn[~near].sum()), float((difference <= SAME).mean())


def test_show_puts_annotated_frames_on_screen_and_exits_at_the_end(
    tmp_path, fp32_model, highway_clip
):
    jsonl = tmp_path / "out.jsonl"
    with XServer() as x:
        process = start(
            x, tmp_path, *run_args(highway_clip, fp32_model, "--show", "--jsonl", jsonl)
        )
        try:
            _, geometry = open_window(x, process, CLIP_SIZE)
            grabs = screen_grabs(x, process, geometry)
            returncode = process.wait(HANG_GUARD_S)  # a hang fails here
        finally:
            process.kill()
    stderr = (tmp_path / "stderr.txt").read_text()
    assert returncode == 0, stderr
    assert not [word for word in QT_THREAD_WARNINGS if word in stderr], stderr
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [record["frame"] for record in records] == list(range(CLIP_FRAMES))

    frames = clip_frames(highway_clip)
    annotated = 0
    for grab in grabs:
        near, elsewhere, unchanged = drawn_pixels(grab, frames, records)
        assert unchanged > 0.95  # the clip's picture, pixel for pixel: not scaled, not cropped
        assert elsewhere <= 50  # nothing drawn away from the detections
        annotated += near > 200  # boxes, labels and masks drawn on the detections
    assert annotated, "no grab showed the detections drawn"


@pytest.mark.parametrize(
    ("stop", "screen", "size", "options"),
    [
        ("q", (1920, 1080), CLIP_SIZE, ["--realtime"]),
        ("Escape", (800, 600), (720, 405), []),  # 0.9 of the screen at most
        ("close", (1920, 1080), CLIP_SIZE, []),
        ("ctrl-c", (1920, 1080), CLIP_SIZE, []),
    ],
)
def test_the_user_stops_the_run_from_the_window(
    tmp_path, fp32_model, highway_clip, stop, screen, size, options
):
    jsonl = tmp_path / "out.jsonl"
    with XServer(screen) as x:
        process = start(
            x, tmp_path, *run_args(highway_clip, fp32_model, "--show", "--jsonl", jsonl, *options)
        )
        try:
            window, _ = open_window(x, process, size)
            wait_until(
                lambda: jsonl.exists() and jsonl.read_text().count("\n") >= 5,
                HANG_GUARD_S,
                "frames",
                lambda: process.poll() is None,
            )
            if stop == "close":
                x.close_window(window)
            elif stop == "ctrl-c":
                process.send_signal(signal.SIGINT)
            else:
                x.key(window, stop)
            returncode = process.wait(HANG_GUARD_S)
            assert not x.windows(TITLE)  # the window is gone with the program
        finally:
            process.kill()
    stderr = (tmp_path / "stderr.txt").read_text()
    assert returncode == (128 + signal.SIGINT if stop == "ctrl-c" else 0), stderr
    assert "(stopped early)" in stderr
    assert not [word for word in QT_THREAD_WARNINGS if word in stderr], stderr
    assert 5 <= jsonl.read_text().count("\n") < CLIP_FRAMES


def test_an_unreachable_display_costs_one_warning_and_nothing_else(tmp_path, fp32_model):
    still = require_shared(SHARED / "media" / "highway_normal_1.png")
    with XServer() as gone:
        pass  # its display number now has no server behind it
    jsonl = tmp_path / "out.jsonl"
    with (tmp_path / "stderr.txt").open("w") as stderr:
        done = subprocess.run(
            rtseg_command(*run_args(still, fp32_model, "--show", "--jsonl", jsonl)),
            cwd=tmp_path,
            env=gone.env(clean_env()),
            stderr=stderr,
            stdout=subprocess.DEVNULL,
            timeout=HANG_GUARD_S,
        )
    lines = (tmp_path / "stderr.txt").read_text().splitlines()
    assert done.returncode == 0, lines
    warnings = [line for line in lines if "warning" in line]
    assert warnings == [
        f"rtseg: warning: preview window disabled: cannot connect to X display {gone.display}"
    ]
    assert not [line for line in lines if line.startswith("qt.")]
    assert len(jsonl.read_text().splitlines()) == 1
