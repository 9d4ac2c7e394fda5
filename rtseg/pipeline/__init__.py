"""Threaded capture → inference → render pipeline, with run statistics."""

from rtseg.pipeline.pipeline import Pipeline
from rtseg.pipeline.signals import stop_on_signals
from rtseg.pipeline.stages import StageError
from rtseg.pipeline.stats import Summary

__all__ = ["Pipeline", "StageError", "Summary", "stop_on_signals"]
