"""Every output of a stream, built in one place from the plan: window, live view, video, JSON
Lines (own or shared), MOT, RTSP out and the analytics events (file, MQTT), in that order."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from rtseg.app.plan import RunPlan
from rtseg.closeable import Closeable
from rtseg.pipeline.stream_plan import StreamPlan
from rtseg.serve import LiveViewSink
from rtseg.sinks import JsonlSink, MotSink, RtspSink, Sink, VideoSink, WindowSink
from rtseg.sinks.events import EventsJsonlSink, StreamView
from rtseg.sinks.mqtt import MqttSink
from rtseg.sinks.shared_jsonl import SharedJsonl
from rtseg.sources import DEFAULT_FPS, SourceFacts


def output_fps(stream: StreamPlan, source: SourceFacts) -> float:
    """The rate of what is processed: strides apply to recorded input only."""
    return (source.fps or DEFAULT_FPS) / (1 if source.is_live else stream.vid_stride)


@dataclass(frozen=True)
class SharedOutputs:
    """The run's outputs that every stream writes into: the shared JSON Lines file (several
    streams only), the analytics events file and the MQTT broker."""

    jsonl: SharedJsonl | None = None
    events: EventsJsonlSink | None = None
    mqtt: MqttSink | None = None


def open_shared_outputs(plan: RunPlan, names: dict[int, str], stack: ExitStack) -> SharedOutputs:
    """The run's shared outputs, each closed with ``stack`` once every stream is done."""

    def opened(output: Closeable) -> Any:
        stack.callback(output.close)
        return output

    return SharedOutputs(
        opened(SharedJsonl(plan.jsonl, names)) if plan.jsonl and plan.several else None,
        opened(EventsJsonlSink(plan.events)) if plan.events else None,
        opened(MqttSink(plan.mqtt)) if plan.mqtt else None,
    )


def open_outputs(
    plan: RunPlan,
    stream: StreamPlan,
    source: SourceFacts,
    names: dict[int, str],
    stack: ExitStack,
    shared: SharedOutputs = SharedOutputs(),
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
    alone = not (plan.several or stream.writes or plan.serve or plan.caller_reads or plan.events)
    if plan.show or (alone and not plan.mqtt):
        add(WindowSink(title or stream.name))
    if plan.serve:
        add(LiveViewSink(plan.serve, token=plan.serve_token))
    if stream.output:
        add(VideoSink(stream.output, fps))
    if stream.jsonl:
        add(JsonlSink(stream.jsonl, names))
    elif shared.jsonl is not None:
        add(shared.jsonl.sink(stream.name))
    if stream.mot:
        add(MotSink(stream.mot))
    if stream.rtsp_out:
        add(RtspSink(stream.rtsp_out, fps, transport=stream.transport or "tcp"))
    if stream.analytics:
        sinks += [StreamView(sink) for sink in (shared.events, shared.mqtt) if sink is not None]
    return sinks
