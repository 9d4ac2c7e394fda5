"""The engine: one threaded capture → inference → render pipeline for one or many streams
sharing a model, with run statistics."""

from rtseg.pipeline.pipeline import Pipeline
from rtseg.pipeline.signals import stop_on_signals
from rtseg.pipeline.stages import StageError
from rtseg.pipeline.stats import RunSummary, StreamResult, Summary
from rtseg.pipeline.stream import Stream

__all__ = [
    "Pipeline",
    "RunSummary",
    "StageError",
    "Stream",
    "StreamResult",
    "Summary",
    "stop_on_signals",
]
