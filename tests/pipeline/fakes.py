"""Small stand-in stages for pipeline mechanics tests (no model, no files)."""

from __future__ import annotations

import threading
import time

import numpy as np
import supervision as sv

from rtseg.pipeline import Pipeline, RunSummary, Stream, Summary
from rtseg.sources import Frame, FrameSource

HANG_GUARD_S = 30.0  # only ever a guard against hangs, never a timing assertion


def one_stream(
    source, segmenter, tracker=None, sinks=(), annotator=None, on_frame=None, **options
) -> Pipeline:
    """A pipeline of one stream named "fake"; ``on_frame(frame, detections)``."""
    callback = None
    if on_frame is not None:

        def callback(_name, frame, detections):
            on_frame(frame, detections)

    stream = Stream("fake", source, sinks, tracker, annotator)
    return Pipeline([stream], segmenter, callback, **options)


def run_one(pipeline: Pipeline) -> Summary:
    """Run a one-stream pipeline guarded: the stream's summary, or its failure raised (as a
    one-stream run reports it)."""
    (result,) = run_guarded(pipeline).streams.values()
    if result.error is not None:
        raise result.error
    return result.summary


def run_guarded(pipeline: Pipeline) -> RunSummary:
    """Run in a helper thread so a hang fails the test instead of blocking it."""
    result: dict = {}

    def target() -> None:
        try:
            result["summary"] = pipeline.run()
        except BaseException as error:
            result["error"] = error

    runner = threading.Thread(target=target)
    runner.start()
    runner.join(HANG_GUARD_S)
    assert not runner.is_alive(), "the pipeline hung"
    if "error" in result:
        raise result["error"]
    return result["summary"]


class FakeSource(FrameSource):
    """``count`` tiny frames (None = endless); frame i's pixel (0, 0) holds i % 256.

    ``index_step`` spaces the indices like a stride; ``fail_at`` raises on that read.
    """

    def __init__(
        self,
        count: int | None = 20,
        *,
        live: bool = False,
        index_step: int = 1,
        fail_at: int | None = None,
        error: Exception | None = None,
    ) -> None:
        self.name = "fake"
        self.is_live = live
        self.frame_count = count
        self.reads = 0
        self.closed = 0
        self._count = count
        self._step = index_step
        self._fail_at = fail_at
        self._error = error or ValueError("source broke")

    def read(self) -> Frame | None:
        if self.closed or (self._count is not None and self.reads >= self._count):
            return None
        if self.reads == self._fail_at:
            raise self._error
        image = np.zeros((4, 6, 3), np.uint8)
        image[0, 0] = self.reads % 256
        frame = Frame(self.reads * self._step, image, None, time.monotonic())
        self.reads += 1
        return frame

    def close(self) -> None:
        self.closed += 1


class FakeSegmenter:
    """One detection per frame whose confidence carries the frame's pixel (0, 0)."""

    def __init__(self, delay_s: float = 0.0, fail_in: str | None = None, fail_at: int = 3):
        self.names = {0: "thing"}
        self.delay_s = delay_s
        self.fail_in = fail_in
        self.fail_at = fail_at

    def _maybe_fail(self, stage: str, value: int) -> None:
        if self.fail_in == stage and value == self.fail_at:
            raise ValueError(f"{stage} broke")

    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
        return image[:1, :1, 0].astype(np.float32), image.shape[:2]

    def infer(self, blob: np.ndarray) -> list[np.ndarray]:
        self._maybe_fail("infer", int(blob[0, 0]))
        time.sleep(self.delay_s)
        return [blob.copy()]

    def postprocess(self, outputs: list[np.ndarray], letterbox: tuple[int, int]) -> sv.Detections:
        value = float(outputs[0][0, 0])
        self._maybe_fail("post", int(value))
        return sv.Detections(
            xyxy=np.array([[0, 0, 2, 2]], np.float32),
            mask=np.ones((1, *letterbox), bool),
            confidence=np.array([value], np.float32),
            class_id=np.array([0]),
        )


class FakeTracker:
    """Gives every detection track id 7 and remembers ``frames_skipped``."""

    def __init__(self) -> None:
        self.skipped: list[int] = []

    def update(self, detections: sv.Detections, frames_skipped: int = 0) -> sv.Detections:
        self.skipped.append(frames_skipped)
        detections.tracker_id = np.full(len(detections), 7)
        return detections


class RecordingSink:
    """Remembers the frame indices written; optional per-write delay, gate or failure."""

    def __init__(
        self,
        *,
        needs_annotation: bool = False,
        delay_s: float = 0.0,
        fail_at: int | None = None,
        fail_on_close: bool = False,
        stop_after: int | None = None,
    ) -> None:
        self.needs_annotation = needs_annotation
        self.indices: list[int] = []
        self.annotated: list[np.ndarray | None] = []
        self.closed = 0
        self.gate = threading.Event()
        self.gate.set()
        self._delay_s = delay_s
        self._fail_at = fail_at
        self._fail_on_close = fail_on_close
        self._stop_after = stop_after

    @property
    def stop_requested(self) -> bool:
        return self._stop_after is not None and len(self.indices) >= self._stop_after

    def write(self, frame: Frame, annotated: np.ndarray | None, detections: sv.Detections) -> None:
        if len(self.indices) == self._fail_at:
            raise OSError("disk full")
        assert self.gate.wait(HANG_GUARD_S)
        time.sleep(self._delay_s)
        self.indices.append(frame.index)
        self.annotated.append(annotated)

    def close(self) -> None:
        self.closed += 1
        if self._fail_on_close:
            raise OSError("cannot flush")


class CountingAnnotator:
    """Paints the scene white in place, as supervision annotators draw in place."""

    def __init__(self) -> None:
        self.calls = 0

    def annotate(self, scene: np.ndarray, detections: sv.Detections) -> np.ndarray:
        self.calls += 1
        scene[...] = 255
        return scene
