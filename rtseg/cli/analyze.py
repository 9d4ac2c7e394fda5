"""``rtseg analyze``: count a site's lines and zones on a recorded ``--jsonl`` run (it holds
the masks and track ids), without the model: a new layout is counted in seconds."""

from __future__ import annotations

import argparse

from rtseg.analytics import Analytics, load_site
from rtseg.analytics.replay import recorded_frames
from rtseg.errors import RtsegError
from rtseg.sinks.events import EventsJsonlSink
from rtseg.tracking import Tracker

TRACK_BUFFER = 30  # rtseg run's tracker: frames at 30 fps a lost track is kept


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The ``analyze`` subcommand's flags."""
    analyze = commands.add_parser(
        "analyze", help="count lines and zones on a recorded --jsonl run, without the model"
    )
    analyze.add_argument("--jsonl", required=True, help="a run's --jsonl output")
    analyze.add_argument("--analytics", required=True, metavar="SITE", help="site file (YAML)")
    analyze.add_argument("--events", help="write the events here (JSON Lines)")
    analyze.add_argument(
        "--fps",
        type=float,
        help="the run's frame rate, for the tracker's lost buffer (default: from the"
        " timestamps of the first two frames, else 30)",
    )
    analyze.add_argument(
        "--stream",
        default="",
        metavar="NAME",
        help="stream name for the events of a one-stream --jsonl (its records have none);"
        " rtseg run named it after the source: a file's name without extension",
    )
    analyze.add_argument("-v", "--verbose", action="store_true", help="debug logs, tracebacks")


def analyze_command(args: argparse.Namespace) -> int:
    """Replay the file through one :class:`Analytics` per stream; print the counts."""
    site = load_site(args.analytics)
    if args.fps is not None and not args.fps > 0:
        raise RtsegError("--fps must be > 0")
    fps = args.fps or recorded_fps(args.jsonl)
    lost_buffer = Tracker(fps, track_buffer=TRACK_BUFFER).max_missed
    sink = EventsJsonlSink(args.events) if args.events else None
    streams: dict[str, Analytics] = {}
    frames = events = 0
    try:
        for recorded, frame, detections in recorded_frames(args.jsonl):
            stream = recorded or args.stream
            if stream not in streams:
                streams[stream] = Analytics(site, stream, lost_buffer=lost_buffer, fps=fps)
            streams[stream].update(frame, detections)
            events += len(detections.metadata["analytics"].events)
            frames += 1
            if sink is not None:
                sink.write(frame, None, detections)
    finally:
        if sink is not None:
            sink.close()
    print(f"{frames} frames, {events} events" + (f" -> {args.events}" if sink else ""))
    for stream, analytics in streams.items():
        for line in analytics.summary():
            print(f"{stream}: {line}" if stream else line)
    return 0


def recorded_fps(path: str) -> float:
    """The frame rate from the first two frames' timestamps and indices (30 when unknown)."""
    first = None
    for _, frame, _ in recorded_frames(path):
        if frame.time_ms is None:
            break
        if first is not None and frame.time_ms > first.time_ms and frame.index > first.index:
            return 1000.0 * (frame.index - first.index) / (frame.time_ms - first.time_ms)
        first = frame
    return 30.0
