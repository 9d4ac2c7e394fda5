"""A run described once: its streams (each with its source options and outputs), the model and
its options, tracking and the live view. The command line and the Python API both build a
:class:`RunPlan`; :mod:`rtseg.app.runner` carries it out in this process or on Ray.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from rtseg.errors import RtsegError
from rtseg.pipeline.stream_spec import StreamSpec
from rtseg.pipeline.streams import StreamConfig


@dataclass(frozen=True)
class StreamPlan(StreamSpec):
    """One input (a :class:`~rtseg.pipeline.stream_spec.StreamSpec`) and everything else that
    is its own; outputs are final paths and URLs.

    ``conf``/``classes`` are this stream's own (None: the model's); the shared model keeps
    what every stream needs (:meth:`RunPlan.model_filters`). ``jsonl`` is this stream's own
    file; a stream without one writes to the run's shared file, when there is one.
    ``transport`` is RTSP's for the source and ``rtsp_out``.
    """

    output: str | None = None
    jsonl: str | None = None
    mot: str | None = None
    rtsp_out: str | None = None

    @property
    def writes(self) -> bool:
        """Whether the stream has an output of its own."""
        return bool(self.output or self.jsonl or self.mot or self.rtsp_out)

    @property
    def draws(self) -> bool:
        """Whether one of its outputs shows annotated frames."""
        return bool(self.output or self.rtsp_out)


@dataclass(frozen=True)
class ModelPlan:
    """The model every stream shares and the options it runs with (``path`` None: the usual
    lookup, see :func:`rtseg.models.resolve_model`)."""

    path: str | None = None
    device: str = "auto"
    precision: str = "auto"  # OpenVINO's inference precision
    conf: float = 0.25
    iou: float = 0.7
    classes: tuple[int, ...] | None = None


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
    model: ModelPlan = ModelPlan()
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
        if not self.several:
            return
        if self.show or self.serve:
            raise RtsegError(
                "--show and --serve take one source; with several use --output/--jsonl"
            )
        for stream in self.streams:
            if not (stream.writes or self.jsonl or self.caller_reads):
                raise RtsegError(
                    f"stream {stream.name} has no output: give --output, --jsonl, --mot or"
                    " --rtsp-out (or output/jsonl/mot/rtsp_out in the streams file)"
                )

    def model_filters(self) -> tuple[float, tuple[int, ...] | None]:
        """The shared model's confidence and classes: permissive enough for every stream (with
        tracking, down to the trackers' low threshold)."""
        conf = min(stream.kept_conf(self.model.conf, self.track) for stream in self.streams)
        chosen = [stream.classes or self.model.classes for stream in self.streams]
        if any(classes is None for classes in chosen):
            return conf, None
        return conf, tuple(sorted({class_id for classes in chosen for class_id in classes}))


def per_stream_path(path: str, name: str) -> str:
    """``runs/out.mp4`` → ``runs/out-<name>.mp4``."""
    target = Path(path)
    return str(target.with_name(f"{target.stem}-{name}{target.suffix}"))


def per_stream_url(url: str, name: str) -> str:
    """``rtsp://host/live`` → ``rtsp://host/live-<name>``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}-{name}"))


def make_plan(
    configs: list[StreamConfig],
    *,
    several: bool = False,
    output: str | None = None,
    jsonl: str | None = None,
    mot: str | None = None,
    rtsp_out: str | None = None,
    vid_stride: int = 1,
    loop: bool = False,
    realtime: bool = False,
    transport: str | None = None,
    **run: object,
) -> RunPlan:
    """The plan for ``configs``: the given options are every stream's defaults, which a
    stream's own config overrides. With several streams (or ``several``), a stream without its
    own video, MOT or RTSP output writes the run's with ``-<stream>`` added
    (``runs/out.mp4`` → ``runs/out-front.mp4``) and one without its own JSON Lines file writes
    to the shared ``jsonl``. ``run`` holds :class:`RunPlan`'s other fields."""
    several = several or len(configs) > 1 or run.get("ray") is not None
    streams = tuple(
        StreamPlan(
            name=config.name,
            source=config.source,
            vid_stride=config.vid_stride or vid_stride,
            loop=loop if config.loop is None else config.loop,
            realtime=realtime if config.realtime is None else config.realtime,
            transport=config.transport or transport,
            conf=config.conf,
            classes=config.classes,
            output=config.output or (output and per_stream_path(output, config.name))
            if several
            else output,
            jsonl=config.jsonl if several else jsonl,
            mot=config.mot or (mot and per_stream_path(mot, config.name)) if several else mot,
            rtsp_out=config.rtsp_out or (rtsp_out and per_stream_url(rtsp_out, config.name))
            if several
            else rtsp_out,
        )
        for config in configs
    )
    plan = RunPlan(streams, jsonl=jsonl if several else None, multi=several, **run)
    plan.check()
    return plan
