"""Several streams in one process with one model session (``Pipeline`` over N streams).

* recorded: aggregate frames/s for 1, 2 and 4 copies of the clip (tracked results to one JSON
  Lines file per stream, as ``rtseg run --source … --source …``), plus a one-stream run
  reported as ``rtseg run`` reports one stream (its own fps) for reference. The rows keep their
  old names: "MultiPipeline, N stream(s)" is now ``Pipeline`` over N streams with the whole
  run's aggregate fps; with one stream the engine calls the model directly (no batcher), so
  both 1-stream rows run the same path and differ only in how fps is counted;
* live: per-stream latency p50/p95, fps and drops for 1 and 2 "cameras" — the clip replayed at
  its own frame rate (25 fps) through ``LiveSource`` (newest frame only).

Configurations run ``--repeats`` times each, round-robin; medians are reported. Example::

    .venv/bin/python scripts/bench_multi.py --repeats 3
"""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from rtseg.cpu import cpu_line, read_cpu
from rtseg.engine import Segmenter
from rtseg.pipeline import Pipeline, RunSummary, Stream
from rtseg.pipeline.plan import load_segmenter
from rtseg.sinks import JsonlSink
from rtseg.sources import LiveSource, open_source
from rtseg.sources.realtime import PacedCapture
from rtseg.tracking import Tracker

SHARED = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_MODEL = SHARED / "models" / "yolov8n-seg-fp32-320.onnx"
DEFAULT_SOURCE = SHARED / "media" / "highway-dashcam-960x540.mp4"


def streams_of(sources: list, seg: Segmenter, out_dir: Path) -> list[Stream]:
    return [
        Stream(
            f"s{i}",
            source,
            [JsonlSink(out_dir / f"s{i}.jsonl", seg.names)],
            Tracker(frame_rate=source.fps or 25.0),
        )
        for i, source in enumerate(sources)
    ]


def recorded(seg: Segmenter, workers: int, clip: str, count: int, out_dir: Path) -> float:
    """Aggregate frames/s of ``count`` copies of ``clip`` in one Pipeline (the whole run's)."""
    streams = streams_of([open_source(clip) for _ in range(count)], seg, out_dir)
    return checked(Pipeline(streams, seg, infer_workers=workers).run()).fps


def single(seg: Segmenter, workers: int, clip: str, out_dir: Path) -> float:
    """Frames/s of a one-stream Pipeline as the stream's own summary counts them, for
    reference."""
    source = open_source(clip)
    sinks = [JsonlSink(out_dir / "single.jsonl", seg.names)]
    stream = Stream("single", source, sinks, Tracker(frame_rate=source.fps))
    summary = checked(Pipeline([stream], seg, infer_workers=workers).run())
    return summary.streams[stream.name].summary.fps


def checked(summary: RunSummary) -> RunSummary:
    """``summary``, unless a stream failed: a broken run is no measurement."""
    if summary.failed:
        raise RuntimeError(f"streams failed: {summary.failed}")
    return summary


def live(model: str, device: str, clip: str, count: int, fps: float, out: Path) -> RunSummary:
    """``count`` cameras replaying ``clip`` at ``fps``, in one Pipeline (threaded for
    ``count`` live streams, as ``rtseg run`` would)."""
    seg, workers = load_segmenter(model, live=True, streams=count, device=device)
    sources = [LiveSource(PacedCapture(Path(clip), fps=fps), f"camera {i}") for i in range(count)]
    return checked(Pipeline(streams_of(sources, seg, out), seg, infer_workers=workers).run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--source", default=str(DEFAULT_SOURCE))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fps", type=float, default=25.0, help="live cameras' frame rate")
    args = parser.parse_args()
    print(cpu_line(read_cpu()), flush=True)  # results differ from CPU to CPU

    seg, workers = load_segmenter(args.model, live=False, device=args.device)  # as `rtseg run`
    clip = args.source
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        throughput: dict[str, Callable[[], float]] = {
            "Pipeline, 1 stream": lambda: single(seg, workers, clip, tmp),
            **{
                f"MultiPipeline, {n} stream(s)": functools.partial(
                    recorded, seg, workers, clip, n, tmp
                )
                for n in (1, 2, 4)
            },
        }
        latency: dict[int, Callable[[], RunSummary]] = {
            n: functools.partial(live, args.model, args.device, clip, n, args.fps, tmp)
            for n in (1, 2)
        }
        fps_runs: dict[str, list[float]] = {name: [] for name in throughput}
        live_runs: dict[int, list[RunSummary]] = {n: [] for n in latency}
        recorded(seg, workers, clip, 1, tmp)  # warm-up
        for repeat in range(args.repeats):
            for name, measure in throughput.items():
                fps_runs[name].append(measure())
            for count, run in latency.items():
                live_runs[count].append(run())
            print(f"repeat {repeat + 1} of {args.repeats} done", flush=True)

    print(f"\nrecorded ({clip}), infer_workers={workers}, median of {args.repeats}:")
    for name, values in fps_runs.items():
        print(f"  {name:28s} {statistics.median(values):6.1f} frames/s in all")
    print(f"\nlive: cameras at {args.fps:g} fps, per stream, median of {args.repeats} runs:")
    for count, summaries in live_runs.items():
        for i in range(count):
            runs = [summary.streams[f"s{i}"].summary for summary in summaries]
            p50, p95, fps, dropped = (
                statistics.median(values)
                for values in zip(
                    *((r.latency_ms[0], r.latency_ms[1], r.fps, r.dropped) for r in runs),
                    strict=True,
                )
            )
            print(
                f"  {count} camera(s), s{i}: latency p50 {p50:5.1f} ms, p95 {p95:5.1f} ms,"
                f" {fps:4.1f} fps, dropped {dropped:g}"
            )


if __name__ == "__main__":
    main()
