"""The flags of ``rtseg run``, ``rtseg info``, ``rtseg quantize`` and ``rtseg analyze``."""

from __future__ import annotations

import argparse

from rtseg.cli.analyze import add_parser as add_analyze_parser
from rtseg.cli.quantize import add_parser as add_quantize_parser
from rtseg.engine.providers import parse_device
from rtseg.engine.runtime import PRECISIONS
from rtseg.errors import RtsegError
from rtseg.sources.live import TRANSPORTS


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
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{run,info,quantize,analyze}"
    )

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
        " TensorRT, CUDA, else OpenVINO on CPUs with AVX-512 VNNI/BF16, AMX or AVX-VNNI,"
        " else onnxruntime CPU; rtseg info says which and why)",
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
    run.add_argument(
        "--conf",
        type=float,
        default=0.25,
        help="confidence threshold: what --no-track outputs; when tracking, what keeps (and from"
        " 0.6 starts) tracks, while weaker detections down to 0.1 only carry tracks on",
    )
    run.add_argument("--iou", type=float, default=0.7, help="NMS IoU threshold")
    run.add_argument("--classes", type=int, nargs="+", help="keep only these class ids")
    run.add_argument("--no-track", action="store_true", help="detections only, no track ids")
    run.add_argument("--show", action="store_true", help="preview window (implied without outputs)")
    run.add_argument("--output", help="annotated H.264 MP4 video")
    run.add_argument("--jsonl", help="results as JSON Lines, one line per frame")
    run.add_argument("--mot", help="tracks as MOTChallenge text")
    run.add_argument(
        "--analytics",
        metavar="SITE",
        help="site file (YAML) of lines and zones to count on every stream's tracks",
    )
    run.add_argument("--events", help="analytics events as JSON Lines, one event per line")
    run.add_argument(
        "--mqtt",
        metavar="URL",
        help="publish analytics events and zone occupancy to mqtt://host[:port][/prefix]",
    )
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

    commands.add_parser(
        "info", parents=[common], help="model metadata, classes and execution providers"
    )
    add_quantize_parser(commands)
    add_analyze_parser(commands)
    return parser
