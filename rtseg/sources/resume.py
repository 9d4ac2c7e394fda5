"""A recorded source picked up where an earlier run stopped (a restarted worker resuming)."""

from __future__ import annotations

from rtseg.sources.frame import Frame, FrameSource


class ResumedSource(FrameSource):
    """``source`` from frame index ``start`` on; earlier frames are read and skipped.

    Reading (not seeking) keeps ``Frame.index`` and timestamps exactly those of an
    uninterrupted run, strides and loops included.
    """

    def __init__(self, source: FrameSource, start: int) -> None:
        self.name = source.name
        self.is_live = source.is_live
        self.fps = source.fps
        self.frame_count = source.frame_count
        self.size = source.size
        self._source = source
        self._start = start
        self._skipped_before = 0  # undecodable frames met before ``start``: an earlier run's

    @property
    def dropped(self) -> int:
        return self._source.dropped

    @property
    def undecodable(self) -> int | None:
        """Frames skipped as damaged from ``start`` on (the run before counted the others)."""
        count = self._source.undecodable
        return None if count is None else count - self._skipped_before

    def read(self) -> Frame | None:
        while (frame := self._source.read()) is not None and frame.index < self._start:
            self._skipped_before = self._source.undecodable or 0
        return frame

    def close(self) -> None:
        self._source.close()
