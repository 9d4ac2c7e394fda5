"""The analytics tests' real clip with exactly known crossings and stays, built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtseg import Segmenter
from tests.analytics import clip
from tests.conftest import FP32_MODEL, SHARED, require_shared

MEDIA = SHARED / "media"


@pytest.fixture(scope="session")
def segmenter() -> Segmenter:
    return Segmenter(require_shared(FP32_MODEL), device="cpu")


@pytest.fixture(scope="session")
def known_clip(segmenter: Segmenter, tmp_path_factory: pytest.TempPathFactory) -> Path:
    sources = [MEDIA / "bridge-traffic-640x360.mp4", MEDIA / "crowd-overhead-1280x720.mp4"]
    still = MEDIA / "highway_normal_1.png"
    for path in (*sources, still):
        require_shared(path)
    target = tmp_path_factory.mktemp("clip") / "known.avi"
    return clip.build_clip(segmenter, *sources, still, target)
