"""Threaded capture → inference → render pipeline, with run statistics."""

from rtseg.pipeline.multi import MultiPipeline, Stream
from rtseg.pipeline.pipeline import Pipeline
from rtseg.pipeline.signals import stop_on_signals
from rtseg.pipeline.stages import StageError
from rtseg.pipeline.stats import Summary

__all__ = ["MultiPipeline", "Pipeline", "StageError", "Stream", "Summary", "stop_on_signals"]
