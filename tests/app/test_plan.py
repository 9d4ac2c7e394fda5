"""How a run's confidence thresholds reach the shared model, each stream and its tracker."""

from __future__ import annotations

from collections import defaultdict

import pytest

from rtseg.app.plan import ModelPlan, make_plan
from rtseg.app.runner import Runner
from rtseg.tracking import LOW_THRESH, NEW_TRACK_THRESH


def plan_of(
    *confs: float | None,
    source: object = "clip.mp4",
    conf: float = 0.25,
    track: bool = True,
    **model,
):
    """A plan of one stream per entry of ``confs`` (its own conf, None: the run's)."""
    configs = [
        {"name": f"s{i}", "source": str(source), **({} if c is None else {"conf": c})}
        for i, c in enumerate(confs)
    ]
    return make_plan(configs, model=ModelPlan(conf=conf, **model), track=track, caller_reads=True)


@pytest.mark.parametrize(
    ("confs", "track", "model_conf", "kept"),
    [
        ((None,), True, LOW_THRESH, [LOW_THRESH]),  # the default run: the tracker's low threshold
        ((None,), False, 0.25, [0.25]),  # --no-track: exactly --conf
        ((None, 0.5), True, LOW_THRESH, [LOW_THRESH, LOW_THRESH]),
        ((None, 0.5), False, 0.25, [0.25, 0.5]),
        ((0.05, 0.5), True, 0.05, [0.05, LOW_THRESH]),  # below the low threshold: conf itself
    ],
)
def test_the_model_keeps_what_every_stream_and_its_tracker_need(confs, track, model_conf, kept):
    plan = plan_of(*confs, track=track)
    assert plan.model_filters()[0] == model_conf
    assert [stream.kept_conf(plan.track) for stream in plan.streams] == kept


def test_each_streams_tracker_follows_that_streams_conf():
    plan = plan_of(None, 0.7, conf=0.3)
    default, strict = (stream.tracker(25.0) for stream in plan.streams)
    assert (default.high_thresh, default.low_thresh, default.new_track_thresh) == (
        0.3,
        LOW_THRESH,
        NEW_TRACK_THRESH,
    )
    assert (strict.high_thresh, strict.low_thresh, strict.new_track_thresh) == (
        0.7,
        LOW_THRESH,
        0.7,
    )


def test_a_stricter_stream_of_a_shared_model_still_carries_its_tracks_below_its_conf(
    fp32_model, short_clip
):
    plan = plan_of(None, 0.5, path=str(fp32_model), device="cpu", source=short_clip)
    found = defaultdict(list)
    outcome = Runner(
        plan, lambda name, frame, detections: found[name].append(detections), signals=False
    ).run()
    assert outcome.exit_code == 0
    strict = [float(c) for detections in found["s1"] for c in detections.confidence]
    assert min(strict) >= LOW_THRESH and any(c < 0.5 for c in strict)
