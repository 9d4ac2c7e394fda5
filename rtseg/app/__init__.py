"""The application layer: a run described once (the plan), carried out by one runner, and the
one-call Python API on top of it."""

from rtseg.app.api import Result, segment, track
from rtseg.app.plan import ModelPlan, RayPlan, RunPlan, StreamPlan, make_plan
from rtseg.app.runner import Outcome, Runner

__all__ = [
    "ModelPlan",
    "Outcome",
    "RayPlan",
    "Result",
    "RunPlan",
    "Runner",
    "StreamPlan",
    "make_plan",
    "segment",
    "track",
]
