"""A recorded source resuming at a frame index, as a restarted Ray worker does."""

from __future__ import annotations

import itertools

from rtseg.sources import open_source
from rtseg.sources.resume import ResumedSource


def test_resumes_with_the_indices_and_timestamps_of_an_uninterrupted_run(highway_clip):
    with open_source(highway_clip, vid_stride=3) as whole:
        expected = [(frame.index, frame.time_ms) for frame in whole if frame.index >= 100]
    with ResumedSource(open_source(highway_clip, vid_stride=3), 100) as resumed:
        got = [(frame.index, frame.time_ms) for frame in resumed]
        assert resumed.fps == 25 and not resumed.is_live
    assert got == expected and got[0][0] == 102


def test_resumes_inside_a_later_loop_pass(highway_clip):
    with ResumedSource(open_source(highway_clip, loop=True), 250) as resumed:
        indices = [frame.index for frame in itertools.islice(resumed, 3)]
    assert indices == [250, 251, 252]
