"""How inference uses the CPU cores it may use."""

from __future__ import annotations

import pytest

from rtseg.pipeline.plan import InferencePlan, inference_plan


@pytest.mark.parametrize(
    ("live", "cores", "streams", "plan"),
    [
        (False, 2, 1, InferencePlan(workers=2, threads=1)),  # recorded: frames side by side
        (False, 8, 1, InferencePlan(workers=4, threads=2)),  # at most 4 frames in flight
        (True, 2, 1, InferencePlan(workers=1, threads=2)),  # one live stream: all cores on it
        (True, 4, 2, InferencePlan(workers=2, threads=2)),  # live streams side by side
        (False, 1, 4, InferencePlan(workers=1, threads=1)),  # a 1-CPU Ray actor: 1 thread
    ],
)
def test_plan_for_the_cores_given(live, cores, streams, plan):
    assert inference_plan(live, cores=cores, streams=streams) == plan


def test_all_cores_by_default():
    assert inference_plan(live=True) == InferencePlan(workers=1, threads=None)
