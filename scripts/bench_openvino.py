"""CPU engines compared in one run: onnxruntime, OpenVINO (auto precision) and OpenVINO INT8.

Every configuration runs in a fresh process (so each has its own peak RSS, ``ru_maxrss``), in
round-robin order ``--repeats`` times; medians and their ratios to onnxruntime's model-only
FPS measured in the same run are printed.

* model-only: inference alone on the clip's frames letterboxed beforehand; onnxruntime as one
  default session (all cores), OpenVINO with as many requests in flight as it asks for;
* results only: the whole pipeline (``rtseg run --jsonl``), tracked results to JSON Lines;
* annotate to file: the whole pipeline (``rtseg run --output``), annotated H.264 MP4.

The INT8 model is ``--int8`` or made first with ``rtseg quantize`` on the clip. Example::

    .venv/bin/python scripts/bench_openvino.py --repeats 5
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rtseg.annotate import FrameAnnotator
from rtseg.engine import Segmenter
from rtseg.pipeline import Pipeline
from rtseg.pipeline.plan import load_segmenter
from rtseg.sinks import JsonlSink, VideoSink
from rtseg.sources import open_source
from rtseg.tracking import Tracker

SHARED = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_MODEL = SHARED / "models" / "yolov8n-seg-fp32-320.onnx"
DEFAULT_SOURCE = SHARED / "media" / "highway-dashcam-960x540.mp4"
BASELINE = "onnxruntime model-only"
WARM_UP = 10
CALIBRATION_FRAMES = 50
# name: (model: "float" or "int8", device, what)
CONFIGS = {
    BASELINE: ("float", "cpu", "model"),
    "onnxruntime results only": ("float", "cpu", "results"),
    "onnxruntime annotate to file": ("float", "cpu", "video"),
    "OpenVINO model-only": ("float", "openvino", "model"),
    "OpenVINO results only": ("float", "openvino", "results"),
    "OpenVINO annotate to file": ("float", "openvino", "video"),
    "OpenVINO INT8 model-only": ("int8", "openvino", "model"),
    "OpenVINO INT8 results only": ("int8", "openvino", "results"),
    "OpenVINO INT8 annotate to file": ("int8", "openvino", "video"),
}


def model_only(model: str, device: str, source: str) -> float:
    """Inferences per second on pre-letterboxed frames, with the engine's requests in flight
    (onnxruntime: its default session, one call at a time)."""
    segmenter = Segmenter(model, device=device, throughput=device == "openvino")
    with open_source(source) as frames:
        blobs = [segmenter.preprocess(frame.image)[0] for frame in frames]
    with ThreadPoolExecutor(segmenter.requests) as pool:
        deque(pool.map(segmenter.infer, blobs[:WARM_UP]), maxlen=0)
        started = time.perf_counter()
        deque(pool.map(segmenter.infer, blobs), maxlen=0)  # outputs dropped as they come
        return len(blobs) / (time.perf_counter() - started)


def pipeline(model: str, device: str, source: str, video: bool) -> float:
    """Frames per second of the whole pipeline as ``rtseg run`` builds it."""
    segmenter, workers = load_segmenter(model, live=False, device=device)
    frames = open_source(source)
    fps = frames.fps or 30.0
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        sink = (
            VideoSink(out / "bench.mp4", fps)
            if video
            else JsonlSink(out / "bench.jsonl", segmenter.names)
        )
        annotator = FrameAnnotator(segmenter.names) if video else None
        run = Pipeline(
            frames, segmenter, Tracker(frame_rate=fps), [sink], annotator, infer_workers=workers
        )
        return run.run().fps


def child(config: str, model: str, source: str) -> None:
    """Measure one configuration in this (fresh) process; print fps and peak RSS as JSON."""
    _, device, what = CONFIGS[config]
    if what == "model":
        fps = model_only(model, device, source)
    else:
        fps = pipeline(model, device, source, video=what == "video")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"fps": fps, "peak_mb": peak_mb}))


def measure(config: str, models: dict[str, str], source: str) -> dict[str, float] | None:
    """One run of ``config`` in a fresh process; None (its error shown) when it failed."""
    kind = CONFIGS[config][0]
    done = subprocess.run(
        [sys.executable, __file__, "--child", config, "--model", models[kind], "--source", source],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"{config} failed: {done.stderr.strip()[-500:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def make_int8(model: str, source: str, folder: Path) -> str:
    output = folder / "int8.xml"
    subprocess.run(
        [
            *(sys.executable, "-m", "rtseg", "quantize", "--model", model, "--calib", source),
            *("--output", str(output), "--frames", str(CALIBRATION_FRAMES), "--force"),
        ],
        check=True,
    )
    return str(output)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--int8", help="INT8 OpenVINO IR (default: rtseg quantize it first)")
    parser.add_argument("--source", default=str(DEFAULT_SOURCE))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", nargs="+", choices=list(CONFIGS), help="these configurations")
    parser.add_argument("--child", choices=list(CONFIGS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.model, args.source)
        return

    with tempfile.TemporaryDirectory() as folder:
        int8 = args.int8 or make_int8(args.model, args.source, Path(folder))
        models = {"float": args.model, "int8": int8}
        configs = [BASELINE, *(name for name in args.only or CONFIGS if name != BASELINE)]
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in configs}
        for round_number in range(args.repeats):
            for name in configs:
                if (measured := measure(name, models, args.source)) is not None:
                    runs[name].append(measured)
            print(f"round {round_number + 1}/{args.repeats} done", file=sys.stderr)

    runs = {name: values for name, values in runs.items() if values}
    base = statistics.median(run["fps"] for run in runs[BASELINE])
    print(f"{Path(args.model).name} and its INT8 model, {args.source}, {args.repeats} rounds")
    print(f"{'configuration':<32} {'median fps':>10} {'ratio':>6} {'peak RSS MB':>11}   runs")
    for name, values in runs.items():
        fps = statistics.median(run["fps"] for run in values)
        peak = statistics.median(run["peak_mb"] for run in values)
        shown = " ".join(f"{run['fps']:.1f}" for run in values)
        print(f"{name:<32} {fps:>10.1f} {fps / base:>6.2f} {peak:>11.0f}   {shown}")


if __name__ == "__main__":
    main()
