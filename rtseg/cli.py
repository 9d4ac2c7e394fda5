"""``rtseg run`` (segment and track a source into any mix of outputs) and ``rtseg info``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack

import av.logging
import cv2
from tqdm import tqdm

from rtseg.annotate import FrameAnnotator
from rtseg.cli_quantize import add_parser as add_quantize_parser
from rtseg.engine import Segmenter
from rtseg.engine.providers import parse_device
from rtseg.engine.runtime import PRECISIONS
from rtseg.errors import RtsegError
from rtseg.models import resolve_model
from rtseg.pipeline import Pipeline, StageError, stop_on_signals
from rtseg.pipeline.plan import load_segmenter
from rtseg.serve import LiveViewSink
from rtseg.sinks import JsonlSink, MotSink, RtspSink, VideoSink, WindowSink
from rtseg.sources import FrameSource, open_source
from rtseg.sources.live import TRANSPORTS
from rtseg.tracking import Tracker

log = logging.getLogger("rtseg")

DEFAULT_FPS = 30.0  # live sources that do not report a frame rate
EXIT_USAGE = 2  # user-fixable problems, as argparse uses for bad flags
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130
FFMPEG_LOG_LEVEL = "OPENCV_FFMPEG_LOGLEVEL"
FFMPEG_QUIET = "-8"  # AV_LOG_QUIET


class OneLineFormatter(logging.Formatter):
    """``rtseg: warning: message`` — the same shape as the error lines."""

    def format(self, record: logging.LogRecord) -> str:
        record.levelname_lower = record.levelname.lower()
        return super().format(record)


class BarSafeHandler(logging.StreamHandler):
    """Writes each record through tqdm, so a warning never lands behind a progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=self.stream)
        except Exception:
            self.handleError(record)


def configure_logging(verbose: bool) -> None:
    """One-line log records on stderr; OpenCV's and FFmpeg's own native logs only with
    ``--verbose`` (their multi-line reports, e.g. on every reconnect attempt or damaged packet,
    would bury the one line rtseg prints for the same problem)."""
    cv2.utils.logging.setLogLevel(
        cv2.utils.logging.LOG_LEVEL_WARNING if verbose else cv2.utils.logging.LOG_LEVEL_SILENT
    )
    if verbose:
        av.logging.restore_default_callback()  # PyAV's FFmpeg: silent unless asked
    else:
        os.environ.setdefault(FFMPEG_LOG_LEVEL, FFMPEG_QUIET)  # read when a capture first opens
    handler = BarSafeHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter("rtseg: %(levelname_lower)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


def device_arg(value: str) -> str:
    """argparse type: a device string the engine understands."""
    try:
        parse_device(value)
    except RtsegError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rtseg", description="Real-time instance segmentation with stable track IDs."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{run,info,quantize}")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--model",
        help="YOLO-seg .onnx, OpenVINO .xml or *_openvino_model folder"
        " (default: $RTSEG_MODEL, then models/)",
    )
    common.add_argument(
        "--device",
        type=device_arg,
        default="auto",
        help="auto | cpu | cuda[:N] | tensorrt[:N] | openvino[:CPU|:GPU] (default: auto:"
        " TensorRT, CUDA, OpenVINO, then onnxruntime CPU, as available)",
    )
    common.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help="OpenVINO inference precision (default: auto, OpenVINO's choice for the device)",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="debug logs, tracebacks")

    run = commands.add_parser(
        "run", parents=[common], help="segment and track a video, images, webcam or stream"
    )
    run.add_argument(
        "--source",
        action="append",
        help="video file, image, folder, glob, webcam index or rtsp/http(s) URL (default: 0);"
        " give it several times to run several sources with one model",
    )
    run.add_argument(
        "--sources",
        metavar="FILE",
        help="streams file (YAML or JSON): several sources with names and per-stream options",
    )
    run.add_argument("--conf", type=float, default=0.25, help="confidence threshold")
    run.add_argument("--iou", type=float, default=0.7, help="NMS IoU threshold")
    run.add_argument("--classes", type=int, nargs="+", help="keep only these class ids")
    run.add_argument("--no-track", action="store_true", help="detections only, no track ids")
    run.add_argument("--show", action="store_true", help="preview window (implied without outputs)")
    run.add_argument("--output", help="annotated H.264 MP4 video")
    run.add_argument("--jsonl", help="results as JSON Lines, one line per frame")
    run.add_argument("--mot", help="tracks as MOTChallenge text")
    run.add_argument(
        "--serve",
        metavar="[HOST:]PORT",
        help="browser live view + /api/status + /metrics (host 127.0.0.1 unless given)",
    )
    run.add_argument("--serve-token", help="token the live view requires (Bearer or ?token=)")
    run.add_argument(
        "--rtsp-out",
        metavar="URL",
        help="publish the annotated stream as H.264 to rtsp://host:port/path",
    )
    run.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="run the streams on Ray actors (a cluster's address, or a local Ray without one)",
    )
    run.add_argument(
        "--ray-actors", type=int, help="Ray actors (default: cluster CPUs / --ray-cpus)"
    )
    run.add_argument("--ray-cpus", type=int, default=1, help="CPUs each Ray actor declares")
    run.add_argument("--trace", action="store_true", help="draw track traces")
    run.add_argument("--vid-stride", type=int, default=1, help="process every N-th frame")
    run.add_argument("--loop", action="store_true", help="restart files at their end")
    run.add_argument(
        "--realtime",
        action="store_true",
        help="play a video file as a live camera: paced at its fps, dropping frames when behind",
    )
    run.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when frames were skipped (undecodable video, unreadable images)",
    )
    run.add_argument(
        "--transport",
        choices=TRANSPORTS,
        help="RTSP transport for rtsp:// sources and --rtsp-out (default: tcp)",
    )
    run.set_defaults(handler=run_command)

    info = commands.add_parser(
        "info", parents=[common], help="model metadata, classes and execution providers"
    )
    info.set_defaults(handler=info_command)
    add_quantize_parser(commands)
    return parser


