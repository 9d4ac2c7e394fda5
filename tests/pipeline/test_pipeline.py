"""Pipeline mechanics with stand-in stages: order, back-pressure, drops, errors, shutdown."""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time

import numpy as np
import pytest

from rtseg.errors import RtsegError
from rtseg.pipeline import StageError, stop_on_signals
from tests.pipeline.fakes import (
    HANG_GUARD_S,
    CountingAnnotator,
    FakeSegmenter,
    FakeSource,
    FakeTracker,
    RecordingSink,
    one_stream,
    run_one,
)
from tests.waiting import wait_until

PIPELINE_HOLDS = 7  # frames held at queue_size=1: one in each of the 4 stages and 3 queues


def rtseg_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("rtseg-")]


@pytest.fixture(autouse=True)
def no_leftover_threads():
    yield
    assert rtseg_threads() == []


def test_recorded_source_every_frame_in_order_and_closed():
    source, sink = FakeSource(50), RecordingSink(delay_s=0.001)
    pipeline = one_stream(source, FakeSegmenter(delay_s=0.001), sinks=[sink], queue_size=2)
    summary = run_one(pipeline)
    assert sink.indices == list(range(50))
    assert summary.frames == 50
    assert summary.dropped == 0
    assert not summary.stopped_early
    assert summary.tracks is None
    assert set(summary.stage_ms) == {"capture", "infer", "post", "render"}
    assert sink.closed == 1
    assert source.closed >= 1


def test_recorded_reader_waits_on_back_pressure():
    source, sink = FakeSource(100), RecordingSink()
    sink.gate.clear()  # the sink blocks on its first frame
    pipeline = one_stream(source, FakeSegmenter(), sinks=[sink], queue_size=1)
    runner = threading.Thread(target=pipeline.run)
    runner.start()
    # Full, however long that takes on this machine; then given time to read past its bound.
    wait_until(lambda: source.reads >= PIPELINE_HOLDS, HANG_GUARD_S, "the pipeline to fill up")
    time.sleep(0.5)
    assert source.reads == PIPELINE_HOLDS
    sink.gate.set()
    runner.join(HANG_GUARD_S)
    assert not runner.is_alive()
    assert sink.indices == list(range(100))


def test_live_source_keeps_only_newest_frames():
    source, sink = FakeSource(None, live=True), RecordingSink()
    processed: list[int] = []

    def on_frame(frame, detections):
        processed.append(frame.index)
        if len(processed) == 10:
            pipeline.stop()

    pipeline = one_stream(source, FakeSegmenter(delay_s=0.02), sinks=[sink], on_frame=on_frame)
    summary = run_one(pipeline)
    assert processed == sink.indices
    assert len(processed) == 10
    assert processed == sorted(set(processed))
    assert summary.dropped > 0
    assert summary.dropped + summary.frames <= source.reads
    assert summary.stopped_early


def test_tracker_gets_frames_skipped_and_tracks_are_counted():
    tracker = FakeTracker()
    summary = run_one(one_stream(FakeSource(5, index_step=3), FakeSegmenter(), tracker))
    assert tracker.skipped == [0, 2, 2, 2, 2]
    assert summary.tracks == 1


def test_callback_gets_frame_and_detections_and_can_stop():
    seen = []

    def on_frame(frame, detections):
        seen.append((frame.index, float(detections.confidence[0]), int(detections.tracker_id[0])))
        if frame.index == 9:
            pipeline.stop()

    sink = RecordingSink()
    pipeline = one_stream(
        FakeSource(100), FakeSegmenter(), FakeTracker(), [sink], on_frame=on_frame
    )
    summary = run_one(pipeline)
    assert seen == [(i, float(i), 7) for i in range(10)]
    assert sink.indices == list(range(10))
    assert summary.frames == 10
    assert summary.stopped_early
    assert sink.closed == 1


def test_sink_stop_request_ends_the_run():
    sink = RecordingSink(stop_after=3)
    summary = run_one(one_stream(FakeSource(100), FakeSegmenter(), sinks=[sink]))
    assert sink.indices == [0, 1, 2]
    assert summary.stopped_early


@pytest.mark.parametrize(
    ("stage", "source", "segmenter", "sink"),
    [
        ("capture", FakeSource(20, fail_at=3), FakeSegmenter(), RecordingSink()),
        ("infer", FakeSource(20), FakeSegmenter(fail_in="infer"), RecordingSink()),
        ("post", FakeSource(20), FakeSegmenter(fail_in="post"), RecordingSink()),
        ("render", FakeSource(20), FakeSegmenter(), RecordingSink(fail_at=3)),
    ],
)
def test_stage_failure_stops_everything_and_is_raised(stage, source, segmenter, sink):
    with pytest.raises(StageError) as raised:
        run_one(one_stream(source, segmenter, sinks=[sink]))
    assert raised.value.stage == stage
    assert isinstance(raised.value.__cause__, ValueError | OSError)
    assert stage in str(raised.value)
    assert sink.indices == list(range(len(sink.indices)))
    assert len(sink.indices) <= 3
    assert sink.closed == 1


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(
    ("stage", "source_fail_at", "segmenter_fails_in"),
    [("capture", 10, None), ("infer", None, "infer"), ("post", None, "post")],
)
def test_a_failing_stage_still_writes_every_frame_before_the_failure(
    stage, source_fail_at, segmenter_fails_in, workers
):
    """A slow sink keeps frames queued behind it when frame 10 fails: those are written."""
    source = FakeSource(40, fail_at=source_fail_at)
    segmenter = FakeSegmenter(fail_in=segmenter_fails_in, fail_at=10)
    sink = RecordingSink(delay_s=0.01)
    with pytest.raises(StageError, match=f"{stage} failed"):
        run_one(one_stream(source, segmenter, sinks=[sink], infer_workers=workers))
    assert sink.indices == list(range(10))
    assert sink.closed == 1


