"""Scale-out on a Ray cluster: stream groups on actors, each with its own model session."""

from rtseg.cluster.driver import RayPipeline, RayStream, RaySummary
from rtseg.cluster.worker import ModelSpec, SourceFacts, StreamGroupWorker
from rtseg.pipeline.stream_spec import StreamSpec

__all__ = [
    "ModelSpec",
    "RayPipeline",
    "RayStream",
    "RaySummary",
    "SourceFacts",
    "StreamGroupWorker",
    "StreamSpec",
]
