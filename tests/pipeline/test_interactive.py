"""Sinks with a user interface (``Interactive``) are driven from the thread that runs the
pipeline, up to the last frame, and can stop the run from there."""

from __future__ import annotations

import threading

import numpy as np
import supervision as sv

from rtseg.pipeline import Pipeline, Summary
from rtseg.sinks import Interactive
from rtseg.sources import Frame
from tests.pipeline.fakes import HANG_GUARD_S, FakeSegmenter, FakeSource, one_stream


class PumpedSink:
    """Remembers the threads that write and pump, the newest frame handed over and the frames
    each pump took; asks to stop after ``stop_after_pumps`` pumps that took a frame."""

    needs_annotation = False

    def __init__(self, stop_after_pumps: int | None = None) -> None:
        self.stop_requested = False
        self.write_threads: set[str] = set()
        self.pump_threads: set[str] = set()
        self.written: list[int] = []
        self.pumped: list[int] = []
        self._newest: int | None = None
        self._lock = threading.Lock()
        self._stop_after = stop_after_pumps

    def write(self, frame: Frame, annotated: np.ndarray | None, detections: sv.Detections) -> None:
        self.write_threads.add(threading.current_thread().name)
        self.written.append(frame.index)
        with self._lock:
            self._newest = frame.index

    def pump(self) -> None:
        self.pump_threads.add(threading.current_thread().name)
        with self._lock:
            newest, self._newest = self._newest, None
        if newest is not None:
            self.pumped.append(newest)
        if self._stop_after is not None and len(self.pumped) >= self._stop_after:
            self.stop_requested = True

    def close(self) -> None:
        pass


def run_in(thread_name: str, pipeline: Pipeline) -> Summary:
    """``pipeline.run()`` in a thread named ``thread_name``; a hang fails the test. The one
    stream's summary."""
    result: dict = {}
    caller = threading.Thread(
        target=lambda: result.update(summary=pipeline.run()), name=thread_name
    )
    caller.start()
    caller.join(HANG_GUARD_S)
    assert not caller.is_alive(), "the pipeline hung"
    (stream,) = result["summary"].streams.values()
    return stream.summary


def test_interactive_sink_is_pumped_from_the_running_thread_up_to_the_last_frame():
    sink = PumpedSink()
    assert isinstance(sink, Interactive)
    summary = run_in(
        "caller", one_stream(FakeSource(30), FakeSegmenter(delay_s=0.002), sinks=[sink])
    )
    assert summary.frames == 30 and not summary.stopped_early
    assert sink.write_threads == {"rtseg-render"}
    assert sink.pump_threads == {"caller"}  # never a stage thread
    assert sink.written == list(range(30))
    assert sink.pumped and sink.pumped[-1] == 29  # the last frame is shown before the end
    assert sink.pumped == sorted(set(sink.pumped))  # newest only, each once


def test_a_stop_asked_for_while_pumping_ends_an_endless_run():
    sink = PumpedSink(stop_after_pumps=3)
    summary = run_in(
        "caller", one_stream(FakeSource(None, live=True), FakeSegmenter(), sinks=[sink])
    )
    assert summary.stopped_early
    assert len(sink.pumped) >= 3
