"""Exact track-id behaviour of Tracker on hand-made sequences."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv

import rtseg.tracking.assignment as assignment
from rtseg.errors import RtsegError
from rtseg.tracking import DETECTION_INDEX, LOW_THRESH, NEW_TRACK_THRESH, Tracker, detection_floor


def box(cx: float, cy: float, w: float = 40.0, h: float = 80.0) -> list[float]:
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def dets(
    boxes: list, scores: list | None = None, classes: list | None = None, **kw
) -> sv.Detections:
    n = len(boxes)
    return sv.Detections(
        xyxy=np.array(boxes, dtype=float).reshape(n, 4),
        confidence=np.array(scores if scores is not None else [0.9] * n, dtype=float),
        class_id=np.array(classes if classes is not None else [0] * n, dtype=int),
        **kw,
    )


def run(tracker: Tracker, frames: list[sv.Detections]) -> list[sv.Detections]:
    return [tracker.update(f) for f in frames]


def test_first_frame_tracks_are_confirmed_at_once_and_ids_start_at_one():
    out = Tracker().update(dets([box(100, 100), box(300, 100)]))
    assert out.tracker_id.tolist() == [1, 2]
    assert out.data[DETECTION_INDEX].tolist() == [0, 1]


def test_later_tracks_need_two_hits_and_ids_stay_contiguous():
    tracker = Tracker()
    tracker.update(dets([box(100, 100)]))
    second = tracker.update(dets([box(102, 100), box(400, 100)]))
    assert second.tracker_id.tolist() == [1]
    third = tracker.update(dets([box(104, 100), box(402, 100)]))
    assert third.tracker_id.tolist() == [1, 2]


def test_two_objects_swapping_lanes_keep_their_ids():
    # A walks right from lane y=100 to y=200, B left from y=200 to y=100; they cross at t=20,
    # where their boxes coincide (either answer is right there). Input order alternates.
    tracker = Tracker()
    for t in range(41):
        a = box(100 + 8 * t, 100 + 2.5 * t)
        b = box(420 - 8 * t, 200 - 2.5 * t)
        rows = {"a": 1, "b": 0} if t % 2 else {"a": 0, "b": 1}
        boxes = [b, a] if t % 2 else [a, b]
        out = tracker.update(dets(boxes, scores=[0.9, 0.8]))
        ids = dict(zip(out.data[DETECTION_INDEX].tolist(), out.tracker_id.tolist(), strict=True))
        if t != 20:
            assert (ids[rows["a"]], ids[rows["b"]]) == (1, 2), t


def test_lost_track_comes_back_with_same_id_within_buffer():
    tracker = Tracker(frame_rate=30, track_buffer=10)
    run(tracker, [dets([box(100 + 5 * t, 100)]) for t in range(5)])
    for _ in range(10):  # missing for 10 frames: the buffer is exactly 10
        assert len(tracker.update(dets([]))) == 0
    back = tracker.update(dets([box(100 + 5 * 15, 100)]))
    assert back.tracker_id.tolist() == [1]


def test_track_past_the_buffer_is_gone_and_the_object_gets_a_new_id():
    tracker = Tracker(frame_rate=30, track_buffer=10)
    run(tracker, [dets([box(100 + 5 * t, 100)]) for t in range(5)])
    run(tracker, [dets([]) for _ in range(11)])
    assert len(tracker.update(dets([box(100 + 5 * 16, 100)]))) == 0  # tentative again
    assert tracker.update(dets([box(100 + 5 * 17, 100)])).tracker_id.tolist() == [2]


def test_buffer_scales_with_frame_rate():
    tracker = Tracker(frame_rate=60, track_buffer=10)  # 20 frames at 60 fps
    run(tracker, [dets([box(100, 100)]) for _ in range(3)])
    run(tracker, [dets([]) for _ in range(20)])
    assert tracker.update(dets([box(100, 100)])).tracker_id.tolist() == [1]


def test_burst_of_false_positives_gets_no_ids():
    tracker = Tracker()
    rng = np.random.default_rng(1)
    real = [box(100 + 2 * t, 300) for t in range(30)]
    outs = []
    for t in range(30):
        noise = [box(*rng.uniform([200, 50], [900, 500])) for _ in range(8)] if 10 <= t < 15 else []
        scores = [0.9, *rng.uniform(0.1, 0.95, len(noise))]
        outs.append(tracker.update(dets([real[t], *noise], scores=scores)))
    # Scattered one-frame detections never become confirmed tracks; the real object keeps id 1.
    assert all(out.tracker_id.tolist() == [1] for out in outs)


def test_low_confidence_detection_keeps_a_track_alive_but_cannot_start_one():
    tracker = Tracker()
    run(tracker, [dets([box(100 + 3 * t, 100)]) for t in range(3)])
    out = tracker.update(dets([box(109, 100), box(500, 100)], scores=[0.3, 0.3]))
    assert out.tracker_id.tolist() == [1]
    assert out.data[DETECTION_INDEX].tolist() == [0]
    out = tracker.update(dets([box(112, 100), box(500, 100)], scores=[0.9, 0.3]))
    assert out.tracker_id.tolist() == [1]


@pytest.mark.parametrize(
    ("conf", "high", "low", "new"),
    [
        (0.25, 0.25, LOW_THRESH, NEW_TRACK_THRESH),
        (0.7, 0.7, LOW_THRESH, 0.7),
        (0.05, 0.05, 0.05, 0.6),
    ],
)
def test_a_runs_tracker_follows_its_conf(conf, high, low, new):
    tracker = Tracker.for_conf(conf, frame_rate=15)
    assert (tracker.high_thresh, tracker.low_thresh, tracker.new_track_thresh) == (high, low, new)
    assert detection_floor(conf) == low
    assert tracker.max_missed == Tracker(frame_rate=15).max_missed


def test_a_runs_tracker_carries_a_track_on_below_conf_but_starts_none_there():
    tracker = Tracker.for_conf(0.25)
    run(tracker, [dets([box(100 + 3 * t, 100)]) for t in range(3)])
    # Below conf: carries track 1 on (the second association), starts nothing.
    out = tracker.update(dets([box(109, 100), box(500, 100)], scores=[0.15, 0.2]))
    assert out.tracker_id.tolist() == [1] and out.confidence.tolist() == [0.15]
    # From conf up: keeps the track in the first association; a new one needs 0.6.
    out = tracker.update(dets([box(112, 100), box(500, 100)], scores=[0.3, 0.5]))
    assert out.tracker_id.tolist() == [1]
    out = tracker.update(dets([box(115, 100), box(500, 100)], scores=[0.3, 0.6]))
    assert out.tracker_id.tolist() == [1]  # the new one is tentative for a frame
    out = tracker.update(dets([box(118, 100), box(500, 100)], scores=[0.3, 0.3]))
    assert out.tracker_id.tolist() == [1, 2]


def test_stream_gap_longer_than_buffer_keeps_tracks():
    tracker = Tracker(frame_rate=30, track_buffer=10)
    run(tracker, [dets([box(100 + 3 * t, 100), box(500, 300)]) for t in range(30)])
    # The camera reconnects 40 frames later; the moving object was predicted along meanwhile.
    out = tracker.update(dets([box(100 + 3 * 70, 100), box(500, 300)]), frames_skipped=40)
    assert out.tracker_id.tolist() == [1, 2]
    # The gap did not use up the buffer: 10 more empty frames are still survivable.
    run(tracker, [dets([]) for _ in range(10)])
    out = tracker.update(dets([box(100 + 3 * 81, 100), box(500, 300)]))
    assert out.tracker_id.tolist() == [1, 2]


def test_empty_frames_for_the_same_span_do_remove_tracks():
    tracker = Tracker(frame_rate=30, track_buffer=10)
    run(tracker, [dets([box(500, 300)]) for _ in range(6)])
    run(tracker, [dets([]) for _ in range(40)])
    assert len(tracker.update(dets([box(500, 300)]))) == 0


def test_empty_input_and_every_detection_new():
    tracker = Tracker()
    empty = tracker.update(sv.Detections.empty())
    assert len(empty) == 0 and empty.tracker_id.dtype.kind == "i"
    assert tracker.update(dets([box(100, 100), box(300, 100)])).tracker_id.tolist() == [1, 2]
    tracker.update(dets([box(600, 400), box(800, 400)]))  # all new, tentative
    out = tracker.update(dets([box(601, 400), box(801, 400)]))
    assert out.tracker_id.tolist() == [3, 4]


def test_output_keeps_every_field_in_input_order():
    tracker = Tracker()
    masks = np.zeros((3, 200, 600), dtype=bool)
    masks[:, 50:150, :] = True
    frame = dets(
        [box(500, 100), box(100, 100), box(300, 100)],
        scores=[0.9, 0.05, 0.8],
        classes=[2, 0, 5],
        mask=masks,
        data={"name": np.array(["c", "a", "b"])},
    )
    out = tracker.update(frame)
    assert out.data[DETECTION_INDEX].tolist() == [0, 2]  # the 0.05 detection is dropped
    assert out.class_id.tolist() == [2, 5]
    assert out.data["name"].tolist() == ["c", "b"]
    assert out.confidence.tolist() == [0.9, 0.8]
    assert out.mask.shape == (2, 200, 600)
    assert out.tracker_id.tolist() == [1, 2]
    assert frame.tracker_id is None and DETECTION_INDEX not in frame.data


def test_class_gate_refuses_cross_class_matches():
    gated, open_ = Tracker(class_gate=True), Tracker()
    for tracker in (gated, open_):
        run(tracker, [dets([box(100, 100)], classes=[0]) for _ in range(3)])
    assert len(gated.update(dets([box(101, 100)], classes=[1]))) == 0
    assert open_.update(dets([box(101, 100)], classes=[1])).tracker_id.tolist() == [1]


def test_a_track_never_takes_a_detection_of_another_shape():
    # A person-shaped track (40x80); next frame a wide box (120x40) at the same centre. Its
    # fused IoU (0.25 x 0.9) would pass the first association's limit, but a box turning from
    # tall to wide (aspect 0.5 -> 3) is not the object moving: it starts a track of its own.
    gated, open_ = Tracker(), Tracker(max_aspect_change=None)
    for tracker in (gated, open_):
        run(tracker, [dets([box(100, 100)]) for _ in range(3)])
    assert len(gated.update(dets([box(100, 100, 120, 40)]))) == 0
    assert gated.update(dets([box(100, 100, 120, 40)])).tracker_id.tolist() == [2]
    assert open_.update(dets([box(100, 100, 120, 40)])).tracker_id.tolist() == [1]


def test_a_box_cut_in_half_by_occlusion_keeps_its_track():
    # The lower half hidden: 40x80 -> 40x40 (aspect x2, within the default factor 3).
    tracker = Tracker()
    run(tracker, [dets([box(100, 100)]) for _ in range(3)])
    assert tracker.update(dets([box(100, 80, 40, 40)])).tracker_id.tolist() == [1]


def test_hidden_objects_lost_track_does_not_alternate_with_the_one_in_front():
    # A (x=100) stands in front of B (x=112), which is hidden from t=5. From t=10 every other
    # detection of A is jittered to x=106.5, a hair closer to B's lost track than to A. A lost
    # track must beat a track seen last frame by more than lost_penalty, however briefly it
    # has been lost, so A keeps all its detections (with a penalty that grew from zero with
    # the frames lost, B took every jittered one and A every other: a switch each frame).
    tracker = Tracker()
    for t in range(30):
        a = box(106.5 if t >= 10 and t % 2 == 0 else 100, 100)
        out = tracker.update(dets([a] if t >= 5 else [a, box(112, 100)]))
        assert out.tracker_id.tolist() == ([1] if t >= 5 else [1, 2]), t
    # B steps out from behind A: its lost track takes it back.
    out = tracker.update(dets([box(100, 100), box(130, 100)]))
    assert out.tracker_id.tolist() == [1, 2]


def test_mask_iou_tracks_dense_and_compact_masks_alike():
    def frame(t: int, compact: bool) -> sv.Detections:
        boxes = np.array([box(100 + 5 * t, 100), box(300 - 5 * t, 110)])
        masks = np.zeros((2, 240, 480), dtype=bool)
        for k, (x1, y1, x2, y2) in enumerate(boxes.astype(int)):
            masks[k, y1:y2, x1 + 5 : x2 - 5] = True
        if compact:
            masks = sv.CompactMask.from_dense(masks, boxes, image_shape=(240, 480))
        return dets(boxes, mask=masks)

    results = []
    for compact in (False, True):
        tracker = Tracker(use_mask_iou=True)
        results.append([tracker.update(frame(t, compact)).tracker_id.tolist() for t in range(30)])
    assert results[0] == results[1]
    assert all(ids == [1, 2] for ids in results[0])


def test_deterministic_and_independent_per_tracker():
    rng = np.random.default_rng(3)
    frames = [
        dets(
            [box(*rng.uniform([50, 50], [600, 400])) for _ in range(6)],
            scores=rng.uniform(0.2, 1, 6),
        )
        for _ in range(20)
    ]
    a, b = Tracker(), Tracker()
    out_a = [o.tracker_id.tolist() for o in run(a, frames)]
    out_b = [o.tracker_id.tolist() for o in run(b, frames)]
    assert out_a == out_b
    a.reset()
    assert [o.tracker_id.tolist() for o in run(a, frames)] == out_a


def test_scipy_fallback_gives_the_same_ids(monkeypatch):
    rng = np.random.default_rng(4)
    frames = []
    for t in range(25):
        centres = [(100 + 6 * t, 100), (400 - 6 * t, 110), (250, 300 + 2 * t)]
        frames.append(dets([box(x + rng.normal(0, 2), y) for x, y in centres]))
    with_lap = [o.tracker_id.tolist() for o in run(Tracker(), frames)]
    monkeypatch.setattr(assignment, "lap", None)
    with_scipy = [o.tracker_id.tolist() for o in run(Tracker(), frames)]
    assert with_lap == with_scipy


@pytest.mark.parametrize(
    ("kwargs", "skip"),
    [
        ({"frame_rate": 0}, 0),
        ({"min_hits": 0}, 0),
        ({"track_buffer": -1}, 0),
        ({"max_aspect_change": 1.0}, 0),
        ({}, -1),
    ],
)
def test_bad_settings_are_user_errors(kwargs, skip):
    with pytest.raises(RtsegError):
        Tracker(**kwargs).update(dets([]), frames_skipped=skip)
