"""The one-call Python API: ``rtseg.track(source, model=...)`` and ``rtseg.segment(...)``.

::

    for result in rtseg.track("clip.mp4", model="model.onnx", conf=0.3):
        result.frame.image, result.detections.tracker_id

It runs the same threaded pipeline as ``rtseg run`` with the same options; the caller's loop is
its last stage. Recorded input waits for the loop (every frame, in order); live input keeps only
the newest result. Leaving the loop (``break``, an exception, or dropping the iterator) stops the
run and closes every output; ``stream=False`` runs to the end and returns the summary.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import supervision as sv

from rtseg.app.plan import ModelPlan, RunPlan, make_plan
from rtseg.app.runner import Outcome, Runner
from rtseg.errors import RtsegError
from rtseg.handover import Handover
from rtseg.pipeline.streams import options_from_sources
from rtseg.sources import Frame

Source = str | int | os.PathLike[str]


@dataclass(frozen=True)
class Result:
    """One processed frame: ``stream`` (the source's name), the source ``frame`` (its
    ``image``, ``index`` and ``time_ms``) and its ``detections`` (with ``tracker_id`` when
    tracking; ``mask`` one (N, H, W) bool array)."""

    stream: str
    frame: Frame
    detections: sv.Detections

    @property
    def image(self) -> np.ndarray:
        return self.frame.image


def track(
    source: Source | Sequence[Source] = 0,
    model: str | os.PathLike[str] | None = None,
    *,
    stream: bool = True,
    **options: Any,
) -> Iterator[Result] | Outcome:
    """Segment and track ``source`` (a file, folder, glob, webcam index or URL, or a list of
    them); see ``run_options`` for ``options``. With ``stream`` an iterator of
    ``Result``, else the run to its end and its ``Outcome`` (``summary``, ``exit_code``)."""
    return _start(source, model, stream, tracking=True, **options)


def segment(
    source: Source | Sequence[Source] = 0,
    model: str | os.PathLike[str] | None = None,
    *,
    stream: bool = True,
    **options: Any,
) -> Iterator[Result] | Outcome:
    """``track`` without tracking: detections carry no ``tracker_id``."""
    return _start(source, model, stream, tracking=False, **options)


def run_options(
    *,
    device: str = "auto",
    precision: str = "auto",
    conf: float = 0.25,
    iou: float = 0.7,
    classes: Sequence[int] | None = None,
    output: str | None = None,
    jsonl: str | None = None,
    mot: str | None = None,
    rtsp_out: str | None = None,
    show: bool = False,
    serve: str | None = None,
    serve_token: str | None = None,
    trace: bool = False,
    vid_stride: int = 1,
    loop: bool = False,
    realtime: bool = False,
    transport: str | None = None,
    analytics: str | None = None,
    events: str | None = None,
    mqtt: str | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """The options ``track``/``segment`` accept, as the CLI's flags of the same names."""
    return {key: value for key, value in locals().items()}


def _start(
    source: Source | Sequence[Source],
    model: str | os.PathLike[str] | None,
    stream: bool,
    *,
    tracking: bool,
    **options: Any,
) -> Iterator[Result] | Outcome:
    given = run_options(**options)
    sources = source if isinstance(source, list | tuple) else [source]
    model_plan = ModelPlan(
        path=None if model is None else os.fspath(model),
        device=given.pop("device"),
        precision=given.pop("precision"),
        conf=given.pop("conf"),
        iou=given.pop("iou"),
        classes=None if given["classes"] is None else tuple(given["classes"]),
    )
    del given["classes"]
    plan = make_plan(
        options_from_sources([s if isinstance(s, int) else os.fspath(s) for s in sources]),
        model=model_plan,
        track=tracking,
        caller_reads=stream,
        **given,
    )
    if not stream:
        return Runner(plan).run()
    if plan.show:  # HighGUI wants the calling thread, which the caller's loop holds
        raise RtsegError("show=True needs stream=False (or draw result.image in your loop)")
    return _results(plan)


def _with_frame_masks(detections: sv.Detections) -> sv.Detections:
    """``detections`` with their masks as one (N, H, W) bool array, as callers read them (the
    run keeps them as box crops; :mod:`rtseg.masks`)."""
    if detections.mask is None:
        return detections
    return replace(detections, mask=np.asarray(detections.mask))


def _results(plan: RunPlan) -> Iterator[Result]:
    """Run ``plan`` in a background thread and yield its results as they come: recorded
    streams' every one (the run waits for the loop), live streams' newest only."""
    leaving = threading.Event()  # the caller's loop has ended
    handoff: Handover[Result] = Handover(stop=leaving)
    outcome: dict[str, Any] = {}

    def deliver(name: str, frame: Frame, detections: sv.Detections) -> None:
        result = Result(name, frame, _with_frame_masks(detections))
        (handoff.offer if runner.live[name] else handoff.put)(result)

    runner = Runner(plan, deliver, signals=False)

    def run() -> None:
        try:
            outcome["done"] = runner.run()
        except BaseException as error:  # raised in the caller's loop
            outcome["error"] = error
        finally:
            handoff.close()

    thread = threading.Thread(target=run, name="rtseg-api", daemon=True)
    thread.start()
    try:
        while (result := handoff.get()) is not None:
            yield result
        if "error" in outcome:
            raise outcome["error"]
    finally:
        leaving.set()
        runner.stop()
        thread.join()
