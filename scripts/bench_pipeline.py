"""Pipeline throughput against the model alone, in one run, configurations interleaved.

* model-only: ``seg.infer`` on frames letterboxed beforehand (``seg.preprocess`` once each);
* annotate to file: tracked, annotated, written to an H.264 MP4 (``rtseg run --output``);
* results only: tracked results to JSON Lines, no video (``rtseg run --jsonl``);
* decode PyAV: the recorded-video source alone (``VideoFileSource``: PyAV, packet by packet,
  BGR images), against decode cv2: a ``cv2.VideoCapture`` read loop, the reader it replaced;
  both keep the last ``IN_FLIGHT`` images alive, as the pipeline's stages do (a loop that drops
  each image at once reuses one warm buffer and flatters whichever reader it times), and each
  run is the median of ``DECODE_PASSES`` passes over the clip (one pass is short and noisy);
* preview window: results only plus the ``--show`` window, on $DISPLAY or else on an Xvfb
  started here (when installed); its ratio to results only is printed too.

Each configuration runs ``--repeats`` times, round-robin, and the medians and their ratios to
model-only are reported. Example::

    .venv/bin/python scripts/bench_pipeline.py --repeats 5

``--engines`` compares the CPU engines instead: onnxruntime, OpenVINO and OpenVINO INT8, model
only and whole pipelines, each in a fresh process with its peak RSS (``bench_openvino.py``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

from rtseg.annotate import FrameAnnotator
from rtseg.cpu import cpu_line, read_cpu
from rtseg.engine import Segmenter
from rtseg.pipeline import Pipeline, RunSummary, Stream, Summary
from rtseg.pipeline.plan import load_segmenter
from rtseg.sinks import JsonlSink, VideoSink, WindowSink
from rtseg.sinks.display import display_problem
from rtseg.sources import VideoFileSource, open_source
from rtseg.tracking import Tracker

SHARED = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_MODEL = SHARED / "models" / "yolov8n-seg-fp32-320.onnx"
DEFAULT_SOURCE = SHARED / "media" / "highway-dashcam-960x540.mp4"
DECODE_PASSES = 5
IN_FLIGHT = 4  # frames a recorded run holds between capture and render (2 lanes, 4 stages)


def letterboxed_blobs(seg: Segmenter, source: str) -> list[np.ndarray]:
    with open_source(source) as frames:
        return [seg.preprocess(frame.image)[0] for frame in frames]


def model_only(seg: Segmenter, blobs: list[np.ndarray]) -> float:
    """Frames per second of ``seg.infer`` alone."""
    started = time.perf_counter()
    for blob in blobs:
        seg.infer(blob)
    return len(blobs) / (time.perf_counter() - started)


def end_to_end(
    seg: Segmenter, workers: int, source: str, out_dir: Path, video: bool, window: bool = False
) -> float:
    """Frames per second of a full pipeline run (sinks closed, i.e. files complete)."""
    frames = open_source(source)
    fps = frames.fps or 30.0
    if video:
        sinks = [VideoSink(out_dir / "bench.mp4", fps)]
    else:
        sinks = [JsonlSink(out_dir / "bench.jsonl", seg.names)]
    if window:
        sinks.append(WindowSink("rtseg bench"))
    # Drawn for the sinks that show frames (the video, the preview window), as before.
    draws = any(sink.needs_annotation for sink in sinks)
    annotator = FrameAnnotator(seg.names) if draws else None
    stream = Stream("bench", frames, sinks, Tracker(frame_rate=fps), annotator)
    # One stream: the model is called directly (no batcher), as ``rtseg run`` does.
    return stream_summary(Pipeline([stream], seg, infer_workers=workers).run()).fps


def stream_summary(summary: RunSummary) -> Summary:
    """The one stream's own ``Summary`` (its fps counts from its threads' start until its
    sinks are closed). A failed stream's error is raised: a broken run is no measurement."""
    (result,) = summary.streams.values()
    if isinstance(result.error, BaseException):
        raise result.error
    if result.error is not None or result.summary is None:
        raise RuntimeError(f"stream {result.name} failed: {result.error}")
    return result.summary


