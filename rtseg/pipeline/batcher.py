"""One model session serving several streams: their ``infer`` calls meet in a shared queue.

Each stream keeps its own capture, decoding, tracking and outputs; only inference
is shared. Worker threads take whatever requests are waiting — at most a few per stream, since
each pipeline waits for its answers — and run them as one batch when the model has a dynamic
batch axis (same input shape only), else one after another. A stream that stops asking (its
source stalled, its sinks slow) simply has no request waiting, so it never holds up the others.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

import numpy as np
import supervision as sv

from rtseg.handover import POLL_S

if TYPE_CHECKING:
    from rtseg.engine import Segmenter

Request = tuple[np.ndarray, Future]
DetectionFilter = Callable[[sv.Detections], sv.Detections]


class InferenceBatcher:
    """Runs ``segmenter.infer`` for many callers on ``workers`` threads, batching when allowed.

    :meth:`infer` blocks until the caller's outputs are ready. The first inference error is
    kept in ``failure`` and handed to that request and every later one. :meth:`close` serves
    the requests still queued, then ends the threads.
    """

    def __init__(self, segmenter: Segmenter, *, workers: int = 1, batch: bool = False) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.segmenter = segmenter
        self.batch = batch
        self.failure: BaseException | None = None
        self.calls = 0  # model calls made
        self.frames = 0  # frames inferred
        self._requests: queue.SimpleQueue[Request] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"rtseg-infer-{i}", daemon=True)
            for i in range(workers)
        ]

    @property
    def waiting(self) -> int:
        """Requests queued and not yet taken by a worker."""
        return self._requests.qsize()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def close(self) -> None:
        """Refuse new requests, finish the queued ones and join the threads."""
        with self._lock:
            self._closed = True
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def infer(self, blob: np.ndarray) -> list[np.ndarray]:
        """The model's outputs for ``blob`` (a batch of one), computed among other streams'."""
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the shared inference was closed")
            self._requests.put((blob, future))
        return future.result()

    def _work(self) -> None:
        while True:
            try:
                first = self._requests.get(timeout=POLL_S)
            except queue.Empty:
                if self._closed:
                    return
                continue
            for group in self._groups([first, *self._drain()] if self.batch else [first]):
                self._run(group)

    def _drain(self) -> list[Request]:
        """Every request waiting right now (the rest of this round's batch)."""
        waiting: list[Request] = []
        while True:
            try:
                waiting.append(self._requests.get_nowait())
            except queue.Empty:
                return waiting

    @staticmethod
    def _groups(requests: list[Request]) -> list[list[Request]]:
        """Requests by input shape: only equal shapes can share a batch."""
        groups: dict[tuple[int, ...], list[Request]] = {}
        for request in requests:
            groups.setdefault(request[0].shape, []).append(request)
        return list(groups.values())

    def _run(self, group: list[Request]) -> None:
        futures = [future for _, future in group]
        try:
            if self.failure is not None:
                raise self.failure
            outputs = self._infer_group([blob for blob, _ in group])
        except BaseException as error:  # every caller, and the owner, learns of it
            self.failure = self.failure or error
            for future in futures:
                future.set_exception(error)
            return
        for future, result in zip(futures, outputs, strict=True):
            future.set_result(result)

    def _infer_group(self, blobs: list[np.ndarray]) -> list[list[np.ndarray]]:
        with self._lock:
            self.calls += 1
            self.frames += len(blobs)
        if len(blobs) == 1:
            return [self.segmenter.infer(blobs[0])]
        outputs = self.segmenter.infer(np.concatenate(blobs))
        return [[output[i : i + 1] for output in outputs] for i in range(len(blobs))]


Decode = Callable[[Sequence[np.ndarray], object], sv.Detections]


def filtered(decode: Decode, keep: DetectionFilter | None) -> Decode:
    """``decode`` followed by one stream's own filter (``keep`` None: as decoded)."""
    if keep is None:
        return decode

    def decode_and_keep(outputs: Sequence[np.ndarray], letterbox: object) -> sv.Detections:
        return keep(decode(outputs, letterbox))

    return decode_and_keep


def detection_filter(
    conf: float | None = None, classes: Sequence[int] | None = None
) -> DetectionFilter | None:
    """A per-stream confidence/class filter over the shared model's (laxer) output; None when
    nothing is filtered. Exact for ``conf`` (NMS never lets a lower-confidence box suppress a
    higher one) and for ``classes`` with per-class NMS (the default)."""
    if conf is None and classes is None:
        return None
    wanted = None if classes is None else np.asarray(list(classes))

    def keep(detections: sv.Detections) -> sv.Detections:
        mask = np.ones(len(detections), bool)
        if conf is not None:
            mask &= detections.confidence >= conf
        if wanted is not None:
            mask &= np.isin(detections.class_id, wanted)
        return detections if mask.all() else detections[mask]

    return keep
