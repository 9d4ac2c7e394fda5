"""``rtseg run``: the parsed flags become one :class:`~rtseg.app.RunPlan`, which one
:class:`~rtseg.app.Runner` carries out (one stream, several, or on Ray)."""

from __future__ import annotations

import argparse
import sys

from rtseg.app import ModelPlan, RayPlan, Runner, RunPlan, make_plan
from rtseg.errors import EXIT_FAILURE, RtsegError
from rtseg.pipeline.streams import load_streams, options_from_sources


def plan_from_args(args: argparse.Namespace) -> RunPlan:
    """The run the flags describe; RtsegError (one line) for flags that do not fit together."""
    if args.ray is None and args.ray_actors is not None:
        raise RtsegError("--ray-actors needs --ray")
    if args.sources:
        if args.source:
            raise RtsegError("use either --source or --sources, not both")
        configs = load_streams(args.sources)
    else:
        configs = options_from_sources(args.source or ["0"])
    ray = None if args.ray is None else RayPlan(args.ray or None, args.ray_actors, args.ray_cpus)
    model = ModelPlan(
        path=args.model,
        device=args.device,
        precision=args.precision,
        conf=args.conf,
        iou=args.iou,
        classes=None if args.classes is None else tuple(args.classes),
    )
    return make_plan(
        configs,
        several=bool(args.sources),
        output=args.output,
        jsonl=args.jsonl,
        mot=args.mot,
        rtsp_out=args.rtsp_out,
        vid_stride=args.vid_stride,
        loop=args.loop,
        realtime=args.realtime,
        transport=args.transport,
        analytics=args.analytics,
        events=args.events,
        mqtt=args.mqtt,
        model=model,
        track=not args.no_track,
        trace=args.trace,
        show=args.show,
        serve=args.serve,
        serve_token=args.serve_token,
        ray=ray,
    )


def run_command(args: argparse.Namespace) -> int:
    """Run the plan until the input ends or a signal, print the summary. Exit code: 128+signal
    when a signal stopped the run, else 1 when a stream failed or (``--strict``) frames were
    skipped, else 0."""
    outcome = Runner(plan_from_args(args)).run()
    print(outcome.summary.format(), file=sys.stderr)
    return outcome.exit_code or strict_exit(args.strict, outcome.summary.undecodable or 0)


def strict_exit(strict: bool, skipped: int) -> int:
    """With ``--strict``, a run that skipped frames fails (with one line saying so) once all
    its output is written; 0 otherwise."""
    if not strict or not skipped:
        return 0
    frames = "frame" if skipped == 1 else "frames"
    print(f"rtseg: error: --strict: {skipped} undecodable {frames} skipped", file=sys.stderr)
    return EXIT_FAILURE
