"""Each counting rule of issue 20, on detections with exactly known footpoints: every test
here fails when its rule is taken out of rtseg/analytics/analytics.py."""

from __future__ import annotations

import numpy as np

from rtseg.analytics import Analytics
from tests.analytics.helpers import GATE, HEIGHT, frame, kinds, objects, run, site

ZONE = {"name": "crossing", "polygon": [[100, 100], [300, 100], [300, 300], [100, 300]]}


def walk(track_id: int, ys: list[float], x: float = 320.0):
    """One track whose footpoint goes through ``ys`` at ``x``, one frame each."""
    return [objects([(x, y)], [track_id]) for y in ys]


def test_only_confirmed_tracks_count() -> None:
    # Unconfirmed detections (id -1) on both sides of the line in turn: one phantom track
    # made of them would "cross" every frame.
    steps = [objects([(320, 150 if i % 2 else 250)], [-1]) for i in range(10)]
    analytics = Analytics(site([GATE]))
    assert run(analytics, steps) == []
    assert analytics.tracks == 0


def test_flicker_and_stop_and_go_on_the_line_count_once() -> None:
    # Out, then 200 frames standing on the line with its footpoint flickering 5 px either side,
    # then on: one crossing. Without the band each flicker would count.
    jitter = [200 + (5 if i % 2 else -5) for i in range(200)]
    events = run(Analytics(site([GATE])), walk(1, [120, 160, *jitter, 240, 280]))
    assert kinds(events) == [("line_cross", "in")]


def test_a_one_frame_flicker_beyond_the_band_is_not_a_crossing() -> None:
    # An occlusion moves the mask's bottom 30 px back over the line for one frame.
    events = run(Analytics(site([GATE])), walk(1, [150, 250, 260, 180, 270, 280]))
    assert kinds(events) == [("line_cross", "in")]


def test_a_jump_over_the_line_between_two_frames_counts() -> None:
    events = run(Analytics(site([GATE])), walk(1, [120, 290, 300]))
    assert kinds(events) == [("line_cross", "in")]
    assert events[0].frame == 2  # confirmed by the second sighting on the "in" side


def test_every_crossing_counts_in_each_direction() -> None:
    analytics = Analytics(site([GATE]))
    events = run(analytics, walk(1, [150, 250, 250, 150, 150, 250, 250, 150, 150]))
    assert kinds(events) == [("line_cross", d) for d in ("in", "out", "in", "out")]
    last = analytics.update(frame(99), objects([], [])).metadata["analytics"]
    assert last.lines_record() == {"gate": {"in": 2, "out": 2}}


def test_a_move_past_the_end_of_the_line_is_not_a_crossing() -> None:
    events = run(Analytics(site([GATE])), walk(1, [150, 250, 250], x=600))
    assert events == []


def test_a_reused_id_starts_fresh() -> None:
    buffer = 5
    gone = [objects([], [])] * (buffer + 1)  # unseen longer than the tracker keeps it
    steps = [*walk(7, [150]), *gone, *walk(7, [250, 250])]  # another object, given id 7 again
    assert run(Analytics(site([GATE]), lost_buffer=buffer), steps) == []
    # Within the buffer it is the same track, re-found: its crossing counts.
    steps = [*walk(7, [150]), *gone[:buffer], *walk(7, [250, 250])]
    events = run(Analytics(site([GATE]), lost_buffer=buffer), steps)
    assert kinds(events) == [("line_cross", "in")]


def test_a_restarted_stream_starts_fresh() -> None:
    analytics = Analytics(site([GATE]))
    run(analytics, walk(7, [150, 150]))
    assert run(analytics, walk(7, [250, 250]), start=0) == []  # frame index went back to 0


def test_an_object_in_two_zones_is_in_both() -> None:
    other = {"name": "corner", "polygon": [[200, 200], [400, 200], [400, 340], [200, 340]]}
    analytics = Analytics(site(zones=[ZONE, other]))
    result = analytics.update(frame(0), objects([(250, 250)], [1])).metadata["analytics"]
    assert kinds(result.events) == [("zone_enter", "crossing"), ("zone_enter", "corner")]
    assert result.zones_record() == {"crossing": 1, "corner": 1}
    assert result.inside["crossing"].tolist() == [True]
    assert result.inside["corner"].tolist() == [True]


