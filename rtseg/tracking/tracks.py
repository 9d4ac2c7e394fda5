"""Track storage as parallel arrays (one row per track) so the tracker works on all at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from rtseg.tracking.costs import MaskCrop


class TrackState(IntEnum):
    """Life cycle: tentative -> tracked (confirmed) <-> lost -> removed (row dropped)."""

    TENTATIVE = 0
    TRACKED = 1
    LOST = 2


@dataclass
class TrackTable:
    """All live tracks. Row ``i`` of every array (and of ``masks``) describes the same track.

    ``ids`` is -1 until a track is confirmed. ``missed`` counts frames the tracker saw without
    matching the track (skipped stream frames are not counted). ``mask_offset`` is the mask
    crop's top-left corner relative to the box centre when the mask was taken.
    """

    ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    state: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int8))
    mean: np.ndarray = field(default_factory=lambda: np.empty((0, 8)))
    cov: np.ndarray = field(default_factory=lambda: np.empty((0, 8, 8)))
    hits: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    missed: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    class_id: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    mask_offset: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    masks: list[MaskCrop | None] = field(default_factory=list)

    _ARRAYS = ("ids", "state", "mean", "cov", "hits", "missed", "class_id", "mask_offset")

    def __len__(self) -> int:
        return len(self.ids)

    def extend(self, other: TrackTable) -> None:
        """Append ``other``'s rows after this table's rows."""
        for name in self._ARRAYS:
            setattr(self, name, np.concatenate([getattr(self, name), getattr(other, name)]))
        self.masks = self.masks + other.masks

    def keep(self, rows: np.ndarray) -> None:
        """Keep only ``rows`` (bool mask or ascending indices), in order."""
        rows = np.nonzero(rows)[0] if rows.dtype == bool else rows
        for name in self._ARRAYS:
            setattr(self, name, getattr(self, name)[rows])
        self.masks = [self.masks[i] for i in rows]
