from dataclasses import fields

import pytest

from rtseg.serve.metrics import OWN_KEYS
from rtseg.serve.stats import LiveSnapshot, LiveStats, class_counts
from tests.serve.helpers import detections


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_empty_stats():
    snapshot = LiveStats(clock=FakeClock()).snapshot()
    assert snapshot.frames == 0 and snapshot.fps == 0.0
    assert snapshot.latency_ms == {"p50": 0.0, "p95": 0.0, "max": 0.0}
    assert snapshot.frame_age_s is None and snapshot.last_frame_index is None
    assert not snapshot.tracking and snapshot.active_tracks == 0


def test_fps_latency_and_tracks():
    clock = FakeClock()
    stats = LiveStats(clock=clock, window_s=5.0)
    for index in range(11):  # 10 intervals of 0.1 s, each frame 20 ms old (the last 120 ms)
        clock.now = 100.0 + index * 0.1
        latency = 0.12 if index == 10 else 0.02
        ids = [1, 2] if index < 5 else [2, 3, 4]
        stats.add(index, clock.now - latency, detections(["car"] * len(ids), ids))
    snapshot = stats.snapshot()
    assert snapshot.frames == 11
    assert snapshot.fps == pytest.approx(10.0)
    assert snapshot.latency_ms["p50"] == pytest.approx(20.0)
    assert snapshot.latency_ms["max"] == pytest.approx(120.0)
    assert snapshot.latency_seconds_sum == pytest.approx(10 * 0.02 + 0.12)
    assert snapshot.tracking and snapshot.active_tracks == 3 and snapshot.total_tracks == 4
    assert snapshot.objects == {"car": 3}
    assert snapshot.last_frame_index == 10 and snapshot.frame_age_s == pytest.approx(0.0)


def test_window_forgets_old_frames_and_a_stall_reads_zero_fps():
    clock = FakeClock()
    stats = LiveStats(clock=clock, window_s=2.0)
    for index in range(3):
        clock.now = 100.0 + index
        stats.add(index, clock.now, detections([]))
    assert stats.snapshot().fps == pytest.approx(1.0)
    clock.now = 110.0
    snapshot = stats.snapshot()
    assert snapshot.fps == 0.0 and snapshot.latency_ms["max"] == 0.0
    assert snapshot.frames == 3 and snapshot.frame_age_s == pytest.approx(8.0)


def test_untracked_detections():
    stats = LiveStats(clock=FakeClock())
    stats.add(0, 100.0, detections(["person", "car", "person"]))
    snapshot = stats.snapshot()
    assert not snapshot.tracking and snapshot.active_tracks == 0 and snapshot.total_tracks == 0
    assert snapshot.objects == {"car": 1, "person": 2}


def test_class_counts_fall_back_to_class_ids():
    plain = detections(["a", "b"])
    plain.data.clear()
    assert class_counts(plain) == {"0": 1, "1": 1}


def test_every_stats_field_is_known_to_the_metrics():
    assert {field.name for field in fields(LiveSnapshot)} <= OWN_KEYS
