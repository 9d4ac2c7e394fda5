"""How inference uses the CPU: frames side by side for recorded input, one at a time for live.

A small model spread over all cores by onnxruntime wastes much of them in synchronisation;
single-threaded sessions each running its own frame keep every core busy (on 2 cores about
1.25x the throughput). A live stream wants its newest frame done soonest instead, so one live
stream gets one session using all cores; several (sharing one model) are inferred side by side.
On a GPU the threads barely matter and one frame at a time is kept.

OpenVINO plans for itself: compiled with its THROUGHPUT hint (recorded input, several streams)
it splits the cores into streams and says how many requests to keep in flight, which become the
pipeline's inference lanes; with its LATENCY hint (one live stream) it runs one frame on all.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rtseg.engine import Segmenter
from rtseg.pipeline.stream_plan import ModelPlan, StreamPlan, model_filters
from rtseg.sources import FrameSource

CPU_PROVIDER = "CPUExecutionProvider"
OPENVINO = "openvino"
MAX_WORKERS = 4  # frames in flight at once; more only adds memory and latency


@dataclass(frozen=True)
class InferencePlan:
    """``workers`` frames inferred at once, each with ``threads`` intra-op threads (None:
    the engine's default, all cores)."""

    workers: int
    threads: int | None


def inference_plan(live: bool, cores: int | None = None, streams: int = 1) -> InferencePlan:
    """Live input has one frame in flight per stream, so several live streams (one model
    serving them all) are inferred side by side like recorded frames."""
    given = cores
    cores = cores or os.cpu_count() or 1
    workers = min(cores, MAX_WORKERS, streams if live else MAX_WORKERS)
    if workers < 2:
        return InferencePlan(workers=1, threads=given)
    return InferencePlan(workers=workers, threads=cores // workers)


def load_segmenter(
    model: str | Path, live: bool, streams: int = 1, cores: int | None = None, **options: Any
) -> tuple[Segmenter, int]:
    """A ``Segmenter`` threaded for the plan, and the ``infer_workers`` to run it with.

    ``cores``: the CPU cores this process may use (default: all), e.g. a Ray actor's share.
    """
    plan = inference_plan(live, cores=cores, streams=streams)
    throughput = not live or streams > 1
    segmenter = Segmenter(
        model, threads=plan.threads, cores=cores, throughput=throughput, **options
    )
    if segmenter.engine == OPENVINO:
        return segmenter, segmenter.requests
    return segmenter, plan.workers if segmenter.provider == CPU_PROVIDER else 1


def load_model(
    path: str | Path,
    model: ModelPlan,
    streams: Sequence[StreamPlan],
    sources: Sequence[FrameSource],
    track: bool,
    cores: int | None = None,
) -> tuple[Segmenter, int]:
    """The model at ``path`` loaded with ``model``'s options for a run of ``streams`` (open as
    ``sources``): permissive enough for every stream, threaded for the plan; and the
    ``infer_workers`` to run it with."""
    conf, classes = model_filters(streams, track)
    return load_segmenter(
        path,
        any(source.is_live for source in sources),
        streams=len(streams),
        cores=cores,
        device=model.device,
        precision=model.precision,
        conf=conf,
        iou=model.iou,
        classes=classes,
    )
