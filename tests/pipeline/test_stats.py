"""The summary's count of recorded frames skipped as damaged, from one stream to many."""

from __future__ import annotations

import pickle

from rtseg.cluster.driver import RaySummary
from rtseg.pipeline import Pipeline
from rtseg.pipeline.multi import MultiSummary, StreamResult
from rtseg.pipeline.stats import Summary
from tests.pipeline.fakes import FakeSegmenter, FakeSource, run_guarded

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
    summary = run_guarded(Pipeline(damaged(4, 3), FakeSegmenter()))
    assert summary.frames == 4 and summary.undecodable == 3
    assert pickle.loads(pickle.dumps(summary)).undecodable == 3  # Ray workers send it pickled
    assert run_guarded(Pipeline(FakeSource(2, live=True), FakeSegmenter())).undecodable is None


def test_several_streams_add_up_and_each_says_its_own():
    streams = {
        name: StreamResult(name, False, Summary(**FIGURES, undecodable=count))
        for name, count in (("front", 2), ("rear", 0))
    }
    summary = MultiSummary(streams, seconds=1.0, frames_per_call=1.0)
    assert summary.undecodable == 2
    text = summary.format()
    assert "front: undecodable frames: 2" in text and "rear: undecodable frames: 0" in text
    ray = RaySummary(1, 1.0, {"front": 10, "rear": 10}, {}, [summary, summary], {})
    assert ray.undecodable == 4  # every worker run's own count
