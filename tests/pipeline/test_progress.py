"""The live status line, the end-of-run summary and the status counters, including outages."""

from __future__ import annotations

import time

import pytest

from rtseg.pipeline.progress import status_text
from rtseg.pipeline.stats import Stats, Summary, latency_figures, outage_text
from rtseg.sources import Outage
from tests.pipeline.fakes import FakeSegmenter, FakeSource, one_stream, run_one

OUTAGES = [Outage(10.0, 14.6, 114), Outage(20.0, 27.5, 186)]
NOW = 1000.0  # where time.monotonic() stands still while the status line is read


class ReconnectingSource(FakeSource):
    """A live fake that has had ``outages`` and may be lost right now."""

    def __init__(self, outages: list[Outage], lost_for_s: float | None = None) -> None:
        super().__init__(3, live=True)
        self._outages = outages
        self.lost_since = None if lost_for_s is None else time.monotonic() - lost_for_s

    @property
    def outages(self) -> list[Outage]:
        return list(self._outages)


def test_latency_figures_are_p50_p95_and_max():
    p50, p95, worst = latency_figures([10.0] * 19 + [200.0])
    assert p50 == 10.0 and worst == 200.0
    assert 10.0 < p95 < 200.0
    assert latency_figures([]) == (0.0, 0.0, 0.0)


def test_outage_text_sums_duration_and_frames():
    assert outage_text(OUTAGES[:1]) == "1 (4.6 s, ~114 frames lost)"
    assert outage_text(OUTAGES) == "2 (12.1 s, ~300 frames lost in all)"


def test_status_line_shows_latency_max_and_the_source_link(monkeypatch):
    # A stopped clock: the ages below are exact, not what a busy machine lets pass meanwhile.
    monkeypatch.setattr(time, "monotonic", lambda: NOW)
    stats = Stats(("capture",))
    for _ in range(3):
        stats.frame_done(NOW - 0.05)
    text = status_text(stats, 7, ReconnectingSource(OUTAGES[:1], lost_for_s=3.2))
    assert "3 frames" in text and "dropped 7" in text
    assert "latency p50/p95/max 50/50/50 ms" in text
    assert "source lost 3 s ago: reconnecting" in text
    assert "outages 1 (4.6 s, ~114 frames lost)" in text
    plain = status_text(stats, 0, FakeSource(live=True))
    assert "reconnecting" not in plain and "outages" not in plain


def test_summary_lists_outages_only_when_there_were_some():
    figures = dict(frames=10, seconds=1.0, dropped=0, tracks=None, stage_ms={})
    with_outages = Summary(**figures, latency_ms=(20.0, 30.0, 45.0), outages=tuple(OUTAGES))
    assert "latency p50/p95/max 20.0/30.0/45.0 ms" in with_outages.format()
    assert "source outages: 2 (12.1 s, ~300 frames lost in all)" in with_outages.format()
    assert "outages" not in Summary(**figures, latency_ms=(0.0, 0.0, 0.0)).format()


@pytest.mark.parametrize("lost_for_s", [None, 2.0])
def test_pipeline_status_and_summary_carry_the_source_outages(lost_for_s):
    source = ReconnectingSource(OUTAGES, lost_for_s)
    pipeline = one_stream(source, FakeSegmenter())
    assert pipeline.status("fake") == {
        "dropped_frames": 0,
        "source_connected": int(lost_for_s is None),
        "source_outages": 2,
        "source_frames_lost": 300,
    }
    assert run_one(pipeline).outages == tuple(OUTAGES)
