"""Carry out a :class:`~rtseg.app.plan.RunPlan`: its streams go through the one engine
(:class:`~rtseg.pipeline.Pipeline`), in this process or hosted on Ray actors. Sources, model,
trackers and outputs are opened here, from the plan, and closed when the run ends.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import supervision as sv

from rtseg.annotate import FrameAnnotator
from rtseg.app.outputs import open_outputs, open_shared_outputs
from rtseg.app.plan import RunPlan
from rtseg.engine import Segmenter
from rtseg.engine.runtime import is_openvino_model
from rtseg.errors import EXIT_FAILURE
from rtseg.models import resolve_model
from rtseg.pipeline import Pipeline, RunSummary, stop_on_signals
from rtseg.pipeline.plan import load_model
from rtseg.serve import LiveViewSink
from rtseg.sources import Frame

if TYPE_CHECKING:
    from rtseg.pipeline.stream_plan import StreamPlan
    from rtseg.sinks import Sink
    from rtseg.sources import SourceFacts

StreamCallback = Callable[[str, Frame, sv.Detections], None]


class Engine(Protocol):
    """What runs a plan's streams: the in-process pipeline or its Ray host."""

    def run(self) -> RunSummary: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Outcome:
    """How a run ended: its summary, the signal that stopped it (if any) and whether a
    stream failed."""

    summary: RunSummary
    signal_exit: int = 0  # 128 + the signal number when a signal stopped the run
    failed: bool = False

    @property
    def exit_code(self) -> int:
        """128+signal when a signal stopped the run, else 1 when a stream failed, else 0."""
        return self.signal_exit or (EXIT_FAILURE if self.failed else 0)


class Runner:
    """Runs ``plan`` once. ``on_frame(stream, frame, detections)`` sees every processed frame
    (from the stream's render thread); ``signals`` turns SIGINT/SIGTERM into a clean stop (main
    thread only). :meth:`stop` may be called from any thread, before or during the run."""

    def __init__(
        self, plan: RunPlan, on_frame: StreamCallback | None = None, *, signals: bool = True
    ) -> None:
        self.plan = plan
        self.on_frame = on_frame
        self.signals = signals
        self.live: dict[str, bool] = {}  # each stream's source is live (known once opened)
        self._engine: Engine | None = None
        self._names: dict[int, str] = {}  # the model's class names, once it is loaded
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()
        if self._engine is not None:
            self._engine.stop()

    def run(self) -> Outcome:
        """Open everything, run until the input ends or :meth:`stop`, close everything. A run
        of one stream fails as a whole: its stream's failure is raised (a one-line error)."""
        self.plan.check()
        model = resolve_model(self.plan.model.path)
        with ExitStack() as stack:
            host = self._on_ray if self.plan.ray is not None else self._in_process
            self._engine = host(model, stack)
            if self._stopping.is_set():
                self._engine.stop()
            with ExitStack() as signals:
                caught = signals.enter_context(stop_on_signals(self.stop)) if self.signals else None
                summary = replace(self._engine.run(), per_stream=self.plan.several)
        if not self.plan.several and summary.failed:
            (error,) = summary.failed.values()
            raise error
        return Outcome(summary, caught.exit_code if caught else 0, bool(summary.failed))

    def _annotator(self, stream: StreamPlan) -> FrameAnnotator:
        return stream.annotator(self._names, self.plan.trace)

    def _in_process(self, model: Path, stack: ExitStack) -> Pipeline:
        plan = self.plan
        sources = []
        for stream in plan.streams:
            sources.append(stream.open())
            stack.callback(sources[-1].close)
            self.live[stream.name] = sources[-1].is_live
        segmenter, workers = load_model(model, plan.model, plan.streams, sources, plan.track)
        self._names = segmenter.names
        shared = open_shared_outputs(plan, self._names, stack)
        streams = [
            stream.stream(
                source,
                plan.track,
                self._names,
                open_outputs(plan, stream, source.facts, self._names, stack, shared, source.name),
                self._annotator(stream),
            )
            for stream, source in zip(plan.streams, sources, strict=True)
        ]
        pipeline = Pipeline(
            streams,
            segmenter,
            self.on_frame,
            overlay=not plan.several,
            progress=plan.progress,
            infer_workers=workers,
        )
        for stream in streams:
            for sink in stream.sinks:
                if isinstance(sink, LiveViewSink):
                    sink.status = functools.partial(pipeline.status, stream.name)
        return pipeline

    def _on_ray(self, model: Path, stack: ExitStack) -> Engine:
        """The streams on Ray actors, their outputs written here (imported on use: Ray is an
        optional extra)."""
        from rtseg.cluster import RayHost

        plan, ray = self.plan, self.plan.ray
        # The model is checked here, before any actor (OpenVINO IR only loads in OpenVINO).
        device = "openvino" if is_openvino_model(model) else "cpu"
        self._names = Segmenter(str(model), device=device).names
        shared = open_shared_outputs(plan, self._names, stack)

        def outputs(stream: StreamPlan, facts: SourceFacts) -> list[Sink]:
            return open_outputs(plan, stream, facts, self._names, stack, shared)

        return RayHost(
            plan.streams,
            replace(plan.model, path=str(model.resolve())),
            track=plan.track,
            outputs=outputs,
            annotator=self._annotator,
            address=ray.address,
            actors=ray.actors,
            cpus_per_actor=ray.cpus_per_actor,
            progress=plan.progress,
        )
