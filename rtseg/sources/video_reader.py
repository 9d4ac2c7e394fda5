"""One pass over a video file with FFmpeg (PyAV), packet by packet, surviving damage.

Each video packet is demuxed and decoded on its own, so a damaged packet costs only the frames
it holds; reading goes on to the end of the file. Damage is reported from evidence only, never
from timestamps alone (a camera that dropped frames while recording, or a variable frame rate,
leaves gaps in an intact file): a packet whose frame never comes out of the decoder, a packet
the decoder refuses, or one the demuxer flags corrupt. Once the decoder's output has moved past
such damage, the frame numbers between the two decoded frames around it (those the demuxer
could not even read included) are one :class:`Gap`. A file that ends before the frame count
its container declares (a recording cut by a power loss) ends with a gap flagged
``truncated``; a corrupt packet at its very end (the file cut inside it) is not decoded, as
threaded decoding would then lose the frames still in flight with it.

Frame numbers come from presentation timestamps: ``round((pts - start) * fps)``, kept
increasing, so the frames after a gap keep the numbers they would have had (a frame decoded out
of order after damage is dropped rather than renumbering the rest); ``time_ms`` is the
timestamp itself, so variable frame rates stay right.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import av.stream

from rtseg.errors import RtsegError

THREADS = "AUTO"  # frame and slice threads: as fast as OpenCV's reader (scripts/bench_pipeline.py)
MAX_DEMUX_ERRORS = 100  # demux failures in a row before the rest of the file counts as unreadable
ESTIMATE_SLACK = 1  # frames a count estimated from the duration may be off by
SUSPECT_PACKETS = 32  # after a sign of damage, packets within which a jump in frame numbers is
# damage too (the decoder's reordering delay and frame threads lie between packet and output)


@dataclass(frozen=True)
class Decoded:
    """One decoded frame: its source frame number, timestamp (ms from the stream start, None
    without one) and the PyAV frame, not yet converted (strides skip that)."""

    index: int
    time_ms: float | None
    frame: av.VideoFrame


@dataclass(frozen=True)
class Gap:
    """Source frames ``first``..``last`` that could not be decoded; ``truncated``: the file
    ends before the frames its container declares."""

    first: int
    last: int
    truncated: bool = False

    @property
    def count(self) -> int:
        return self.last - self.first + 1

    @property
    def frames(self) -> str:
        """``frame 7``, or ``frames 104-108`` with an en dash."""
        if self.first == self.last:
            return f"frame {self.first}"
        return f"frames {self.first}\u2013{self.last}"


class VideoReader:
    """An open video file: its facts (``fps``, ``declared_frames``, ``size``, ``duration_ms``)
    and :meth:`frames`, one pass that yields :class:`Decoded` frames and :class:`Gap` s in
    order. RtsegError when the file is no video FFmpeg can decode."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._container = av.open(str(path))
        except (av.FFmpegError, OSError) as error:
            reason = "not a video or unsupported codec"
            raise RtsegError(f"cannot read video {path}: {reason}") from error
        if not self._container.streams.video:
            self._container.close()
            raise RtsegError(f"cannot read video {path}: it has no video stream")
        stream = self._stream = self._container.streams.video[0]
        for other in self._container.streams:
            if other is not stream:  # or the demuxer waits on audio a cut file no longer has
                other.discard = av.stream.Discard.all
        stream.codec_context.thread_type = THREADS
        rate = stream.average_rate or stream.guessed_rate
        self.fps = float(rate) if rate else None
        self._time_base = float(stream.time_base) if stream.time_base else None
        self._start = stream.start_time or 0
        width, height = stream.codec_context.width, stream.codec_context.height
        self.size = (width, height) if width > 0 and height > 0 else None
        seconds = stream.duration * self._time_base if stream.duration and self._time_base else 0
        self.duration_ms = seconds * 1000.0 or None
        self.declared_frames, self._exact = self._declared()
        self.last_index = -1  # the highest frame number passed so far (decoded or lost)
        self._last_pts: int | None = None  # of the last frame decoded
        self._pending: set[int] = set()  # pts of packets read whose frames have not come out
        self._packets_read = 0
        self._suspect = 0  # packets left in which a jump in frame numbers counts as damage
        # jumps in frame numbers with no sign of damage yet: (first, last, packets read then)
        self._unexplained: deque[tuple[int, int, int]] = deque()

    def _declared(self) -> tuple[int | None, bool]:
        """Frames the container declares, and whether exactly (an index) or estimated (from
        the stream's duration, as in fragmented MP4)."""
        if self._stream.frames > 0:
            return self._stream.frames, True
        if self.duration_ms and self.fps:
            return round(self.duration_ms / 1000.0 * self.fps), False
        return None, False

    @property
    def length(self) -> int:
        """Frame numbers the file spans: declared, or as far as it was read if further."""
        return max(self.last_index + 1, self.declared_frames or 0)

    def close(self) -> None:
        self._container.close()

    def _index(self, pts: int | None) -> int | None:
        if pts is None or self.fps is None or self._time_base is None:
            return None
        return round((pts - self._start) * self._time_base * self.fps)

    def _time_ms(self, pts: int | None, index: int) -> float | None:
        if pts is not None and self._time_base is not None:
            return (pts - self._start) * self._time_base * 1000.0
        return index * 1000.0 / self.fps if self.fps else None

    def frames(self) -> Iterator[Decoded | Gap]:
        """Decode the file once, start to end (call once per reader)."""
        held = None  # a corrupt packet: decoded only if the file goes on after it
        for packet in self._packets():
            ready = [held] if held is not None and packet.size else []
            held = packet if packet.is_corrupt else None
            if held is None:
                ready.append(packet)
            for each in ready:
                yield from self._decode(each)
            yield from self._explained()
        yield from self._ending()

    def _packets(self) -> Iterator[av.Packet]:
        """The video stream's packets, noted as read, ending with the empty one that drains the
        decoder; a demux error skips ahead instead of ending the file."""
        errors = 0
        while errors <= MAX_DEMUX_ERRORS:
            try:
                for packet in self._container.demux(self._stream):
                    errors = 0
                    self._note(packet)
                    yield packet  # at the end of the file, demux yields the draining packet
                return
            except av.FFmpegError:
                errors += 1
                self._suspect = SUSPECT_PACKETS
        yield av.Packet()

    def _note(self, packet: av.Packet) -> None:
        if not packet.size:
            return
        self._packets_read += 1
        if packet.pts is not None:
            self._pending.add(packet.pts)
        self._suspect = SUSPECT_PACKETS if packet.is_corrupt else max(0, self._suspect - 1)

    def _decode(self, packet: av.Packet) -> Iterator[Decoded | Gap]:
        """Decode one packet; when the decoder refuses it, its frames stay pending (lost)."""
        try:
            decoded = self._stream.codec_context.decode(packet)
        except av.FFmpegError:
            self._suspect = SUSPECT_PACKETS
            return
        for frame in decoded:
            yield from self._output(frame)

    def _output(self, frame: av.VideoFrame) -> Iterator[Decoded | Gap]:
        pts = frame.pts
        if pts is not None and self._last_pts is not None and pts <= self._last_pts:
            return  # out of order after damage: its number has passed, reported as lost
        self._last_pts = pts if pts is not None else self._last_pts
        index = self._index(pts)
        index = self.last_index + 1 if index is None else max(index, self.last_index + 1)
        lost = [] if pts is None else self._lost(pts)
        if lost:  # frames the decoder will never give: damage, which may explain recent jumps
            self._suspect = SUSPECT_PACKETS
            yield from self._explained()
        jump = index > self.last_index + 1
        if lost or (self._suspect and jump):
            yield Gap(min([*lost, self.last_index + 1]), max([*lost, index - 1]))
        elif jump:
            self._unexplained.append((self.last_index + 1, index - 1, self._packets_read))
        self.last_index = index
        yield Decoded(index, self._time_ms(pts, index), frame)

    def _explained(self) -> Iterator[Gap]:
        """Recent jumps in frame numbers that a sign of damage read since explains (the decoder
        outputs frames some packets after reading them); older ones are the recording's own."""
        while self._unexplained and (
            self._packets_read - self._unexplained[0][2] > SUSPECT_PACKETS
        ):
            self._unexplained.popleft()
        while self._suspect and self._unexplained:
            first, last, _ = self._unexplained.popleft()
            yield Gap(first, last)

    def _lost(self, before: int | None) -> list[int]:
        """Frame numbers of pending packets presented before ``before`` (all, when None): the
        decoder has moved past them, so they never will come out. Removed from pending."""
        self._pending.discard(before)
        gone = sorted(pts for pts in self._pending if before is None or pts < before)
        self._pending.difference_update(gone)
        indices = [self._index(pts) for pts in gone]
        return [index for index in indices if index is not None]

    def _ending(self) -> Iterator[Gap]:
        """The gap at the end of the file: frames lost after the last decoded one, or, when the
        file holds fewer packets and frame numbers than its container declares, every frame
        from there to the declared end."""
        lost = self._lost(None)
        first, last = self.last_index + 1, max([*lost, self.last_index])
        declared = self.declared_frames or 0
        short = declared - (0 if self._exact else ESTIMATE_SLACK)
        if self._packets_read < short and last + 1 < short:
            last = declared - 1
            yield Gap(first, last, truncated=True)
        elif lost:
            yield Gap(first, last)
        self.last_index = last