def open_sinks(
    args: argparse.Namespace, source: FrameSource, names: dict[int, str], stack: ExitStack
) -> list:
    """The outputs asked for (a window when none is), each registered to close with ``stack``."""
    if args.mot and args.no_track:
        raise RtsegError("--mot writes track ids: drop --no-track")
    if args.serve_token and not args.serve:
        raise RtsegError("--serve-token needs --serve [HOST:]PORT")
    fps = (source.fps or DEFAULT_FPS) / (1 if source.is_live else args.vid_stride)
    sinks: list = []

    def add(sink) -> None:
        stack.callback(sink.close)
        sinks.append(sink)

    if args.show or not (args.output or args.jsonl or args.mot or args.serve or args.rtsp_out):
        add(WindowSink(source.name))
    if args.serve:
        add(LiveViewSink(args.serve, token=args.serve_token))
    if args.output:
        add(VideoSink(args.output, fps))
    if args.jsonl:
        add(JsonlSink(args.jsonl, names))
    if args.mot:
        add(MotSink(args.mot))
    if args.rtsp_out:
        add(RtspSink(args.rtsp_out, fps, transport=args.transport or "tcp"))
    return sinks


def run_command(args: argparse.Namespace) -> int:
    """Build the parts, run the pipeline until the input ends or a signal, print the summary."""
    if args.ray is not None:
        from rtseg.cli_ray import run_ray  # builds on this module: imported on use

        return run_ray(args)
    if args.ray_actors is not None:
        raise RtsegError("--ray-actors needs --ray")
    if args.sources or len(args.source or ()) > 1:
        from rtseg.cli_multi import run_multi

        return run_multi(args)
    model = resolve_model(args.model)
    with ExitStack() as stack:
        source = open_source(
            (args.source or ["0"])[0],
            vid_stride=args.vid_stride,
            loop=args.loop,
            realtime=args.realtime,
            transport=args.transport,
        )
        stack.callback(source.close)
        segmenter, workers = load_segmenter(
            model,
            source.is_live,
            device=args.device,
            precision=args.precision,
            conf=args.conf,
            iou=args.iou,
            classes=args.classes,
        )
        tracker = None if args.no_track else Tracker(frame_rate=source.fps or DEFAULT_FPS)
        sinks = open_sinks(args, source, segmenter.names, stack)
        pipeline = Pipeline(
            source,
            segmenter,
            tracker,
            sinks,
            FrameAnnotator(segmenter.names, trace=args.trace),
            overlay=source.is_live,
            progress=True,
            infer_workers=workers,
        )
        for sink in sinks:
            if isinstance(sink, LiveViewSink):
                sink.status = pipeline.status
        with stop_on_signals(pipeline.stop) as caught:
            summary = pipeline.run()
    print(summary.format(), file=sys.stderr)
    return caught.exit_code or strict_exit(args, summary.undecodable or 0)


def strict_exit(args: argparse.Namespace, skipped: int) -> int:
    """With ``--strict``, a run that skipped frames fails (with one line saying so) once all
    its output is written; 0 otherwise."""
    if not args.strict or not skipped:
        return 0
    frames = "frame" if skipped == 1 else "frames"
    print(f"rtseg: error: --strict: {skipped} undecodable {frames} skipped", file=sys.stderr)
    return EXIT_FAILURE


def info_command(args: argparse.Namespace) -> int:
    """Print the model's facts and the execution providers, one ``key: value`` per line."""
    model = resolve_model(args.model)
    info = Segmenter(model, device=args.device, precision=args.precision).info()
    names = info.pop("names")
    for key, value in info.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        print(f"{key}: {shown}")
    print("names: " + ", ".join(f"{class_id} {name}" for class_id, name in names.items()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    try:
        return args.handler(args)
    except RtsegError as error:
        log.debug("details", exc_info=error)
        print(f"rtseg: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except StageError as error:
        log.debug("details", exc_info=error)
        print(f"rtseg: error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("rtseg: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