def test_a_failing_sink_leaves_the_others_every_frame_read():
    broken, slow = RecordingSink(fail_at=3), RecordingSink(delay_s=0.01)
    source = FakeSource(100)
    with pytest.raises(StageError, match="render failed: OSError: disk full"):
        run_one(one_stream(source, FakeSegmenter(), sinks=[broken, slow]))
    assert broken.indices == [0, 1, 2]
    assert slow.indices == list(range(source.reads))
    assert 3 < source.reads < 100  # reading stopped soon after the failure
    assert (broken.closed, slow.closed) == (1, 1)


def test_callback_failure_is_a_render_failure():
    def on_frame(frame, detections):
        raise KeyError("bad callback")

    with pytest.raises(StageError, match="render failed"):
        run_one(one_stream(FakeSource(5), FakeSegmenter(), on_frame=on_frame))


def test_user_error_in_a_stage_is_raised_as_is():
    source = FakeSource(20, fail_at=2, error=RtsegError("cannot read frame 2"))
    with pytest.raises(RtsegError, match="cannot read frame 2"):
        run_one(one_stream(source, FakeSegmenter()))


def test_every_sink_is_closed_when_one_close_fails():
    first, second = RecordingSink(fail_on_close=True), RecordingSink()
    with pytest.raises(StageError, match="cannot flush"):
        run_one(one_stream(FakeSource(3), FakeSegmenter(), sinks=[first, second]))
    assert (first.closed, second.closed) == (1, 1)
    assert second.indices == [0, 1, 2]


def test_annotates_only_for_sinks_that_need_it_and_keeps_callback_frame_clean():
    annotator, plain = CountingAnnotator(), RecordingSink()
    run_one(one_stream(FakeSource(3), FakeSegmenter(), sinks=[plain], annotator=annotator))
    assert annotator.calls == 0
    assert plain.annotated == [None] * 3

    pixels = []
    needy = RecordingSink(needs_annotation=True)
    pipeline = one_stream(
        FakeSource(3),
        FakeSegmenter(),
        sinks=[needy],
        annotator=annotator,
        on_frame=lambda frame, detections: pixels.append(int(frame.image[1, 1, 0])),
    )
    run_one(pipeline)
    assert annotator.calls == 3
    assert all(np.all(image == 255) for image in needy.annotated)
    assert pixels == [0, 0, 0]


@pytest.fixture
def sigint_raises():
    """Python's own SIGINT handler, even when the test runner inherited SIGINT as ignored
    (as background jobs of a non-interactive shell do)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def interrupt_once_written(sink: RecordingSink) -> None:
    """Send this process SIGINT once ``sink`` has written a frame: mid-run on any machine,
    where a fixed delay can fall before the first frame (or the run) on a slow one."""

    def interrupt() -> None:
        try:
            wait_until(lambda: sink.indices, HANG_GUARD_S, "a frame written")
        finally:
            os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_interrupts_cleanly():
    sink = RecordingSink(delay_s=0.005)
    pipeline = one_stream(FakeSource(None), FakeSegmenter(), sinks=[sink])
    interrupt_once_written(sink)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run()
    assert sink.closed == 1
    assert sink.indices and sink.indices == list(range(len(sink.indices)))


@pytest.mark.usefixtures("sigint_raises")
def test_signal_handlers_turn_sigint_into_a_stop():
    sink = RecordingSink(delay_s=0.005)
    pipeline = one_stream(FakeSource(None), FakeSegmenter(), sinks=[sink])
    interrupt_once_written(sink)
    with stop_on_signals(pipeline.stop) as caught:
        summary = pipeline.run().streams["fake"].summary
    assert caught.exit_code == 128 + signal.SIGINT
    assert summary.stopped_early
    assert summary.frames == len(sink.indices) > 0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_runs_once():
    pipeline = one_stream(FakeSource(1), FakeSegmenter())
    run_one(pipeline)
    with pytest.raises(RuntimeError, match="once"):
        pipeline.run()


def test_summary_format_mentions_everything():
    summary = run_one(one_stream(FakeSource(4), FakeSegmenter(), FakeTracker()))
    text = summary.format()
    for word in ("4 frames", "fps", "latency p50/p95", "capture", "infer", "render", "dropped"):
        assert word in text
    assert "tracks: 1" in text


def test_stage_error_is_one_line():
    error = StageError("infer", RuntimeError("first line\nsecond line"))
    assert str(error) == "infer failed: RuntimeError: first line"
    assert str(StageError("post", KeyError())) == "post failed: KeyError"


def test_stage_error_survives_pickling():
    """A Ray worker's summary carries its streams' errors to the driver pickled."""
    error = pickle.loads(pickle.dumps(StageError("render", ValueError("bad frame"))))
    assert (error.stage, str(error)) == ("render", "render failed: ValueError: bad frame")
    assert isinstance(error.error, ValueError)
