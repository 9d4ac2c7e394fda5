"""Instance masks as box crops: supervision's ``CompactMask``, the one form ``Detections.mask``
takes from the engine to the sinks.

Each mask is kept as the run-length encoded crop of its box with the frame position of the
crop's top-left pixel, so a frame's masks cost about their boxes' area, not N frames. The
tracker, the annotator and the JSON Lines encoder read the crops; analytics reads their run
lengths as :class:`ColumnRuns`, without decoding them; the Ray transfer sends them as they are.
A frame-size (N, H, W) array is made only for a caller that asks for one (``np.asarray(mask)``,
the results of ``rtseg.track``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from supervision.detection.compact_mask import CompactMask


def as_compact(mask: np.ndarray | CompactMask, xyxy: np.ndarray) -> CompactMask:
    """``Detections.mask`` as crops: a ``CompactMask`` as it is; a dense (N, H, W) array (a
    caller's own detections) cut to the ``xyxy`` boxes, as ``CompactMask.from_dense`` does
    (pixels outside a mask's box are dropped)."""
    if isinstance(mask, CompactMask):
        return mask
    dense = np.asarray(mask, dtype=bool)
    return CompactMask.from_dense(dense, np.asarray(xyxy), image_shape=dense.shape[1:])


def box_crops(
    mask: np.ndarray | CompactMask, xyxy: np.ndarray
) -> Iterator[tuple[np.ndarray, int, int]]:
    """Each mask's crop (a bool array the size of its box) and the frame ``x``, ``y`` of the
    crop's top-left pixel."""
    compact = as_compact(mask, xyxy)
    for index, (x, y) in enumerate(compact.offsets.tolist()):
        yield compact.crop(index), x, y


@dataclass(frozen=True)
class ColumnRuns:
    """Every mask's pixels as vertical runs in frame pixels, read from the crops' run lengths
    without decoding them: run ``k`` of mask ``owner[k]`` covers rows ``top[k]`` to
    ``stop[k] - 1`` of column ``x[k]``. Runs are ordered by mask, so per-mask sums and
    extremes are one ``bincount`` or ``reduceat``; within a mask they go column by column."""

    count: int  # masks
    boxes: np.ndarray  # (count, 4) each crop's frame pixels x0, y0, x1, y1 (exclusive ends)
    owner: np.ndarray
    x: np.ndarray
    top: np.ndarray
    stop: np.ndarray

    @property
    def area(self) -> np.ndarray:
        """(count,) pixels of each mask."""
        return np.bincount(self.owner, weights=self.stop - self.top, minlength=self.count)


def column_runs(mask: np.ndarray | CompactMask, xyxy: np.ndarray) -> ColumnRuns:
    """``Detections.mask`` as :class:`ColumnRuns` (a dense array is cut to ``xyxy`` first)."""
    compact = as_compact(mask, xyxy)
    # supervision keeps each crop's COCO (column-major) run lengths here and offers no public
    # accessor; tests/test_masks.py pins that the runs read from them are the decoded masks.
    lengths_list = compact._rles
    count = len(lengths_list)
    boxes = np.asarray(compact.bbox_xyxy, dtype=np.int64).reshape(-1, 4) + np.array([0, 0, 1, 1])
    heights = boxes[:, 3] - boxes[:, 1]
    sizes = np.fromiter(map(len, lengths_list), dtype=np.int64, count=count)
    lengths = np.concatenate([np.zeros(0, np.int64), *lengths_list], dtype=np.int64)
    ends = np.cumsum(lengths)
    starts = np.cumsum(sizes) - sizes  # each mask's first count
    pixels_before = np.concatenate([[0], ends])[starts]  # in the masks before each one
    runs = sizes // 2  # pixel runs: every second count, from the second on
    owner = np.repeat(np.arange(count), runs)
    index = 2 * (np.arange(len(owner)) - (np.cumsum(runs) - runs)[owner]) + starts[owner] + 1
    stop, length = ends[index] - pixels_before[owner], lengths[index]  # within the crop
    if not length.all():
        owner, stop, length = owner[length > 0], stop[length > 0], length[length > 0]
    start, height = stop - length, np.maximum(heights[owner], 1)
    column, last = _floor_divide(start, height), _floor_divide(stop - 1, height)
    if np.any(last > column):  # a run going on past a column's bottom: one piece per column
        pieces = last - column + 1
        run = np.repeat(np.arange(len(start)), pieces)
        column = column[run] + np.arange(len(run)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        start, stop, height, owner = start[run], stop[run], height[run], owner[run]
    shift = column * height  # the crop position of the column's top row
    top, stop = np.maximum(start - shift, 0), np.minimum(stop - shift, height)
    left, upper = boxes[:, 0][owner], boxes[:, 1][owner]
    return ColumnRuns(
        count=count,
        boxes=boxes,
        owner=owner,
        x=left + column,
        top=upper + top,
        stop=upper + stop,
    )


def _floor_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator // denominator`` for non-negative ints below 2**52, through float64 (exact
    there: the quotient of a multiple is exact, any other is 1/denominator off an integer) and
    several times faster than integer division."""
    return (numerator / denominator).astype(np.int64)
