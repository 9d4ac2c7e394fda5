"""InferenceBatcher: waiting requests batched by shape (dynamic models) or run in turn."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import supervision as sv

from rtseg.pipeline.batcher import InferenceBatcher, detection_filter
from tests.pipeline.fakes import HANG_GUARD_S
from tests.waiting import wait_until


class GatedModel:
    """Echoes its input; the first call sets ``entered`` and waits for ``gate``, so the next
    requests pile up."""

    def __init__(self, fail: bool = False) -> None:
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.batch_sizes: list[int] = []
        self._fail = fail

    def infer(self, blob: np.ndarray) -> list[np.ndarray]:
        if not self.batch_sizes:
            self.entered.set()
            assert self.gate.wait(HANG_GUARD_S)
        self.batch_sizes.append(len(blob))
        if self._fail:
            raise ValueError("model broke")
        return [blob * 2, blob + 1]


def submit_while_gated(batcher: InferenceBatcher, model: GatedModel, blobs: list[np.ndarray]):
    """Submit ``blobs[0]``, then the rest while the model is held on the first; returns each
    request's outputs or exception, in order."""
    results: list = [None] * len(blobs)

    def call(i: int) -> None:
        try:
            results[i] = batcher.infer(blobs[i])
        except Exception as error:
            results[i] = error

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(blobs))]
    batcher.start()
    threads[0].start()
    assert model.entered.wait(HANG_GUARD_S), "the worker never took the first request"
    for thread in threads[1:]:
        thread.start()
    wait_until(lambda: batcher.waiting == len(blobs) - 1, HANG_GUARD_S, "the rest to queue up")
    model.gate.set()
    for thread in threads:
        thread.join(HANG_GUARD_S)
    batcher.close()
    return results


def blobs_of(*shapes: tuple[int, ...]) -> list[np.ndarray]:
    return [np.full((1, *shape), i, np.float32) for i, shape in enumerate(shapes)]


@pytest.mark.parametrize(("batch", "sizes"), [(True, [1, 3, 1]), (False, [1, 1, 1, 1, 1])])
def test_waiting_requests_share_a_batch_by_shape(batch, sizes):
    model = GatedModel()
    blobs = blobs_of((2, 2), (2, 2), (2, 2), (3, 2), (2, 2))
    results = submit_while_gated(InferenceBatcher(model, batch=batch), model, blobs)
    assert model.batch_sizes == sizes
    for blob, (doubled, plus_one) in zip(blobs, results, strict=True):
        np.testing.assert_array_equal(doubled, blob * 2)
        np.testing.assert_array_equal(plus_one, blob + 1)


def test_an_inference_error_reaches_every_caller_and_sticks():
    model = GatedModel(fail=True)
    batcher = InferenceBatcher(model, batch=True)
    results = submit_while_gated(batcher, model, blobs_of((2,), (2,), (2,)))
    assert all(isinstance(result, ValueError) for result in results)
    assert str(batcher.failure) == "model broke"
    with pytest.raises(RuntimeError, match="closed"):
        batcher.infer(blobs_of((2,))[0])


def test_detection_filter_keeps_a_streams_confidence_and_classes():
    detections = sv.Detections(
        xyxy=np.zeros((4, 4), np.float32),
        confidence=np.array([0.3, 0.6, 0.9, 0.5], np.float32),
        class_id=np.array([0, 2, 2, 7]),
    )
    assert detection_filter() is None
    keep = detection_filter(conf=0.5, classes=[2, 7])
    assert keep(detections).confidence.tolist() == pytest.approx([0.6, 0.9, 0.5])
    assert len(detection_filter(classes=[0])(detections)) == 1
