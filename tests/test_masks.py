"""rtseg.masks: masks as box crops, and their pixels as column runs read without decoding."""

from __future__ import annotations

import numpy as np
import pytest
import supervision as sv
from supervision.detection.compact_mask import CompactMask

from rtseg.masks import ColumnRuns, column_runs


def random_masks(seed: int, count: int = 12, frame: tuple[int, int] = (90, 120)) -> np.ndarray:
    """(count, H, W) masks inside boxes, with the awkward cases: an empty mask, a full box,
    one pixel, and runs that go on from the bottom of a column to the top of the next."""
    rng = np.random.default_rng(seed)
    height, width = frame
    masks = np.zeros((count, height, width), dtype=bool)
    for i in range(count):
        x0, y0 = rng.integers(0, width - 2), rng.integers(0, height - 2)
        x1, y1 = rng.integers(x0 + 1, width + 1), rng.integers(y0 + 1, height + 1)
        masks[i, y0:y1, x0:x1] = rng.random((y1 - y0, x1 - x0)) < rng.uniform(0.2, 0.9)
    masks[0] = False
    masks[1, 10:40, 20:50] = True
    masks[2] = False
    masks[2, 5, 7] = True
    return masks


def dense(runs: ColumnRuns, frame: tuple[int, int]) -> np.ndarray:
    """The masks the runs describe, painted run by run."""
    out = np.zeros((runs.count, *frame), dtype=bool)
    for owner, x, top, stop in zip(runs.owner, runs.x, runs.top, runs.stop, strict=True):
        assert top < stop
        out[owner, top:stop, x] = True
    return out


@pytest.mark.parametrize("seed", range(5))
def test_column_runs_are_the_decoded_crops(seed: int) -> None:
    masks = random_masks(seed)
    xyxy = np.array(
        [sv.mask_to_xyxy(m[None])[0] if m.any() else [3, 4, 20, 30] for m in masks],
        dtype=np.float32,
    )
    compact = CompactMask.from_dense(masks, xyxy, image_shape=masks.shape[1:])
    runs = column_runs(compact, xyxy)
    assert runs.count == len(masks)
    np.testing.assert_array_equal(dense(runs, masks.shape[1:]), compact.to_dense())
    np.testing.assert_array_equal(runs.area, masks.sum(axis=(1, 2)))
    np.testing.assert_array_equal(runs.boxes, compact.bbox_xyxy + np.array([0, 0, 1, 1]))
    assert np.all(np.diff(runs.owner) >= 0)  # grouped by mask, in order


def test_a_dense_mask_is_cut_to_its_box_first() -> None:
    masks = random_masks(7)
    xyxy = np.array([[0, 0, 119, 89]] * len(masks), dtype=np.float32)
    runs = column_runs(masks, xyxy)
    np.testing.assert_array_equal(dense(runs, masks.shape[1:]), masks)


def test_no_masks_no_runs() -> None:
    runs = column_runs(np.zeros((0, 10, 10), dtype=bool), np.zeros((0, 4)))
    assert runs.count == 0 and len(runs.owner) == 0 and runs.area.shape == (0,)
