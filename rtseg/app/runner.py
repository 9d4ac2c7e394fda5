"""Carry out a :class:`~rtseg.app.plan.RunPlan`: in this process (one stream through a
:class:`~rtseg.pipeline.Pipeline`, several through a :class:`~rtseg.pipeline.MultiPipeline`
sharing one model) or on Ray actors. Sources, model, trackers and outputs are opened here, from
the plan, and closed when the run ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import supervision as sv

from rtseg.annotate import FrameAnnotator
from rtseg.app.outputs import open_outputs, open_shared_jsonl
from rtseg.app.plan import RunPlan, StreamPlan
from rtseg.engine import Segmenter
from rtseg.engine.runtime import is_openvino_model
from rtseg.models import resolve_model
from rtseg.pipeline import MultiPipeline, Pipeline, Stream, stop_on_signals
from rtseg.pipeline.plan import load_segmenter
from rtseg.serve import LiveViewSink
from rtseg.sources import Frame, FrameSource
from rtseg.tracking import Tracker

if TYPE_CHECKING:
    from rtseg.cluster import RaySummary
    from rtseg.pipeline import Summary
    from rtseg.pipeline.multi import MultiSummary

EXIT_FAILURE = 1

StreamCallback = Callable[[str, Frame, sv.Detections], None]


@dataclass(frozen=True)
class Outcome:
    """How a run ended: its summary, the signal that stopped it (if any) and whether a
    stream failed."""

    summary: Summary | MultiSummary | RaySummary
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
        self._target: Any = None  # the pipeline running, once there is one
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()
        if self._target is not None:
            self._target.stop()

    def run(self) -> Outcome:
        """Open everything, run until the input ends or :meth:`stop`, close everything."""
        self.plan.check()
        model = resolve_model(self.plan.model.path)
        if self.plan.ray is not None:
            return self._run_ray(str(model.resolve()))
        with ExitStack() as stack:
            if self.plan.several:
                return self._run(self._multi(model, stack), lambda summary: bool(summary.failed))
            return self._run(self._single(model, stack), lambda summary: False)

    def _run(self, target: Any, failed: Callable[[Any], bool]) -> Outcome:
        self._target = target
        if self._stopping.is_set():
            target.stop()
        if not self.signals:
            summary = target.run()
            return Outcome(summary, failed=failed(summary))
        with stop_on_signals(self.stop) as caught:
            summary = target.run()
        return Outcome(summary, caught.exit_code, failed(summary))

    def _open(self, stream: StreamPlan, stack: ExitStack) -> FrameSource:
        source = stream.open()
        stack.callback(source.close)
        self.live[stream.name] = source.is_live
        return source

    def _tracker(self, stream: StreamPlan, source: FrameSource) -> Tracker | None:
        return stream.tracker(self.plan.model.conf, source.fps) if self.plan.track else None

    def _annotator(self, names: dict[int, str]) -> FrameAnnotator:
        return FrameAnnotator(names, trace=self.plan.trace)

    def _single(self, model: Any, stack: ExitStack) -> Pipeline:
        plan, (stream,) = self.plan, self.plan.streams
        source = self._open(stream, stack)
        conf, classes = plan.model_filters()
        segmenter, workers = load_segmenter(
            model,
            source.is_live,
            device=plan.model.device,
            precision=plan.model.precision,
            conf=conf,
            iou=plan.model.iou,
            classes=classes,
        )
        sinks = open_outputs(plan, stream, source, segmenter.names, stack, title=source.name)
        on_frame = self.on_frame
        pipeline = Pipeline(
            source,
            segmenter,
            self._tracker(stream, source),
            sinks,
            self._annotator(segmenter.names),
            None if on_frame is None else lambda frame, found: on_frame(stream.name, frame, found),
            overlay=source.is_live,
            progress=plan.progress,
            infer_workers=workers,
        )
        for sink in sinks:
            if isinstance(sink, LiveViewSink):
                sink.status = pipeline.status
        return pipeline

    def _multi(self, model: Any, stack: ExitStack) -> MultiPipeline:
        plan = self.plan
        sources = [self._open(stream, stack) for stream in plan.streams]
        conf, classes = plan.model_filters()
        segmenter, workers = load_segmenter(
            model,
            any(source.is_live for source in sources),
            streams=len(sources),
            device=plan.model.device,
            precision=plan.model.precision,
            conf=conf,
            iou=plan.model.iou,
            classes=classes,
        )
        names = segmenter.names
        shared_jsonl = open_shared_jsonl(plan, names, stack)
        streams = [
            Stream(
                stream.name,
                source,
                open_outputs(plan, stream, source, names, stack, shared_jsonl),
                self._tracker(stream, source),
                self._annotator(names),
                conf=stream.kept_conf(plan.model.conf, plan.track),
                classes=stream.classes or plan.model.classes,
            )
            for stream, source in zip(plan.streams, sources, strict=True)
        ]
        return MultiPipeline(
            streams, segmenter, self.on_frame, progress=plan.progress, infer_workers=workers
        )

    def _run_ray(self, model: str) -> Outcome:
        """The streams on Ray actors, their outputs written here (imported on use: Ray is an
        optional extra)."""
        from rtseg.cluster import ModelSpec, RayPipeline, RayStream, StreamSpec

        plan, ray = self.plan, self.plan.ray
        # The model is checked here, before any actor (OpenVINO IR only loads in OpenVINO).
        device = "openvino" if is_openvino_model(Path(model)) else "cpu"
        names = Segmenter(model, device=device).names
        _, classes = plan.model_filters()
        spec = ModelSpec(
            model,
            device=plan.model.device,
            precision=plan.model.precision,
            conf=plan.model.conf,
            iou=plan.model.iou,
            classes=classes,
            track=plan.track,
        )
        with ExitStack() as stack:
            shared_jsonl = open_shared_jsonl(plan, names, stack)

            def outputs_of(stream: StreamPlan) -> Callable[[Any], list]:
                return lambda facts: open_outputs(plan, stream, facts, names, stack, shared_jsonl)

            streams = [
                RayStream(
                    StreamSpec(
                        stream.name,
                        str(stream.source),
                        stream.vid_stride,
                        stream.loop,
                        stream.realtime,
                        stream.transport,
                        stream.conf,
                        stream.classes or plan.model.classes,
                    ),
                    outputs_of(stream),
                    draws=stream.draws,
                    annotator=self._annotator(names),
                )
                for stream in plan.streams
            ]
            pipeline = RayPipeline(
                streams,
                spec,
                address=ray.address,
                actors=ray.actors,
                cpus_per_actor=ray.cpus_per_actor,
                progress=plan.progress,
            )
            return self._run(pipeline, lambda summary: bool(summary.errors))
