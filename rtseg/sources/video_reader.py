"""One pass over a video file with FFmpeg (PyAV), packet by packet, surviving damage.

Frame numbers are the decoder's output order, as FFmpeg (``ffprobe -count_frames``) and OpenCV
count them: 0, 1, 2, ... on every intact file, whatever its timestamps do (missing as in AVI and
raw H.264, out of order as in AVI streams copied into MP4, irregular as in phone recordings).
Timestamps only give ``time_ms``, and only while they are usable.

Each video packet is demuxed and decoded on its own, so a damaged packet costs only the frames
it holds; reading goes on to the end of the file. Every packet carries its number through the
decoder (``copy_opaque``), so a frame is known to be lost when its packet went in and never came
out, not guessed from timestamps. A frame number is skipped (a :class:`Gap`) only for such
evidence: a packet the decoder never turned into a frame. Near a sign of damage (a lost packet,
a packet the decoder refused or the demuxer flagged corrupt, a demux error), a jump in
timestamps also counts the frames the demuxer never delivered (Matroska and MPEG-TS resync past
garbage silently), so the frames after the damage keep the numbers they would have had.

Losses are placed in presentation order: a decoded frame waits while a packet presented before
it is still in the decoder, until that packet comes out or is overdue (more packets read since
than the decoder's reordering and threads explain). On intact files with ordered timestamps
nothing waits. When frames come out against their timestamps' order with no damage near, the
timestamps are not the presentation order (AVI): from then on the decoder's order rules and
times follow the frame rate.

A file that ends before the frame count its container declares (a recording cut by a power
loss) ends with a gap flagged ``truncated``; a corrupt packet at its very end (the file cut
inside it) is not decoded, as threaded decoding would then lose the frames still in flight.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import av.stream
import numpy as np

from rtseg.errors import RtsegError

THREADS = "AUTO"  # frame and slice threads: as fast as OpenCV's reader (scripts/bench_pipeline.py)
MAX_DEMUX_ERRORS = 100  # demux failures in a row before the rest of the file counts as unreadable
ESTIMATE_SLACK = 1  # frames a count estimated from the duration may be off by
OVERDUE_MARGIN = 8  # packets beyond the decoder's reordering and threads before a frame is lost
DAMAGE_WINDOW = 32  # packets around a sign of damage within which a jump in timestamps is damage
IRREGULAR_STEP = 0.5  # a step between timestamps this far from the frame period: variable rate


@dataclass(frozen=True)
class Decoded:
    """One decoded frame: its source frame number, timestamp (ms from the stream start, None
    when neither timestamps nor a frame rate give one) and the PyAV frame, not yet converted
    (strides skip that; :func:`to_bgr` turns it upright)."""

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


@dataclass(frozen=True)
class Note:
    """Something about the file that changed how it is read (said once): timestamps the reader
    could not use, a variable frame rate, a rotation."""

    text: str


@dataclass(frozen=True)
class _Held:
    """A decoded frame waiting for the packets presented before it; ``packet``: its number."""

    packet: int
    pts: int | None
    frame: av.VideoFrame


class _PacketTag:
    """A packet's number, carried through the decoder to its frame. A fresh object for each
    packet: PyAV keeps opaque values in one process-wide table keyed by ``id()``, so a bare
    small int (one shared object) would be popped by another reader's packet of that number."""

    __slots__ = ("number",)

    def __init__(self, number: int) -> None:
        self.number = number


def rotation_turns(degrees: float) -> int:
    """Quarter turns counterclockwise (0-3) for a display rotation in degrees (FFmpeg's sign:
    counterclockwise positive), to the nearest quarter."""
    return round(degrees / 90.0) % 4


def to_bgr(frame: av.VideoFrame) -> np.ndarray:
    """The frame as a BGR image, turned upright as players show it (its display matrix)."""
    image = frame.to_ndarray(format="bgr24")
    turns = rotation_turns(frame.rotation or 0)
    return np.ascontiguousarray(np.rot90(image, turns)) if turns else image