def median_of(passes: int, measure: Callable[[str], float], source: str) -> float:
    return statistics.median(measure(source) for _ in range(passes))


def decode_pyav(source: str) -> float:
    """Frames per second of rtseg's recorded-video source, every frame as a BGR image."""
    in_flight: deque[np.ndarray] = deque(maxlen=IN_FLIGHT)
    count = 0
    started = time.perf_counter()
    with VideoFileSource(Path(source)) as frames:
        for frame in frames:
            in_flight.append(frame.image)
            count += 1
    return count / (time.perf_counter() - started)


def decode_cv2(source: str) -> float:
    """Frames per second of a ``cv2.VideoCapture`` read loop (the reader before PyAV)."""
    in_flight: deque[np.ndarray] = deque(maxlen=IN_FLIGHT)
    count = 0
    started = time.perf_counter()
    capture = cv2.VideoCapture(source)
    while True:
        ok, image = capture.read()
        if not ok:
            break
        in_flight.append(image)
        count += 1
    capture.release()
    return count / (time.perf_counter() - started)


@contextmanager
def preview_display() -> Iterator[str | None]:
    """The X display for the preview window: $DISPLAY, else an Xvfb started for the benchmark
    (when installed) and stopped after it, else None."""
    if os.environ.get("DISPLAY") or shutil.which("Xvfb") is None:
        yield os.environ.get("DISPLAY")
        return
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as said:
            os.environ["DISPLAY"] = f":{said.readline().strip()}"
        deadline = time.monotonic() + 30
        while display_problem() and time.monotonic() < deadline:
            time.sleep(0.1)
        yield None if display_problem() else os.environ["DISPLAY"]
    finally:
        del os.environ["DISPLAY"]
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--source", default=str(DEFAULT_SOURCE))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--engines", action="store_true", help="compare onnxruntime, OpenVINO and INT8 instead"
    )
    args = parser.parse_args()
    if args.engines:
        from bench_openvino import main as compare_engines  # beside this script

        compare_engines(
            ["--model", args.model, "--source", args.source, "--repeats", str(args.repeats)]
        )
        return

    print(cpu_line(read_cpu()), flush=True)  # results differ from CPU to CPU

    seg = Segmenter(args.model, device=args.device)  # the engine's defaults: all cores
    piped, workers = load_segmenter(args.model, live=False, device=args.device)  # as `rtseg run`
    blobs = letterboxed_blobs(seg, args.source)
    model_only(seg, blobs[:20])  # warm-up
    with tempfile.TemporaryDirectory() as folder, preview_display() as display:
        tmp = Path(folder)
        configs: dict[str, Callable[[], float]] = {
            "model-only": lambda: model_only(seg, blobs),
            "annotate to file": lambda: end_to_end(piped, workers, args.source, tmp, video=True),
            "results only": lambda: end_to_end(piped, workers, args.source, tmp, video=False),
            "decode PyAV": lambda: median_of(DECODE_PASSES, decode_pyav, args.source),
            "decode cv2": lambda: median_of(DECODE_PASSES, decode_cv2, args.source),
        }
        if display:
            configs["preview window"] = lambda: end_to_end(
                piped, workers, args.source, tmp, video=False, window=True
            )
        runs: dict[str, list[float]] = {name: [] for name in configs}
        for _ in range(args.repeats):
            for name, measure in configs.items():
                runs[name].append(measure())

    base = statistics.median(runs["model-only"])
    print(f"{Path(args.model).name} on {seg.provider}, {len(blobs)} frames of {args.source}")
    print(f"pipeline: {workers} inference worker(s); model-only: one session, all cores")
    print(f"{'configuration':<18} {'median fps':>10} {'ratio':>6}   runs")
    for name, values in runs.items():
        median = statistics.median(values)
        shown = " ".join(f"{value:.1f}" for value in values)
        print(f"{name:<18} {median:>10.1f} {median / base:>6.2f}   {shown}")
    if "preview window" in runs:
        ratio = statistics.median(runs["preview window"]) / statistics.median(runs["results only"])
        print(f"preview window / results only: {ratio:.2f}")


if __name__ == "__main__":
    main()
