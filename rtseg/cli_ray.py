"""``rtseg run --ray [ADDRESS]``: the streams on Ray actors, their outputs written here.

The streams and outputs are those of a multi-source run (``--source`` repeated or ``--sources
FILE``; one source works too); each actor loads its own session of the model.
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack

from rtseg.annotate import FrameAnnotator
from rtseg.cli_multi import (
    check_outputs,
    model_filters,
    open_stream_sinks,
    report,
    stream_configs,
)
from rtseg.cluster import ModelSpec, RayPipeline, RayStream, SourceFacts, StreamSpec
from rtseg.engine import Segmenter
from rtseg.engine.runtime import is_openvino_model
from rtseg.models import resolve_model
from rtseg.pipeline import stop_on_signals
from rtseg.pipeline.streams import StreamConfig
from rtseg.sinks import Sink
from rtseg.sinks.shared_jsonl import SharedJsonl


def stream_spec(args: argparse.Namespace, config: StreamConfig) -> StreamSpec:
    """What the worker opens for ``config``, the command line filling what it leaves open."""
    return StreamSpec(
        name=config.name,
        source=config.source,
        vid_stride=config.vid_stride or args.vid_stride,
        loop=args.loop if config.loop is None else config.loop,
        realtime=args.realtime if config.realtime is None else config.realtime,
        transport=config.transport or args.transport,
        conf=args.conf if config.conf is None else config.conf,
        classes=tuple(config.classes or args.classes or ()) or None,
    )


def run_ray(args: argparse.Namespace) -> int:
    """Run every stream on Ray actors and print the summary. Exit code: 0, 1 when a stream
    failed, or 128+signal when stopped by a signal."""
    if not (args.source or args.sources):
        args.source = ["0"]
    configs = stream_configs(args)
    check_outputs(args, configs)
    model = resolve_model(args.model)
    # Checks the model here, before any actor (OpenVINO IR only loads in OpenVINO).
    names = Segmenter(model, device="openvino" if is_openvino_model(model) else "cpu").names
    conf, classes = model_filters(args, configs)
    spec = ModelSpec(
        str(model.resolve()),
        device=args.device,
        precision=args.precision,
        conf=conf,
        iou=args.iou,
        classes=None if classes is None else tuple(classes),
        track=not args.no_track,
    )
    with ExitStack() as stack:
        shared_jsonl = SharedJsonl(args.jsonl, names) if args.jsonl else None
        if shared_jsonl is not None:
            stack.callback(shared_jsonl.close)

        def sinks_of(config: StreamConfig):
            def open_sinks(facts: SourceFacts) -> list[Sink]:
                return open_stream_sinks(args, config, facts, shared_jsonl, names, stack)

            return open_sinks

        streams = [
            RayStream(
                stream_spec(args, config),
                sinks_of(config),
                draws=bool(args.output or config.output or args.rtsp_out or config.rtsp_out),
                annotator=FrameAnnotator(names, trace=args.trace),
            )
            for config in configs
        ]
        pipeline = RayPipeline(
            streams,
            spec,
            address=args.ray or None,
            actors=args.ray_actors,
            cpus_per_actor=args.ray_cpus,
            progress=True,
        )
        with stop_on_signals(pipeline.stop) as caught:
            summary = pipeline.run()
    return report(args, summary.format(), caught, bool(summary.errors), summary.undecodable)
