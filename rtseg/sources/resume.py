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

    @property
    def dropped(self) -> int:
        return self._source.dropped

    @property
    def undecodable(self) -> int | None:
        return self._source.undecodable

    def read(self) -> Frame | None:
        while (frame := self._source.read()) is not None and frame.index < self._start:
            pass
        return frame

    def close(self) -> None:
        self._source.close()
