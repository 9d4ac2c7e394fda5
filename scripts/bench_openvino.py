"""CPU engines compared in one run: onnxruntime, OpenVINO (auto precision) and OpenVINO INT8.

Every configuration runs in a fresh process (so each has its own peak RSS, ``ru_maxrss``), in
round-robin order ``--repeats`` times; medians and their ratios to onnxruntime's model-only
FPS measured in the same run are printed.

* model-only: inference alone on the clip's frames letterboxed beforehand; onnxruntime as one
  default session (all cores), OpenVINO with as many requests in flight as it asks for;
* results only: the whole pipeline (``rtseg run --jsonl``), tracked results to JSON Lines;
* annotate to file: the whole pipeline (``rtseg run --output``), annotated H.264 MP4.

The INT8 model is ``--int8`` or made first with ``rtseg quantize`` on the clip.
``--interleaved`` measures inference alone instead, all engines in one process taking turns
every few frames, so that a busy machine's load falls on each of them alike. Example::

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
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rtseg.annotate import FrameAnnotator
from rtseg.cpu import cpu_line, read_cpu
from rtseg.engine import Segmenter
from rtseg.pipeline import Pipeline, Stream
from rtseg.pipeline.plan import load_segmenter
from rtseg.sinks import JsonlSink, VideoSink
from rtseg.sources import open_source
from rtseg.tracking import Tracker

SHARED = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_MODEL = SHARED / "models" / "yolov8n-seg-fp32-320.onnx"
DEFAULT_SOURCE = SHARED / "media" / "highway-dashcam-960x540.mp4"
BASELINE = "onnxruntime model-only"
WARM_UP = 10
CHUNK = 20  # frames each engine runs per turn when interleaved
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


@dataclass
class Timing:
    """Wall-clock and CPU (user + system, all threads) seconds of a measured stretch."""

    frames: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0


@contextmanager
def timed(timing: Timing) -> Iterator[None]:
    started, cpu = time.perf_counter(), time.process_time()
    yield
    timing.wall_s, timing.cpu_s = time.perf_counter() - started, time.process_time() - cpu


def model_only(model: str, device: str, source: str) -> Timing:
    """Inference on pre-letterboxed frames, with the engine's requests in flight
    (onnxruntime: its default session, one call at a time)."""
    segmenter = Segmenter(model, device=device, throughput=device == "openvino")
    with open_source(source) as frames:
        blobs = [segmenter.preprocess(frame.image)[0] for frame in frames]
    timing = Timing(frames=len(blobs))
    with ThreadPoolExecutor(segmenter.requests) as pool:
        deque(pool.map(segmenter.infer, blobs[:WARM_UP]), maxlen=0)
        with timed(timing):
            deque(pool.map(segmenter.infer, blobs), maxlen=0)  # outputs dropped as they come
    return timing


def pipeline(model: str, device: str, source: str, video: bool) -> Timing:
    """The whole pipeline as ``rtseg run`` builds it, until its files are closed."""
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
        stream = Stream("bench", frames, [sink], Tracker(frame_rate=fps), annotator)
        run = Pipeline([stream], segmenter, infer_workers=workers)  # one stream: no batcher
        timing = Timing()
        with timed(timing):
            summary = run.run()
        if summary.failed:  # a broken run is no measurement
            raise RuntimeError(f"the run failed: {summary.failed[stream.name]}")
        timing.frames = summary.frames
        return timing


def child(config: str, model: str, source: str) -> None:
    """Measure one configuration in this (fresh) process; print fps, CPU milliseconds per
    frame and peak RSS as JSON."""
    _, device, what = CONFIGS[config]
    if what == "model":
        timing = model_only(model, device, source)
    else:
        timing = pipeline(model, device, source, video=what == "video")
    measured = {
        "fps": timing.frames / timing.wall_s,
        "cpu_ms": 1000 * timing.cpu_s / timing.frames,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(measured))


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


def interleaved_inference(models: dict[str, str], source: str, repeats: int) -> None:
    """Inference alone, every engine in this one process, taking turns every ``CHUNK`` frames
    so that all of them meet the same load: a fairer ratio on a busy machine."""
    engines = {
        "onnxruntime, one session on all cores": load_engine(models["float"], "cpu", None),
        "onnxruntime as rtseg runs it": load_engine(models["float"], "cpu", False),
        "OpenVINO, auto precision": load_engine(models["float"], "openvino", False),
        "OpenVINO INT8": load_engine(models["int8"], "openvino", False),
    }
    segmenter = next(iter(engines.values()))[0]
    with open_source(source) as frames:
        blobs = [segmenter.preprocess(frame.image)[0] for frame in frames]
    seconds = {name: [0.0] * repeats for name in engines}
    for round_number in range(repeats):
        for turn, start in enumerate(range(0, len(blobs), CHUNK)):
            names = list(engines)
            for name in names[turn % len(names) :] + names[: turn % len(names)]:
                infer, pool = engines[name][0].infer, engines[name][1]
                started = time.perf_counter()
                deque(pool.map(infer, blobs[start : start + CHUNK]), maxlen=0)
                seconds[name][round_number] += time.perf_counter() - started
    base = seconds[next(iter(engines))]
    print(f"inference only, interleaved every {CHUNK} frames in one process, {repeats} rounds")
    print(f"{'engine':<40} {'median fps':>10} {'paired ratio':>12}")
    for name, spent in seconds.items():
        fps = statistics.median(len(blobs) / value for value in spent)
        paired = statistics.median(b / value for b, value in zip(base, spent, strict=True))
        print(f"{name:<40} {fps:>10.1f} {paired:>12.2f}")
    for _, pool in engines.values():
        pool.shutdown()


def load_engine(
    model: str, device: str, recorded: bool | None
) -> tuple[Segmenter, ThreadPoolExecutor]:
    """A segmenter and a pool of as many threads as it wants calls in flight: the engine's own
    defaults (``recorded`` None), or as ``rtseg run`` plans it for recorded input."""
    if recorded is None:
        segmenter, workers = Segmenter(model, device=device), 1
    else:
        segmenter, workers = load_segmenter(model, live=not recorded, device=device)
    return segmenter, ThreadPoolExecutor(workers)


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
    parser.add_argument(
        "--interleaved", action="store_true", help="only inference, engines taking turns"
    )
    parser.add_argument("--child", choices=list(CONFIGS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.model, args.source)
        return

    print(cpu_line(read_cpu()), flush=True)  # results differ from CPU to CPU

    with tempfile.TemporaryDirectory() as folder:
        int8 = args.int8 or make_int8(args.model, args.source, Path(folder))
        models = {"float": args.model, "int8": int8}
        if args.interleaved:
            interleaved_inference(models, args.source, args.repeats)
            return
        configs = [BASELINE, *(name for name in args.only or CONFIGS if name != BASELINE)]
        runs: dict[str, list[dict[str, float] | None]] = {name: [] for name in configs}
        for round_number in range(args.repeats):
            for name in configs:  # None where a run failed, so rounds stay aligned
                runs[name].append(measure(name, models, args.source))
            print(f"round {round_number + 1}/{args.repeats} done", file=sys.stderr)
    report(Path(args.model).name, args.source, runs)


def report(model: str, source: str, runs: dict[str, list[dict[str, float] | None]]) -> None:
    """The table: medians, ratios to the baseline, CPU time per frame, peak RSS."""
    base = statistics.median(run["fps"] for run in runs[BASELINE] if run)
    print(f"{model} and its INT8 model, {source}, {len(runs[BASELINE])} rounds")
    print(
        f"{'configuration':<32} {'median fps':>10} {'ratio':>6} {'paired':>6}"
        f" {'CPU ms/frame':>12} {'peak RSS MB':>11}   runs"
    )
    for name, rounds in runs.items():
        done = [run for run in rounds if run]
        if not done:
            continue
        fps = statistics.median(run["fps"] for run in done)
        paired = statistics.median(
            run["fps"] / base_run["fps"]
            for run, base_run in zip(rounds, runs[BASELINE], strict=True)
            if run and base_run
        )
        cpu_ms = statistics.median(run["cpu_ms"] for run in done)
        peak = statistics.median(run["peak_mb"] for run in done)
        shown = " ".join(f"{run['fps']:.1f}" if run else "failed" for run in rounds)
        print(
            f"{name:<32} {fps:>10.1f} {fps / base:>6.2f} {paired:>6.2f} {cpu_ms:>12.1f}"
            f" {peak:>11.0f}   {shown}"
        )
    print(
        "ratio: median fps / the baseline's median fps; paired: median over rounds of fps / the"
        " same round's baseline fps; CPU ms/frame: user + system time of all threads"
    )


if __name__ == "__main__":
    main()
