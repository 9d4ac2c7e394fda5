"""Shared test fixtures: the third-party models and media that live in ../shared, and copies
made from them once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.damage import ffmpeg_frame_numbers, first_frames, with_keyframes

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FP32_MODEL = SHARED / "models" / "yolov8n-seg-fp32-320.onnx"
INT8_MODEL = SHARED / "models" / "yolov8n-seg-int8-320.onnx"
HIGHWAY_CLIP = SHARED / "media" / "highway-dashcam-960x540.mp4"
KEYFRAMES_EVERY = 25  # frames between the key frames of keyed_clip: one a second
SHORT_CLIP_FRAMES = 50  # short_clip: the clip's first 2 s


def require_shared(path: Path) -> Path:
    """Return a ../shared path; fail loudly in CI when it is missing, skip locally with a reason."""
    if path.exists():
        return path
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide {path} (../shared beside the repo)")
    pytest.skip(f"{path} not present (../shared is absent and CI is unset)")


@pytest.fixture
def fp32_model() -> Path:
    return require_shared(FP32_MODEL)


@pytest.fixture
def int8_model() -> Path:
    return require_shared(INT8_MODEL)


@pytest.fixture
def highway_clip() -> Path:
    return require_shared(HIGHWAY_CLIP)


@pytest.fixture(scope="session")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clip's first ``SHORT_CLIP_FRAMES`` frames (re-encoded, under the clip's own name), for
    tests whose point (every frame of the input handled, in order; outputs complete; pacing)
    does not need all 221 frames."""
    folder = tmp_path_factory.mktemp("short")
    clip = first_frames(require_shared(HIGHWAY_CLIP), folder / HIGHWAY_CLIP.name, SHORT_CLIP_FRAMES)
    assert ffmpeg_frame_numbers(clip) == list(range(SHORT_CLIP_FRAMES))
    return clip


@pytest.fixture(scope="session")
def keyed_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clip re-encoded with a key frame every second, as cameras record (tests/damage.py),
    made once for the tests that damage it."""
    folder = tmp_path_factory.mktemp("keyed")
    return with_keyframes(require_shared(HIGHWAY_CLIP), folder / "keyed.mp4", KEYFRAMES_EVERY)


@pytest.fixture(scope="session")
def encoded_highway_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the RTSP test server keeps its H.264 encoding of the clip between its starts (it
    writes it at its first start; tests/rtsp_server.py)."""
    return tmp_path_factory.mktemp("rtsp") / f"{HIGHWAY_CLIP.stem}.units"