class VideoReader:
    """An open video file: its facts (``fps``, ``declared_frames``, ``size`` as coded,
    ``duration_ms``, ``label``) and :meth:`frames`, one pass that yields :class:`Decoded`
    frames, :class:`Gap` s and :class:`Note` s in order. RtsegError when the file is no video
    FFmpeg can decode."""

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
        self._codec = stream.codec_context
        self._codec.thread_type = THREADS
        self._codec.copy_opaque = True  # each frame carries its packet's number
        rate = stream.average_rate or stream.guessed_rate
        self.fps = float(rate) if rate else None
        self._time_base = float(stream.time_base) if stream.time_base else None
        self._start = stream.start_time or 0
        width, height = self._codec.width, self._codec.height
        self.size = (width, height) if width > 0 and height > 0 else None
        seconds = stream.duration * self._time_base if stream.duration and self._time_base else 0
        self.duration_ms = seconds * 1000.0 or None
        self.declared_frames, self._exact = self._declared()
        container = self._container.format.name.split(",")[0]
        self.label = f"{path.name} ({container}, {self._codec.name})"
        self.trusted = True  # timestamps give the presentation order (until shown otherwise)
        self.last_index = -1  # the highest frame number passed so far (decoded or lost)
        self._last_pts: int | None = None  # of the last frame passed on, while trusted
        self._last_time: float | None = None
        self._read = 0  # packets read with data; each one's number is its position in this count
        self._pending: dict[int, int | None] = {}  # packet number -> pts: in the decoder
        self._lost: dict[int, int | None] = {}  # packets given up on, not yet placed
        self._held: list[_Held] = []  # decoded frames waiting, in the decoder's output order
        self._damage_at = -DAMAGE_WINDOW - 1  # packet number at the last sign of damage
        self._said: set[str] = set()
        self._notes: list[Note] = []

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

    def upright_size(self) -> tuple[int, int] | None:
        """(width, height) as players show the frames: the coded size, turned by the first
        decodable frame's display rotation. Decodes up to that frame (call before
        :meth:`frames`, on a reader opened for its facts)."""
        if self.size is None:
            return None
        try:
            for frame in self._container.decode(self._stream):
                if rotation_turns(frame.rotation or 0) % 2:
                    return self.size[1], self.size[0]
                break
        except av.FFmpegError:
            pass  # no decodable first frame: the coded size is all there is
        return self.size

    def close(self) -> None:
        self._container.close()

    def frames(self) -> Iterator[Decoded | Gap | Note]:
        """Decode the file once, start to end (call once per reader)."""
        corrupt = None  # a corrupt packet: decoded only if the file goes on after it
        for packet in self._packets():
            ready = [corrupt] if corrupt is not None and packet.size else []
            corrupt = packet if packet.is_corrupt else None
            if corrupt is None:
                ready.append(packet)
            for each in ready:
                self._decode(each)
            yield from self._pass_on(final=not packet.size)
        yield from self._ending()

    def _packets(self) -> Iterator[av.Packet]:
        """The video stream's packets, numbered as read, ending with the empty one that drains
        the decoder; a demux error skips ahead instead of ending the file."""
        errors = 0
        while errors <= MAX_DEMUX_ERRORS:
            try:
                for packet in self._container.demux(self._stream):
                    errors = 0
                    self._number(packet)
                    yield packet  # at the end of the file, demux yields the draining packet
                return
            except av.FFmpegError:
                errors += 1
                self._damage_at = self._read
        yield av.Packet()

    def _number(self, packet: av.Packet) -> None:
        if not packet.size:
            return
        packet.opaque = _PacketTag(self._read)
        self._pending[self._read] = packet.pts
        if packet.is_corrupt:
            self._damage_at = self._read
        self._read += 1

    def _decode(self, packet: av.Packet) -> None:
        """Decode one packet; when the decoder refuses it, that is a sign of damage (its frame,
        if it never comes out, is lost)."""
        try:
            decoded = self._codec.decode(packet)
        except av.FFmpegError:
            self._damage_at = self._read - 1
            return
        for frame in decoded:
            self._arrive(frame)

    def _near_damage(self, packet: int) -> bool:
        return abs(packet - self._damage_at) <= DAMAGE_WINDOW

    def _arrive(self, frame: av.VideoFrame) -> None:
        """Take a frame from the decoder into the waiting list (or drop it, late after damage)."""
        tag = frame.opaque
        packet = tag.number if isinstance(tag, _PacketTag) else None
        if packet is not None and packet not in self._pending:
            return  # its packet was given up on and counted lost: its number has passed
        self._pending.pop(packet, None)
        pts = frame.pts
        if self.trusted and pts is None:
            self._distrust("no timestamps")
        elif self.trusted and self._last_pts is not None and pts <= self._last_pts:
            if packet is not None and self._near_damage(packet):
                return  # out of order behind damage: its number has passed
            if pts < self._last_pts:
                self._distrust("timestamps out of presentation order")
        self._held.append(_Held(-1 if packet is None else packet, pts, frame))

    def _distrust(self, reason: str) -> None:
        """From now on the decoder's order rules and times follow the frame rate."""
        self.trusted = False
        rate = f"the frame rate ({self.fps:g} fps)" if self.fps else "nothing (no frame rate)"
        self._say(f"{self.label}: {reason}; frames numbered in decoding order, times from {rate}")

    def _say(self, text: str) -> None:
        if text not in self._said:
            self._said.add(text)
            self._notes.append(Note(text))

    def _overdue(self, final: bool) -> None:
        """Packets whose frame should have come out by now (all of them once drained): lost."""
        lag = int(self._codec.reorder_depth or 0) + max(self._codec.thread_count, 1)
        for packet in list(self._pending):
            if not final and self._read - 1 - packet <= lag + OVERDUE_MARGIN:
                break  # numbered in reading order: the rest are younger
            self._lost[packet] = self._pending.pop(packet)
            self._damage_at = max(self._damage_at, packet)

    def _settled(self, final: bool) -> list[_Held]:
        """The waiting frames that can be passed on now, in presentation order. While
        timestamps are trusted, a frame waits for the packets presented before it; frames
        that came out against their timestamps, with no damage to explain it, end the trust."""
        if not self.trusted:
            return self._held
        waiting = [pts for pts in self._pending.values() if pts is not None]
        bound = math.inf if final or not waiting else min(waiting)
        by_pts = sorted(self._held, key=lambda held: held.pts)
        if [held.pts for held in by_pts] == [held.pts for held in self._held]:
            return [held for held in by_pts if held.pts < bound]
        if by_pts[-1].pts >= bound:
            return []  # out of order: decide once every packet before them is accounted for
        lost_among = any(pts is None or pts < by_pts[-1].pts for pts in self._lost.values())
        if lost_among or any(self._near_damage(held.packet) for held in self._held):
            return by_pts  # damage reordered them
        self._distrust("timestamps out of presentation order")
        return self._held

    def _pass_on(self, final: bool) -> Iterator[Decoded | Gap | Note]:
        self._overdue(final)
        settled = self._settled(final)
        if settled:
            passed = {id(held) for held in settled}
            self._held = [held for held in self._held if id(held) not in passed]
            for held in settled:
                yield from self._place(held)
        yield from self._notes
        self._notes.clear()

    def _place(self, held: _Held) -> Iterator[Decoded | Gap]:
        """Number a frame: after the lost frames presented before it, and, near damage, after
        the frames its timestamp says are missing."""
        trusted = self.trusted and held.pts is not None
        before = [
            packet
            for packet, pts in self._lost.items()
            if not trusted or pts is None or pts < held.pts
        ]
        for packet in before:
            del self._lost[packet]
        missing = len(before)
        if trusted and (missing or self._near_damage(held.packet)):
            missing = max(missing, self._expected(held.pts) - self.last_index - 1)
        if missing:
            yield Gap(self.last_index + 1, self.last_index + missing)
        index = self.last_index + missing + 1
        time_ms = self._time_ms(held.pts if trusted else None, index)
        if trusted:
            if not missing:
                self._check_rate(held.pts)
            self._last_pts = held.pts
        self.last_index, self._last_time = index, time_ms
        turns = rotation_turns(held.frame.rotation or 0)
        if turns:
            self._say(f"{self.label}: display rotation {turns * 90}°; frames turned upright")
        yield Decoded(index, time_ms, held.frame)

    def _expected(self, pts: int) -> int:
        """The frame number ``pts`` is due at by the frame rate, from the last frame passed
        (from the stream's start for the first)."""
        if self.fps is None or self._time_base is None:
            return self.last_index + 1
        if self._last_pts is None:
            return round((pts - self._start) * self._time_base * self.fps)
        periods = round((pts - self._last_pts) * self._time_base * self.fps)
        return self.last_index + max(1, periods)

    def _check_rate(self, pts: int) -> None:
        if self._last_pts is None or self.fps is None or self._time_base is None:
            return
        periods = (pts - self._last_pts) * self._time_base * self.fps
        if abs(periods - 1) > IRREGULAR_STEP:
            self._say(
                f"{self.label}: variable frame rate; frames numbered in decoding order,"
                " times from its timestamps"
            )

    def _time_ms(self, pts: int | None, index: int) -> float | None:
        """From the timestamp while usable (and increasing), else from the frame rate."""
        if pts is not None and self._time_base is not None:
            stamped = (pts - self._start) * self._time_base * 1000.0
            if self._last_time is None or stamped > self._last_time:
                return stamped
        if not self.fps:
            return None
        period = 1000.0 / self.fps
        if self._last_time is None:
            return index * period
        return self._last_time + (index - self.last_index) * period

    def _ending(self) -> Iterator[Gap]:
        """The gap at the end of the file: frames lost after the last decoded one, or, when the
        file holds fewer packets and frame numbers than its container declares, every frame
        from there to the declared end."""
        first, last = self.last_index + 1, self.last_index + len(self._lost)
        self._lost.clear()
        declared = self.declared_frames or 0
        short = declared - (0 if self._exact else ESTIMATE_SLACK)
        if self._read < short and last + 1 < short:
            last = declared - 1
            yield Gap(first, last, truncated=True)
        elif last >= first:
            yield Gap(first, last)
        self.last_index = last
