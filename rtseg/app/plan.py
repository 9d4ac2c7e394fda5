"""A run described once: its streams (each with its source options and outputs), the model and
its options, tracking and the live view. The command line and the Python API both build a
:class:`RunPlan`; :mod:`rtseg.app.runner` carries it out in this process or on Ray.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from rtseg.errors import RtsegError
from rtseg.pipeline.stream_plan import DEFAULT_MODEL, ModelPlan, StreamPlan, model_filters
from rtseg.pipeline.streams import StreamOptions


@dataclass(frozen=True)
class RayPlan:
    """Run the streams on Ray actors: ``address`` of a cluster (None: a local Ray)."""

    address: str | None = None
    actors: int | None = None
    cpus_per_actor: int = 1


@dataclass(frozen=True)
class RunPlan:
    """The whole run. ``jsonl`` is the file shared by streams without their own (its lines
    carry a ``"stream"`` key); ``show`` and ``serve`` take a single stream. ``multi`` runs even
    one stream the several-streams way (per-stream summary and output names), as a streams
    file or Ray does."""

    streams: tuple[StreamPlan, ...]
    model: ModelPlan = DEFAULT_MODEL
    track: bool = True
    trace: bool = False
    show: bool = False
    serve: str | None = None
    serve_token: str | None = None
    jsonl: str | None = None
    ray: RayPlan | None = None
    multi: bool = False
    progress: bool = True
    caller_reads: bool = False  # the Python API's loop takes every result: an output too
    events: str | None = None  # every stream's analytics events, one JSON Lines file
    mqtt: str | None = None  # mqtt://host:port/prefix the events go to

    @property
    def several(self) -> bool:
        """Whether the run goes the several-streams way (its own summary and output names)."""
        return self.multi or self.ray is not None or len(self.streams) > 1

    def check(self) -> None:
        """RtsegError (one line) for a plan that cannot run."""
        if not self.streams:
            raise RtsegError("nothing to run: give a source")
        if self.serve_token and not self.serve:
            raise RtsegError("--serve-token needs --serve [HOST:]PORT")
        if not self.track and (any(stream.mot for stream in self.streams)):
            raise RtsegError("--mot writes track ids: drop --no-track")
        counted = any(stream.analytics for stream in self.streams)
        if counted and not self.track:
            raise RtsegError("--analytics counts tracks: drop --no-track")
        for flag, value in (("--events", self.events), ("--mqtt", self.mqtt)):
            if value and not counted:
                raise RtsegError(f"{flag} writes analytics events: give --analytics SITE")
        if not self.several:
            return
        if self.show or self.serve:
            raise RtsegError(
                "--show and --serve take one source; with several use --output/--jsonl"
            )
        for stream in self.streams:
            events = stream.analytics and (self.events or self.mqtt)
            if not (stream.writes or self.jsonl or self.caller_reads or events):
                raise RtsegError(
                    f"stream {stream.name} has no output: give --output, --jsonl, --mot or"
                    " --rtsp-out (or output/jsonl/mot/rtsp_out in the streams file)"
                )

    def model_filters(self) -> tuple[float, tuple[int, ...] | None]:
        """The shared model's confidence and classes: permissive enough for every stream (with
        tracking, down to the trackers' low threshold)."""
        return model_filters(self.streams, self.track)


READING = ("vid_stride", "loop", "realtime", "transport", "analytics")  # a stream's defaults


def per_stream_path(path: str, name: str) -> str:
    """``runs/out.mp4`` → ``runs/out-<name>.mp4``."""
    target = Path(path)
    return str(target.with_name(f"{target.stem}-{name}{target.suffix}"))


def per_stream_url(url: str, name: str) -> str:
    """``rtsp://host/live`` → ``rtsp://host/live-<name>``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}-{name}"))


def make_plan(
    configs: list[StreamOptions],
    *,
    several: bool = False,
    output: str | None = None,
    jsonl: str | None = None,
    mot: str | None = None,
    rtsp_out: str | None = None,
    model: ModelPlan = DEFAULT_MODEL,
    **defaults: object,
) -> RunPlan:
    """The plan for ``configs`` (each stream's own options): the given options are every
    stream's defaults (``defaults`` holds ``vid_stride``, ``loop``, ``realtime``,
    ``transport``, ``analytics`` and :class:`RunPlan`'s other fields), ``model``'s
    ``conf``/``classes`` included. With several streams (or ``several``), a stream without
    its own video, MOT or RTSP output writes the run's with ``-<stream>`` added
    (``runs/out.mp4`` → ``runs/out-front.mp4``) and one without its own JSON Lines file
    writes to the shared ``jsonl``."""
    several = several or len(configs) > 1 or defaults.get("ray") is not None
    given = {key: defaults.pop(key, None) for key in READING}
    reading = {key: value for key, value in given.items() if value is not None}

    def outputs(config: StreamOptions) -> dict[str, str | None]:
        if not several:
            return {"output": output, "jsonl": jsonl, "mot": mot, "rtsp_out": rtsp_out}
        name = config["name"]
        return {
            "output": config.get("output") or (output and per_stream_path(output, name)),
            "jsonl": config.get("jsonl"),
            "mot": config.get("mot") or (mot and per_stream_path(mot, name)),
            "rtsp_out": config.get("rtsp_out") or (rtsp_out and per_stream_url(rtsp_out, name)),
        }

    streams = tuple(
        StreamPlan(
            name=config["name"],
            source=config["source"],
            **{**reading, **{key: config[key] for key in READING if key in config}},
            conf=config.get("conf", model.conf),
            classes=config.get("classes") or model.classes,
            **outputs(config),
        )
        for config in configs
    )
    plan = RunPlan(streams, model, jsonl=jsonl if several else None, multi=several, **defaults)
    plan.check()
    return plan
