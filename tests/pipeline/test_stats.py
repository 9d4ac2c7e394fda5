"""The summary's count of recorded frames skipped as damaged, from one stream to many."""

from __future__ import annotations

import pickle
from dataclasses import replace

from rtseg.pipeline.stats import RunSummary, StreamResult, Summary
from tests.pipeline.fakes import FakeSegmenter, FakeSource, one_stream, run_guarded, run_one

FIGURES = dict(frames=10, seconds=1.0, dropped=0, tracks=None, stage_ms={}, latency_ms=(0, 0, 0))


def damaged(count: int, undecodable: int) -> FakeSource:
    """A recorded fake whose input had ``undecodable`` frames skipped."""
    source = FakeSource(count)
    source.undecodable = undecodable
    return source


def test_the_line_is_there_for_recorded_input_only():
    assert "undecodable frames: 0\n" in Summary(**FIGURES, undecodable=0).format() + "\n"
    assert "undecodable frames: 5" in Summary(**FIGURES, undecodable=5).format()
    assert "undecodable" not in Summary(**FIGURES).format()  # live input: nothing to count


def test_a_run_carries_its_sources_count_and_survives_pickling():
    summary = run_guarded(one_stream(damaged(4, 3), FakeSegmenter()))
    assert summary.frames == 4 and summary.undecodable == 3
    assert pickle.loads(pickle.dumps(summary)).undecodable == 3  # Ray workers send it pickled
    assert run_one(one_stream(FakeSource(2, live=True), FakeSegmenter())).undecodable is None


def test_several_streams_add_up_and_each_says_its_own():
    streams = {
        name: StreamResult(name, False, Summary(**FIGURES, undecodable=count))
        for name, count in (("front", 2), ("rear", 0))
    }
    summary = RunSummary(streams, seconds=1.0)
    assert summary.undecodable == 2
    text = summary.format()
    assert "front: undecodable frames: 2" in text and "rear: undecodable frames: 0" in text
    ray = RunSummary({"front": replace(streams["front"], written=10)}, seconds=1.0, actors=1)
    assert ray.undecodable == 2  # as the stream's worker counted them
    assert "  front: undecodable frames: 2" in ray.format()


def test_a_one_stream_run_reports_as_that_stream():
    result = StreamResult("front", False, Summary(**FIGURES, undecodable=1))
    alone = RunSummary({"front": result}, seconds=1.0, per_stream=False)
    assert alone.format() == result.summary.format()
    assert RunSummary({"front": result}, seconds=1.0).format().startswith("1 streams: 10 frames")
