"""Ray scale-out throughput: the same recorded streams on 1 actor vs 2 actors (and in one
process without Ray, for reference).

A local Ray (``ray.init(num_cpus=--cpus)``) runs ``--streams`` copies of the clip, tracked, to
one JSON Lines file per stream (what ``rtseg run --ray`` writes). One actor gets every CPU; two
actors get half each, so both use the whole machine. Aggregate frames/s counts from the run's
start, actor start-up and model loading included. Configurations alternate for ``--repeats``
rounds; medians are reported. Example::

    .venv/bin/python scripts/bench_ray.py --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import ray

from rtseg.cluster import RayHost
from rtseg.cpu import cpu_line, read_cpu
from rtseg.pipeline import Pipeline, RunSummary, Stream
from rtseg.pipeline.plan import load_segmenter
from rtseg.pipeline.stream_plan import ModelPlan, StreamPlan
from rtseg.sinks import JsonlSink, Sink
from rtseg.sources import SourceFacts, open_source
from rtseg.tracking import Tracker

SHARED = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_MODEL = SHARED / "models" / "yolov8n-seg-fp32-320.onnx"
DEFAULT_SOURCE = SHARED / "media" / "highway-dashcam-960x540.mp4"


def run(model: str, clip: str, streams: int, actors: int, cpus: int, folder: Path) -> float:
    """Aggregate frames/s of ``streams`` copies of ``clip`` on ``actors`` actors."""
    plans = [StreamPlan(f"s{i}", clip) for i in range(streams)]

    def outputs(stream: StreamPlan, _facts: SourceFacts) -> list[Sink]:
        return [JsonlSink(folder / f"{stream.name}.jsonl")]

    host = RayHost(
        plans,
        ModelPlan(model, device="cpu"),
        track=True,
        outputs=outputs,
        annotator=lambda _stream: None,  # nothing drawn: JSON Lines only
        actors=actors,
        cpus_per_actor=cpus // actors,
    )
    return checked(host.run()).fps


def one_process(model: str, clip: str, streams: int, folder: Path) -> float:
    """The same streams in one ``Pipeline`` (``rtseg run`` without ``--ray``)."""
    segmenter, workers = load_segmenter(model, live=False, streams=streams, device="cpu")
    sources = [open_source(clip) for _ in range(streams)]
    parts = [
        Stream(f"s{i}", source, [JsonlSink(folder / f"s{i}.jsonl")], Tracker(source.fps))
        for i, source in enumerate(sources)
    ]
    return checked(Pipeline(parts, segmenter, infer_workers=workers).run()).fps


def checked(summary: RunSummary) -> RunSummary:
    """``summary``, unless a stream failed: a broken run is no measurement."""
    if summary.failed:
        raise RuntimeError(f"streams failed: {summary.failed}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--source", default=str(DEFAULT_SOURCE))
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(cpu_line(read_cpu()), flush=True)  # results differ from CPU to CPU

    ray.init(num_cpus=args.cpus, log_to_driver=False, include_dashboard=False)
    results: dict[str, list[float]] = {"1 actor": [], "2 actors": [], "one process": []}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        measures = {
            "1 actor": lambda: run(args.model, args.source, args.streams, 1, args.cpus, out),
            "2 actors": lambda: run(args.model, args.source, args.streams, 2, args.cpus, out),
            "one process": lambda: one_process(args.model, args.source, args.streams, out),
        }
        for _ in range(args.repeats):
            for name, measure in measures.items():
                results[name].append(measure())
                print(f"{name}: {results[name][-1]:.1f} fps", flush=True)
    ray.shutdown()
    one = statistics.median(results["1 actor"])
    print(f"\n{args.streams} streams of {Path(args.source).name}, {args.cpus} CPUs, medians:")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name}: {median:.1f} fps in all ({median / one:.2f}x one actor)")


if __name__ == "__main__":
    main()
