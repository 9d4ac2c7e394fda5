"""A container zoo: the files users bring, made from the shared clip with ffmpeg at test time, and
what FFmpeg and OpenCV decode from them (the references rtseg is held to).

Each entry is the ffmpeg output options that turn the clip's first frames into that kind of file:
AVI (H.264 without timestamps, MPEG-4 Part 2 with B-frames, MJPEG), Matroska, QuickTime,
WebM (VP9), MPEG-TS, FLV, HEVC in MP4, a raw H.264 stream, a variable-frame-rate MP4 (frames
dropped and timestamps jittered, as phones record), an MP4 whose timestamps start at 3.5 s, and
MP4s with a display rotation (a phone held upright).
"""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path

import cv2
import numpy as np

from tests.damage import FFMPEG_TIMEOUT_S, ffmpeg

X264 = ("-c:v", "libx264", "-preset", "veryfast")
# Timestamps as a phone writes them: steps of 40 ms with jitter, and a 100 ms stall after frame 30.
PHONE_TIMES = "setpts='(N*40+if(mod(N\\,3)\\,0\\,15)+if(gt(N\\,30)\\,100\\,0))/1000/TB'"
DROPPED = "select='not(eq(n\\,32)+eq(n\\,33)+eq(n\\,34)+eq(n\\,37))'"  # frames a camera dropped

ZOO: dict[str, tuple[str, ...]] = {
    "h264.avi": X264,
    "mpeg4-bframes.avi": ("-c:v", "mpeg4", "-bf", "2"),
    "mjpeg.avi": ("-c:v", "mjpeg"),
    "h264.mkv": ("-c", "copy"),
    "h264.mov": ("-c", "copy"),
    "vp9.webm": ("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "1M"),
    "h264.ts": ("-c", "copy"),
    "h264.flv": ("-c", "copy"),
    "hevc.mp4": ("-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"),
    "raw.h264": ("-c", "copy", "-bsf:v", "h264_mp4toannexb"),
    "dropped-frames.mp4": ("-vf", DROPPED, "-fps_mode", "vfr", *X264),
    "phone-vfr.mp4": (
        "-vf", PHONE_TIMES, "-fps_mode", "passthrough", "-video_track_timescale", "1000", *X264
    ),
    "offset.mp4": ("-c", "copy", "-output_ts_offset", "3.5"),
    "rotated-90.mp4": ("-c", "copy", "-metadata:s:v:0", "rotate=90"),
    "rotated-180.mp4": ("-c", "copy", "-metadata:s:v:0", "rotate=180"),
    "rotated-270.mp4": ("-c", "copy", "-metadata:s:v:0", "rotate=270"),
}  # fmt: skip


def make(name: str, clip: Path, folder: Path) -> Path:
    """The zoo file ``name``, made from ``clip`` (H.264 MP4) into ``folder``."""
    target = folder / name
    ffmpeg("-i", clip, "-an", *ZOO[name], target)
    return target


@functools.cache
def probe(path: Path) -> dict:
    """What FFmpeg decodes from ``path``'s video: ``frames`` (``ffprobe -count_frames``) and
    the ``size`` players show (coded size, turned by the display rotation); asked once per
    file (the files are not changed after they are made)."""
    done = subprocess.run(
        [
            "ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-of", "json",
            "-show_entries", "stream=nb_read_frames,width,height:stream_side_data=rotation",
            str(path),
        ],
        check=True, capture_output=True, text=True, timeout=FFMPEG_TIMEOUT_S,
    )  # fmt: skip
    stream = json.loads(done.stdout)["streams"][0]
    rotation = next((side["rotation"] for side in stream.get("side_data_list", [])), 0)
    size = (stream["width"], stream["height"])
    return {"frames": int(stream["nb_read_frames"]), "size": size[::-1] if rotation % 180 else size}


def opencv_frames(path: Path) -> tuple[int, tuple[int, int] | None]:
    """How many frames ``cv2.VideoCapture`` decodes from ``path``, and their (width, height)."""
    capture = cv2.VideoCapture(str(path))
    count, size = 0, None
    while True:
        ok, image = capture.read()
        if not ok:
            break
        count, size = count + 1, (image.shape[1], image.shape[0])
    capture.release()
    return count, size


def ffmpeg_frame(path: Path, number: int) -> np.ndarray:
    """Frame ``number`` (in decoding order) as the ``ffmpeg`` command decodes it: BGR, turned
    upright by its display rotation, as players show it."""
    size = probe(path)["size"]
    done = subprocess.run(
        [
            "ffmpeg", "-v", "error", "-i", str(path), "-vf", f"select=eq(n\\,{number})",
            "-fps_mode", "passthrough", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "bgr24",
            "-",
        ],
        check=True, capture_output=True, timeout=FFMPEG_TIMEOUT_S,
    )  # fmt: skip
    return np.frombuffer(done.stdout, np.uint8).reshape(size[1], size[0], 3)