def test_a_track_lost_inside_a_zone_exits_after_the_lost_buffer() -> None:
    buffer = 10
    analytics = Analytics(site(zones=[ZONE]), lost_buffer=buffer)
    run(analytics, [objects([(200, 200)], [3])] * 4)  # seen at frames 0..3 (t = 100 ms last)
    for index in range(4, 4 + buffer):  # unseen: still inside for the tracker's buffer
        result = analytics.update(frame(index), objects([], [])).metadata["analytics"]
        assert result.events == () and result.zones_record() == {"crossing": 1}
    result = analytics.update(frame(4 + buffer), objects([], [])).metadata["analytics"]
    (event,) = result.events
    assert (event.event, event.reason, event.frame) == ("zone_exit", "lost", 4 + buffer)
    assert event.dwell_s == 0.1  # entered at 0 ms, last seen at 100 ms
    assert result.zones_record() == {"crossing": 0}


def test_dwell_is_measured_from_timestamps() -> None:
    # A live stream that kept only every third frame: 1 s passes in 10 frames, not 30.
    zone = {**ZONE, "loiter_s": 1.0}
    analytics = Analytics(site(zones=[zone]))
    loiters = []
    for index in range(0, 61, 3):
        result = analytics.update(frame(index), objects([(200, 200)], [4])).metadata["analytics"]
        loiters += [(e.frame, e.dwell_s) for e in result.events if e.event == "zone_loiter"]
    assert loiters == [(30, 1.0)]
    result = analytics.update(frame(63), objects([(200, 350)], [4])).metadata["analytics"]
    (exit_event,) = result.events
    assert (exit_event.event, exit_event.dwell_s) == ("zone_exit", 2.1)


def test_state_stays_bounded_over_a_million_track_ids() -> None:
    buffer, per_frame, frames = 30, 4000, 250
    analytics = Analytics(site([GATE], [ZONE]), lost_buffer=buffer)
    xs = np.linspace(20, 620, per_frame)
    for index in range(frames):
        ids = index * per_frame + np.arange(per_frame)
        feet = np.stack([xs, np.full(per_frame, 150.0 + index % 2 * 100)], axis=1)
        analytics.update(frame(index), objects(feet, ids))
        assert analytics.tracks <= per_frame * (buffer + 1)
    assert frames * per_frame == 1_000_000


def test_a_line_near_the_frame_edge_still_counts() -> None:
    # 4 px above the bottom edge: an object leaving through it ends at y = HEIGHT, 4 px past the
    # line, inside the default band (7.3 px here); the band is narrowed to what the frame allows.
    edge = {"name": "exit", "points": [[0, HEIGHT - 4], [640, HEIGHT - 4]], "in_side": [320, 0]}
    events = run(Analytics(site([edge])), walk(1, [HEIGHT, HEIGHT - 20, HEIGHT - 40]))
    assert kinds(events) == [("line_cross", "in")]


def test_a_footpoint_on_a_zone_edge_does_not_flap() -> None:
    jitter = [300 + (4 if i % 2 else -4) for i in range(50)]  # the zone's lower edge is y = 300
    events = run(Analytics(site(zones=[ZONE])), walk(1, [250, *jitter, 320], x=200))
    assert kinds(events) == [("zone_enter", "crossing"), ("zone_exit", "crossing")]


def test_lines_and_zones_count_only_their_classes() -> None:
    gate = {**GATE, "classes": [2]}
    analytics = Analytics(site([gate], [{**ZONE, "classes": [0]}]))
    steps = [
        objects([(200, 150), (320, 150)], [1, 2], [0, 2]),
        objects([(200, 250), (320, 250)], [1, 2], [0, 2]),
        objects([(200, 250), (320, 250)], [1, 2], [0, 2]),
    ]
    events = run(analytics, steps)
    assert [(e.event, e.track_id) for e in events] == [("zone_enter", 1), ("line_cross", 2)]
