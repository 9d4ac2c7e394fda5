"""Acceptance: headless Debian chromium (driven by playwright, tests/chromium.py) watches the
live view of the real pipeline chain (highway clip → Segmenter → Tracker → annotator →
LiveViewSink).

Needs the ``chromium`` Debian package and the ``playwright`` pip package (its own browser
downloads are not used). Saves ``live_view.png`` under ``tmp_path`` and ``runs/test-artifacts``.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from rtseg import Segmenter, Tracker
from rtseg.annotate import FrameAnnotator
from rtseg.serve import LiveViewSink
from rtseg.sources import open_source
from tests.chromium import headless_chromium
from tests.serve.helpers import raw_get
from tests.waiting import wait_until

ARTIFACTS = Path(__file__).resolve().parents[2] / "runs" / "test-artifacts"
TOKEN = "browser-test-token"
FEED_FPS = 25.0
WAIT_MS = 120_000  # generous bounds for a loaded CI machine; they guard, they do not measure


@pytest.fixture
def browser():
    with headless_chromium() as launched:
        yield launched


def feed(sink: LiveViewSink, clip: Path, model: Path, stop: threading.Event) -> None:
    """Segment, track and annotate the looping clip into ``sink``, at most ``FEED_FPS``."""
    segmenter = Segmenter(model, device="cpu")
    tracker = Tracker(frame_rate=FEED_FPS)
    annotator = FrameAnnotator(segmenter.names)
    with open_source(clip, loop=True) as source:
        for frame in source:
            if stop.is_set():
                return
            tracked = tracker.update(segmenter(frame.image))
            sink.write(frame, annotator.annotate(frame.image, tracked), tracked)
            stop.wait(max(0.0, frame.captured_at + 1 / FEED_FPS - time.monotonic()))


@pytest.fixture
def live(highway_clip, fp32_model):
    sink = LiveViewSink("127.0.0.1:0", token=TOKEN, status=lambda: {"dropped_frames": 0})
    stop = threading.Event()
    feeder = threading.Thread(target=feed, args=(sink, highway_clip, fp32_model, stop))
    feeder.start()
    yield sink
    stop.set()
    feeder.join()
    sink.close()


def stat(page, element_id: str) -> float:
    return float(page.inner_text(f"#{element_id}"))


def decoded(png: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR).astype(np.int16)


def test_browser_shows_the_live_annotated_stream_and_stats(browser, live, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(f"{live.url}?token={TOKEN}", wait_until="domcontentloaded")
    assert response.status == 200

    page.wait_for_function(
        "() => parseFloat(document.getElementById('fps').textContent) > 0"
        " && parseInt(document.getElementById('active-tracks').textContent) > 0"
        " && document.getElementById('stream').naturalWidth > 0",
        timeout=WAIT_MS,
    )
    stream = page.locator("#stream")
    first = stream.screenshot()
    shown = stat(page, "frames")
    page.wait_for_function(  # the page's counters moved on by a few frames
        f"() => parseInt(document.getElementById('frames').textContent) >= {shown + 5}",
        timeout=WAIT_MS,
    )
    # The image comes on its own connection: on the screen whenever this machine gets to it.
    wait_until(
        lambda: np.abs(decoded(first) - decoded(stream.screenshot())).mean() > 1,
        WAIT_MS / 1000,
        "the image to update",
    )

    assert stat(page, "fps") > 0 and stat(page, "active-tracks") > 0
    assert stat(page, "total-tracks") >= stat(page, "active-tracks")
    assert "car" in page.inner_text("#objects")
    assert page.inner_text("#state") == "live"
    assert stat(page, "viewers") >= 1
    assert not errors

    screenshot = tmp_path / "live_view.png"
    page.screenshot(path=screenshot, full_page=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(screenshot, ARTIFACTS / screenshot.name)

    wrong = browser.new_page()
    assert wrong.goto(f"{live.url}?token=wrong").status == 401
    assert raw_get(live.url, "/metrics?token=wrong")[0] == 401
    assert raw_get(live.url, "/../../etc/passwd")[0] == 404
    assert raw_get(live.url, f"/../../etc/passwd?token={TOKEN}")[0] == 404

    status, body = raw_get(live.url, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    families = {family.name: family for family in text_string_to_metric_families(body.decode())}
    assert families["rtseg_fps"].samples[0].value > 0
    assert families["rtseg_active_tracks"].samples[0].value > 0
