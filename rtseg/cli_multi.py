"""``rtseg run`` with several sources: ``--source`` given more than once, or ``--sources FILE``.

Command-line options are every stream's defaults; a streams file can override ``vid_stride``,
``loop``, ``realtime``, ``transport``, ``conf`` and ``classes`` and give a stream its own
outputs. A stream without its own ``output``/``mot``/``rtsp_out`` writes the command line's
name with ``-<stream>`` added (``--output runs/out.mp4`` → ``runs/out-front.mp4``,
``--rtsp-out rtsp://host/live`` → ``rtsp://host/live-front``); one without its own ``jsonl``
writes to the shared ``--jsonl`` file, whose lines carry a ``"stream"`` key.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from rtseg.annotate import FrameAnnotator
from rtseg.cli import DEFAULT_FPS, EXIT_FAILURE, strict_exit
from rtseg.cluster.worker import SourceFacts
from rtseg.errors import RtsegError
from rtseg.models import resolve_model
from rtseg.pipeline import stop_on_signals
from rtseg.pipeline.multi import MultiPipeline, Stream
from rtseg.pipeline.plan import load_segmenter
from rtseg.pipeline.signals import Caught
from rtseg.pipeline.streams import StreamConfig, configs_from_sources, load_streams
from rtseg.sinks import JsonlSink, MotSink, RtspSink, Sink, VideoSink
from rtseg.sinks.shared_jsonl import SharedJsonl
from rtseg.sources import FrameSource, open_source
from rtseg.tracking import Tracker


def wants_multi(args: argparse.Namespace) -> bool:
    """True when the command line names several sources or a streams file."""
    return bool(args.sources) or len(args.source or ()) > 1


def stream_configs(args: argparse.Namespace) -> list[StreamConfig]:
    if args.sources:
        if args.source:
            raise RtsegError("use either --source or --sources, not both")
        return load_streams(args.sources)
    return configs_from_sources(args.source)


def check_outputs(args: argparse.Namespace, configs: list[StreamConfig]) -> None:
    """Several streams write files only (windows and the live view take a single source)."""
    if args.show or args.serve:
        raise RtsegError("--show and --serve take one source; with several use --output/--jsonl")
    if args.no_track and (args.mot or any(config.mot for config in configs)):
        raise RtsegError("--mot writes track ids: drop --no-track")
    shared = args.output or args.jsonl or args.mot or args.rtsp_out
    for config in configs:
        if not (shared or config.output or config.jsonl or config.mot or config.rtsp_out):
            raise RtsegError(
                f"stream {config.name} has no output: give --output, --jsonl, --mot or"
                " --rtsp-out (or output/jsonl/mot/rtsp_out in the streams file)"
            )


def per_stream_path(path: str, name: str) -> str:
    """``runs/out.mp4`` → ``runs/out-<name>.mp4``."""
    target = Path(path)
    return str(target.with_name(f"{target.stem}-{name}{target.suffix}"))


def per_stream_url(url: str, name: str) -> str:
    """``rtsp://host/live`` → ``rtsp://host/live-<name>``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}-{name}"))


def open_stream_sinks(
    args: argparse.Namespace,
    config: StreamConfig,
    source: SourceFacts | FrameSource,
    shared_jsonl: SharedJsonl | None,
    names: dict[int, str],
    stack: ExitStack,
) -> list[Sink]:
    """The stream's outputs for a source with these facts (``fps``, ``is_live``; a
    ``FrameSource`` has them), each registered to close with ``stack``."""
    sinks: list[Sink] = []

    def add(sink: Sink) -> None:
        stack.callback(sink.close)
        sinks.append(sink)

    output = config.output or (args.output and per_stream_path(args.output, config.name))
    mot = config.mot or (args.mot and per_stream_path(args.mot, config.name))
    stride = 1 if source.is_live else config.vid_stride or args.vid_stride
    fps = (source.fps or DEFAULT_FPS) / stride  # of what is processed: live input ignores strides
    if output:
        add(VideoSink(output, fps))
    if config.jsonl:
        add(JsonlSink(config.jsonl, names))
    elif shared_jsonl is not None:
        add(shared_jsonl.sink(config.name))
    if mot:
        add(MotSink(mot))
    rtsp_out = config.rtsp_out or (args.rtsp_out and per_stream_url(args.rtsp_out, config.name))
    if rtsp_out:
        add(RtspSink(rtsp_out, fps, transport=config.transport or args.transport or "tcp"))
    return sinks


def model_filters(
    args: argparse.Namespace, configs: list[StreamConfig]
) -> tuple[float, list[int] | None]:
    """The shared model's confidence and classes: permissive enough for every stream."""
    classes = [config.classes or args.classes for config in configs]
    conf = min(args.conf if config.conf is None else config.conf for config in configs)
    if any(chosen is None for chosen in classes):
        return conf, None
    return conf, sorted({class_id for chosen in classes for class_id in chosen})


def run_multi(args: argparse.Namespace) -> int:
    """Open every stream, run them with one model, print the per-stream summary. Exit code:
    0, 1 when a stream failed, or 128+signal when stopped by a signal."""
    configs = stream_configs(args)
    check_outputs(args, configs)
    model = resolve_model(args.model)
    with ExitStack() as stack:
        sources = []
        for config in configs:
            source = open_source(
                config.source,
                vid_stride=config.vid_stride or args.vid_stride,
                loop=args.loop if config.loop is None else config.loop,
                realtime=args.realtime if config.realtime is None else config.realtime,
                transport=config.transport or args.transport,
            )
            stack.callback(source.close)
            sources.append(source)
        conf, classes = model_filters(args, configs)
        segmenter, workers = load_segmenter(
            model,
            any(source.is_live for source in sources),
            streams=len(sources),
            device=args.device,
            precision=args.precision,
            conf=conf,
            iou=args.iou,
            classes=classes,
        )
        shared_jsonl = SharedJsonl(args.jsonl, segmenter.names) if args.jsonl else None
        if shared_jsonl is not None:
            stack.callback(shared_jsonl.close)
        streams = [
            Stream(
                config.name,
                source,
                open_stream_sinks(args, config, source, shared_jsonl, segmenter.names, stack),
                None if args.no_track else Tracker(frame_rate=source.fps or DEFAULT_FPS),
                FrameAnnotator(segmenter.names, trace=args.trace),
                conf=args.conf if config.conf is None else config.conf,
                classes=config.classes or args.classes,
            )
            for config, source in zip(configs, sources, strict=True)
        ]
        pipeline = MultiPipeline(streams, segmenter, progress=True, infer_workers=workers)
        with stop_on_signals(pipeline.stop) as caught:
            summary = pipeline.run()
    return report(args, summary.format(), caught, bool(summary.failed), summary.undecodable)


def report(
    args: argparse.Namespace, summary: str, caught: Caught, failed: bool, skipped: int
) -> int:
    """Print the run's summary; the exit code: 128+signal when a signal stopped the run, else
    1 when a stream failed or (``--strict``) frames were ``skipped``, else 0."""
    print(summary, file=sys.stderr)
    return caught.exit_code or (EXIT_FAILURE if failed else strict_exit(args, skipped))
