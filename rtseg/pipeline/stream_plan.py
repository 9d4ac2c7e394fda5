"""A run's streams and its model, each described once: the command line, a streams file, the
Python API, the run plan and a Ray worker all use these two frozen types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rtseg.analytics import Analytics, Site, load_site
from rtseg.annotate import FrameAnnotator
from rtseg.pipeline.stream import Stream
from rtseg.sources import DEFAULT_FPS, FrameSource, open_source
from rtseg.sources.resume import ResumedSource
from rtseg.tracking import Tracker, detection_floor

if TYPE_CHECKING:
    from rtseg.sinks import Sink

DEFAULT_CONF = 0.25  # as Ultralytics' --conf


@dataclass(frozen=True)
class ModelPlan:
    """The model every stream shares and the options it runs with (``path`` None: the usual
    lookup, see :func:`rtseg.models.resolve_model`). ``conf`` and ``classes`` are the run's
    defaults; each stream holds the ones it actually uses."""

    path: str | None = None
    device: str = "auto"
    precision: str = "auto"  # OpenVINO's inference precision
    conf: float = DEFAULT_CONF
    iou: float = 0.7
    classes: tuple[int, ...] | None = None


DEFAULT_MODEL = ModelPlan()


@dataclass(frozen=True)
class StreamPlan:
    """One named stream: its source (path, glob, webcam index or URL), how to read it (see
    :func:`~rtseg.sources.open_source`; ``transport`` is RTSP's for the source and
    ``rtsp_out``), its confidence threshold and classes (already resolved against the run's:
    ``classes`` None keeps every class) and its outputs (final paths and URLs; a stream without
    its own ``jsonl`` writes to the run's shared file, when there is one). ``analytics`` is its
    site file (zones and lines counted on its tracks), if any."""

    name: str
    source: str | int
    vid_stride: int = 1
    loop: bool = False
    realtime: bool = False
    transport: str | None = None
    conf: float = DEFAULT_CONF
    classes: tuple[int, ...] | None = None
    output: str | None = None
    jsonl: str | None = None
    mot: str | None = None
    rtsp_out: str | None = None
    analytics: str | None = None

    @property
    def writes(self) -> bool:
        """Whether the stream has an output of its own."""
        return bool(self.output or self.jsonl or self.mot or self.rtsp_out)

    @property
    def draws(self) -> bool:
        """Whether one of its outputs shows annotated frames."""
        return bool(self.output or self.rtsp_out)

    def kept_conf(self, track: bool) -> float:
        """The weakest detection this stream keeps: at its confidence threshold, or when
        tracking down to its tracker's low threshold (weaker ones only carry tracks on)."""
        return detection_floor(self.conf) if track else self.conf

    def tracker(self, fps: float | None) -> Tracker:
        """A tracker for this stream (at ``fps``, None: unknown) at its confidence threshold."""
        return Tracker.for_conf(self.conf, fps or DEFAULT_FPS)

    def site(self) -> Site | None:
        """The zones and lines of its site file; RtsegError (one line) for a bad file."""
        return None if self.analytics is None else load_site(self.analytics)

    def annotator(self, names: dict[int, str], trace: bool = False) -> FrameAnnotator:
        """How its annotated outputs are drawn: detections (with ``trace``), and its site."""
        return FrameAnnotator(names, trace=trace, site=self.site())

    def stream(
        self,
        source: FrameSource,
        track: bool,
        names: dict[int, str],
        sinks: Sequence[Sink] = (),
        annotator: FrameAnnotator | None = None,
    ) -> Stream:
        """This stream opened on ``source`` for a run with a model of class ``names``: tracked
        when ``track``, keeping its own detections of the shared model's, its site counted."""
        tracker = self.tracker(source.fps) if track else None
        site = self.site()
        analytics = None
        if site is not None and tracker is not None:
            fps = source.fps or DEFAULT_FPS
            analytics = Analytics(
                site, self.name, lost_buffer=tracker.max_missed, fps=fps, names=names
            )
        return Stream(
            self.name,
            source,
            sinks,
            tracker,
            annotator,
            self.kept_conf(track),
            self.classes,
            analytics,
        )

    def open(self, start: int = 0) -> FrameSource:
        """The open source, a recorded one from frame ``start`` on (a restarted Ray worker
        resuming); RtsegError (one line) when it cannot be used."""
        source = open_source(
            self.source,
            vid_stride=self.vid_stride,
            loop=self.loop,
            realtime=self.realtime,
            transport=self.transport,
        )
        return source if source.is_live or start == 0 else ResumedSource(source, start)


def model_filters(
    streams: Sequence[StreamPlan], track: bool
) -> tuple[float, tuple[int, ...] | None]:
    """The shared model's confidence and classes: permissive enough for every stream (with
    tracking, down to the trackers' low threshold); each stream then keeps its own."""
    conf = min(stream.kept_conf(track) for stream in streams)
    if any(stream.classes is None for stream in streams):
        return conf, None
    return conf, tuple(sorted({class_id for stream in streams for class_id in stream.classes}))
