"""Every output of a stream, built in one place from the plan: window, live view, video, JSON
Lines (own or shared), MOT and RTSP out, in that order."""

from __future__ import annotations

from contextlib import ExitStack

from rtseg.app.plan import RunPlan
from rtseg.pipeline.stream_plan import StreamPlan
from rtseg.serve import LiveViewSink
from rtseg.sinks import JsonlSink, MotSink, RtspSink, Sink, VideoSink, WindowSink
from rtseg.sinks.shared_jsonl import SharedJsonl
from rtseg.sources import DEFAULT_FPS, SourceFacts


def output_fps(stream: StreamPlan, source: SourceFacts) -> float:
    """The rate of what is processed: strides apply to recorded input only."""
    return (source.fps or DEFAULT_FPS) / (1 if source.is_live else stream.vid_stride)


def open_outputs(
    plan: RunPlan,
    stream: StreamPlan,
    source: SourceFacts,
    names: dict[int, str],
    stack: ExitStack,
    shared_jsonl: SharedJsonl | None = None,
    title: str | None = None,
) -> list[Sink]:
    """The stream's sinks, each registered to close with ``stack``. A single stream without
    any output (nor a caller reading its results) gets the preview window (titled ``title``,
    default the stream's name)."""
    sinks: list[Sink] = []

    def add(sink: Sink) -> None:
        stack.callback(sink.close)
        sinks.append(sink)

    fps = output_fps(stream, source)
    alone = not (plan.several or stream.writes or plan.serve or plan.caller_reads)
    if plan.show or alone:
        add(WindowSink(title or stream.name))
    if plan.serve:
        add(LiveViewSink(plan.serve, token=plan.serve_token))
    if stream.output:
        add(VideoSink(stream.output, fps))
    if stream.jsonl:
        add(JsonlSink(stream.jsonl, names))
    elif shared_jsonl is not None:
        add(shared_jsonl.sink(stream.name))
    if stream.mot:
        add(MotSink(stream.mot))
    if stream.rtsp_out:
        add(RtspSink(stream.rtsp_out, fps, transport=stream.transport or "tcp"))
    return sinks


def open_shared_jsonl(plan: RunPlan, names: dict[int, str], stack: ExitStack) -> SharedJsonl | None:
    """The run's shared JSON Lines file (several streams only), closed with ``stack``."""
    if not (plan.jsonl and plan.several):
        return None
    shared = SharedJsonl(plan.jsonl, names)
    stack.callback(shared.close)
    return shared
