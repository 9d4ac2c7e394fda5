"""Live-mode latency when inference is slower than the camera: does latency stay bounded?

The shared clip is played as a 25 fps camera (``open_source(..., realtime=True, loop=True)``)
through the real pipeline (tracker, JSON Lines sink) for ``--seconds``. Inference is made slower
than the camera by sleeping ``--extra-ms`` per frame on top of the model (sleeping, not
spinning, so the numbers do not depend on what else the CPU runs). Reported: end-to-end latency
(capture → sinks done) p50/p95/max, the drop rate, and p50/p95 over the first vs the last 10 s,
which must not grow: frames are dropped at capture instead of queueing. Example::

    .venv/bin/python scripts/bench_live.py --seconds 60 --extra-ms 40
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from rtseg.cpu import cpu_line, read_cpu
from rtseg.engine import Segmenter
from rtseg.pipeline import Pipeline, Stream
from rtseg.pipeline.plan import load_segmenter
from rtseg.pipeline.stats import latency_figures
from rtseg.sinks import JsonlSink
from rtseg.sources import Frame, open_source
from rtseg.tracking import Tracker

SHARED = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_MODEL = SHARED / "models" / "yolov8n-seg-fp32-320.onnx"
DEFAULT_SOURCE = SHARED / "media" / "highway-dashcam-960x540.mp4"
WINDOW_S = 10.0  # first/last stretch compared for growth
GROWTH_LIMIT = 1.5  # last-window p50 above this times the first-window p50 counts as growing


class SlowedSegmenter:
    """``segmenter`` whose ``infer`` takes ``extra_s`` longer (a slower model or device)."""

    def __init__(self, segmenter: Segmenter, extra_s: float) -> None:
        self._segmenter = segmenter
        self._extra_s = extra_s

    def __getattr__(self, name: str) -> object:
        return getattr(self._segmenter, name)

    def infer(self, blob: np.ndarray) -> list[np.ndarray]:
        time.sleep(self._extra_s)
        return self._segmenter.infer(blob)


def stats(latencies_ms: np.ndarray) -> str:
    p50, p95, worst = latency_figures(latencies_ms)
    return f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {worst:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--source", default=str(DEFAULT_SOURCE))
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--extra-ms", type=float, default=40.0, help="added to each inference")
    args = parser.parse_args()
    print(cpu_line(read_cpu()), flush=True)  # results differ from CPU to CPU

    segmenter, _ = load_segmenter(args.model, live=True, device="cpu")  # as `rtseg run` live
    source = open_source(args.source, realtime=True, loop=True)
    done: list[tuple[float, float, int]] = []  # (done at, latency ms, frame index)

    def on_frame(_stream: str, frame: Frame, _detections: object) -> None:
        now = time.monotonic()
        done.append((now, (now - frame.captured_at) * 1e3, frame.index))

    with tempfile.TemporaryDirectory() as folder:
        stream = Stream(
            "camera",
            source,
            sinks=[JsonlSink(Path(folder) / "bench.jsonl", segmenter.names)],
            tracker=Tracker(frame_rate=source.fps),
        )
        pipeline = Pipeline(
            [stream], SlowedSegmenter(segmenter, args.extra_ms / 1e3), on_frame=on_frame
        )
        threading.Timer(args.seconds, pipeline.stop).start()
        result = pipeline.run().streams[stream.name]
    if result.error is not None:  # a broken run is no measurement
        raise RuntimeError(f"the run failed: {result.error}")
    summary = result.summary  # the stream's own figures, as the one-stream run prints them

    at, latency, index = (np.array(column) for column in zip(*done, strict=True))
    captured = int(index.max()) + 1
    first, last = latency[at <= at[0] + WINDOW_S], latency[at >= at[-1] - WINDOW_S]
    growing = np.median(last) > GROWTH_LIMIT * np.median(first)
    print(f"source: {source.name} at {source.fps:g} fps; inference +{args.extra_ms:g} ms/frame")
    print(summary.format())
    print(f"processed {len(done)} of {captured} captured frames ({summary.fps:.1f} fps)")
    print(f"drop rate {1 - len(done) / captured:.1%} (dropped {summary.dropped})")
    print(f"latency: {stats(latency)}")
    print(f"first {WINDOW_S:g} s: {stats(first)}")
    print(f"last {WINDOW_S:g} s: {stats(last)}")
    print("latency growing: " + ("YES" if growing else "no"))


if __name__ == "__main__":
    main()
