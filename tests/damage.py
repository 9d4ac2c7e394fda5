"""Really damaged inputs, built from the shared media at test time, and what FFmpeg makes of them.

* :func:`garbage_in_the_middle`: random bytes written over the middle of a file (flash wear);
* :func:`cut_fragmented`: a fragmented MP4 copy cut short (power lost while recording);
* :func:`with_keyframes`: a copy re-encoded with a key frame every second, as cameras record,
  so that damage stops spreading at the next key frame;
* :func:`remuxed`: the same video in another container (Matroska, MPEG-TS);
* :func:`first_frames`: a short copy, for tests whose point does not need the whole clip;
* :func:`ffmpeg_frame_numbers`: the source frame numbers FFmpeg's own ``ffprobe`` decodes from
  a file (the reference the reader is held to).
"""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np

GARBAGE_BYTES = 30_000
GARBAGE_SEED = 12
FFMPEG_TIMEOUT_S = 120


def garbage_in_the_middle(source: Path, target: Path, size: int = GARBAGE_BYTES) -> Path:
    """A copy of ``source`` with ``size`` random bytes (fixed seed) over its middle."""
    data = bytearray(source.read_bytes())
    start = (len(data) - size) // 2
    data[start : start + size] = np.random.default_rng(GARBAGE_SEED).bytes(size)
    target.write_bytes(bytes(data))
    return target


def cut_fragmented(source: Path, target: Path, keep: float = 0.6) -> Path:
    """A fragmented MP4 copy of ``source`` (streams copied, not re-encoded) cut after ``keep``
    of its bytes."""
    whole = target.with_name(f"whole-{target.name}")
    ffmpeg("-i", source, "-c", "copy", "-movflags", "frag_keyframe+empty_moov", whole)
    data = whole.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def with_keyframes(source: Path, target: Path, every: int = 25) -> Path:
    """``source`` re-encoded (H.264, no audio) with a key frame every ``every`` frames."""
    ffmpeg("-i", source, "-an", "-c:v", "libx264", "-preset", "veryfast", "-g", every, target)
    return target


def first_frames(source: Path, target: Path, count: int) -> Path:
    """The first ``count`` frames of ``source``, re-encoded (H.264, no audio) at its frame rate."""
    ffmpeg(
        "-i", source, "-an", "-frames:v", count, "-c:v", "libx264", "-preset", "veryfast", target
    )
    return target


def remuxed(source: Path, target: Path) -> Path:
    """``source``'s video, copied as is into the container ``target``'s suffix names."""
    ffmpeg("-i", source, "-an", "-c", "copy", target)
    return target


def ffmpeg(*args: object) -> None:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *map(str, args)],
        check=True,
        capture_output=True,
        timeout=FFMPEG_TIMEOUT_S,
    )


def ffmpeg_frame_numbers(path: Path) -> list[int]:
    """Source frame numbers of the frames ``ffprobe`` decodes from ``path``'s video: their
    presentation time from the stream's start, times its frame rate."""
    probe = subprocess.run(
        [
            "ffprobe", "-v", "quiet", "-select_streams", "v:0", "-of", "json",
            "-show_entries", "stream=start_pts,time_base,avg_frame_rate:frame=pts", str(path),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=FFMPEG_TIMEOUT_S,
    )  # fmt: skip
    facts = json.loads(probe.stdout)
    stream = facts["streams"][0]
    seconds = Fraction(stream["time_base"])
    rate = Fraction(stream["avg_frame_rate"])
    start = stream.get("start_pts", 0)
    return [round((frame["pts"] - start) * seconds * rate) for frame in facts["frames"]]


def stretches(missing: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive numbers: [3, 4, 5, 9] → [(3, 5), (9, 9)]."""
    runs: list[tuple[int, int]] = []
    for number in sorted(missing):
        if runs and number == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


def stretch_text(first: int, last: int) -> str:
    """How rtseg names a stretch of frames: ``frame 7``, or ``frames 104-108`` with an en dash."""
    return f"frame {first}" if first == last else f"frames {first}\u2013{last}"
