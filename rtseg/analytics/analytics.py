"""Counting on tracked detections: line crossings, zone occupancy, dwell, loitering.

One :class:`Analytics` per stream, fed every frame in order right after the tracker. The rules
(docs/how-to/zones-lines-events.md):

- Only confirmed tracks count (a ``tracker_id`` of -1 is skipped, never merged into one track).
- A line has a band around it: an object's side is decided only outside it, and a crossing is
  a change of decided side, seen :data:`CONFIRM_FRAMES` times in a row, whose move passes
  between the line's end points. Jitter and stop-and-go inside the band and one-frame flickers
  beyond it add nothing; a jump over the line between two frames counts.
  Every crossing counts, in each direction, however often one track crosses.
- An object is in every zone that contains its footpoint (or, ``mode: overlap``, enough of its
  mask); it leaves a zone only once clearly outside (the same band), so no flapping at edges.
- A track the tracker stops reporting keeps its state for the tracker's lost buffer
  (``lost_buffer`` frames seen), then leaves every zone it was in (``reason: lost``) and is
  forgotten: state stays bounded, and an id seen again after that starts afresh.
- Times come from ``frame.time_ms`` (frame index / fps only where a source has none), so
  dropped live frames do not shorten a dwell.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import supervision as sv

from rtseg.analytics.events import (
    LINE_CROSS,
    METADATA_KEY,
    ZONE_ENTER,
    ZONE_EXIT,
    ZONE_LOITER,
    AnalyticsResult,
    Event,
)
from rtseg.analytics.geometry import (
    Crop,
    Polygons,
    ZoneRaster,
    crosses_segment,
    footpoints,
    mask_crops,
    side_reach,
    signed_distance,
)
from rtseg.analytics.site import DEFAULT_BAND, Site, class_allowed
from rtseg.classes import class_names
from rtseg.errors import RtsegError
from rtseg.sources import Frame

CONFIRM_FRAMES = 2
"""Sightings in a row on the other side of a line that make a crossing: a one-frame flicker
of a mask's bottom (an occlusion, a merged box) beyond the band is not one."""

OVERLAP_EXIT = 0.75
"""An overlap-mode member leaves once its share inside falls below this much of ``min_overlap``."""


@dataclass
class _Stay:
    """A track's stay in one zone."""

    entered_ms: float
    class_name: str
    loitered: bool = False


@dataclass
class _Track:
    """What analytics keeps of one confirmed track (its line state is row ``slot`` of the
    :class:`_LineStates`)."""

    class_id: int
    class_name: str
    seen_update: int
    seen_ms: float
    slot: int
    stays: dict[int, _Stay] = field(default_factory=dict)


class _LineStates:
    """Every held track's state towards every line, one row per track (``slot``), so a frame's
    tracks are compared with the lines in a few array operations."""

    def __init__(self, lines: int) -> None:
        self.sides = np.zeros((0, lines), dtype=np.int8)  # -1 out, +1 in, 0 not yet decided
        self.anchors = np.zeros((0, lines, 2))  # the last footpoint on the decided side
        self.pending = np.zeros((0, lines), dtype=np.int64)  # sightings on the other side
        self.arrivals = np.zeros((0, lines, 2))  # the first of those footpoints
        self._free: list[int] = []

    def take(self) -> int:
        """A cleared row for a new track."""
        if not self._free:
            grown = max(16, 2 * len(self.sides))
            self._free = list(range(grown - 1, len(self.sides) - 1, -1))
            for name in ("sides", "anchors", "pending", "arrivals"):
                old = getattr(self, name)
                new = np.zeros((grown, *old.shape[1:]), dtype=old.dtype)
                new[: len(old)] = old
                setattr(self, name, new)
        slot = self._free.pop()
        self.sides[slot], self.anchors[slot], self.pending[slot] = 0, 0.0, 0
        self.arrivals[slot] = 0.0
        return slot

    def give_back(self, slot: int) -> None:
        self._free.append(slot)


class Analytics:
    """Lines and zones of a site counted on one stream's tracked detections.

    Args:
        site: The lines and zones (:func:`rtseg.analytics.load_site`), in pixels or fractions.
        stream: The stream's name, written into every event.
        lost_buffer: Frames the tracker keeps a lost track (``Tracker.max_missed``): a track
            unseen for longer has left.
        fps: Only for frames without a timestamp: their time is ``index / fps``.
        names: Class names by id, for detections without ``data["class_name"]``.
    """

    def __init__(
        self,
        site: Site,
        stream: str = "",
        *,
        lost_buffer: int = 30,
        fps: float = 30.0,
        names: dict[int, str] | None = None,
    ) -> None:
        if lost_buffer < 0 or not fps > 0:
            raise RtsegError(
                f"analytics needs lost_buffer >= 0 and fps > 0, got {lost_buffer}, {fps}"
            )
        self.site = site
        self.stream = stream
        self.lost_buffer = lost_buffer
        self.fps = fps
        self.names = names
        self._resolved: Site | None = None
        self._tracks: OrderedDict[int, _Track] = OrderedDict()  # least recently seen first
        self._updates = 0
        self._last_index: int | None = None
        self._crossings = {
            line.name: {"in": {}, "out": {}} for line in site.lines
        }  # line -> direction -> class name -> count
        self._occupancy: dict[str, dict[str, int]] = {zone.name: {} for zone in site.zones}
        self._bands = np.zeros((0, 2))
        self._zone_band = 0.0
        self._polygons = Polygons([])
        self._lines = _LineStates(len(site.lines))
        self._rasters: list[ZoneRaster | None] = []
        self._frame: Frame | None = None  # the frame being counted, its time and events
        self._now = 0.0
        self._events: list[Event] = []

    @property
    def tracks(self) -> int:
        """Tracks held now (seen within the lost buffer)."""
        return len(self._tracks)

    def update(self, frame: Frame, detections: sv.Detections) -> sv.Detections:
        """Count one frame; attach its :class:`AnalyticsResult` to
        ``detections.metadata["analytics"]`` and return ``detections``."""
        if detections.tracker_id is None:
            raise RtsegError("analytics needs tracked detections (tracker_id is not set)")
        site = self._site_for(frame)
        self._frame = frame
        self._now = self._time_ms(frame)
        self._events = []
        if self._last_index is not None and frame.index <= self._last_index:
            self._forget(list(self._tracks), "reset")  # the stream started again
        self._last_index = frame.index
        self._updates += 1

        xyxy = np.asarray(detections.xyxy, dtype=np.float64).reshape(-1, 4)
        crops = mask_crops(detections)
        feet = footpoints(xyxy, crops)
        ids = np.asarray(detections.tracker_id, dtype=np.int64)
        class_ids = (
            np.full(len(ids), -1, dtype=np.int64)
            if detections.class_id is None
            else np.asarray(detections.class_id, dtype=np.int64)
        )
        names = class_names(detections, self.names)
        sides = self._sides(site, feet, class_ids)
        zones = self._zone_states(site, feet, crops, class_ids)
        inside = np.zeros((len(ids), len(site.zones)), dtype=bool)
        rows = np.flatnonzero(ids >= 0)  # confirmed tracks only
        tracks = [self._seen(int(ids[row]), int(class_ids[row]), names[row]) for row in rows]
        crossed = self._cross_lines(site, tracks, feet[rows], sides[rows])
        for i, (row, track) in enumerate(zip(rows, tracks, strict=True)):
            track_id = int(ids[row])
            for line, direction in crossed.get(i, ()):
                self._count_crossing(track_id, track, line, direction)
            self._enter_leave(site, track_id, track, zones[row])
            inside[row, list(track.stays)] = True
        self._expire()
        detections.metadata[METADATA_KEY] = AnalyticsResult(
            stream=self.stream,
            frame=frame.index,
            time_ms=self._now,
            events=tuple(self._events),
            occupancy={zone: dict(counts) for zone, counts in self._occupancy.items()},
            crossings={
                line: {direction: dict(by_class) for direction, by_class in counts.items()}
                for line, counts in self._crossings.items()
            },
            footpoints=feet,
            inside={zone.name: inside[:, z] for z, zone in enumerate(site.zones)},
        )
        return detections

    def summary(self) -> list[str]:
        """One line per line and zone: crossings by direction, and occupancy now."""
        lines = [
            f"line {name}: in {sum(counts['in'].values())}, out {sum(counts['out'].values())}"
            for name, counts in self._crossings.items()
        ]
        lines += [
            f"zone {name}: {sum(counts.values())} inside now"
            for name, counts in self._occupancy.items()
        ]
        return lines

    # -- per frame -------------------------------------------------------------------------

    def _time_ms(self, frame: Frame) -> float:
        return frame.time_ms if frame.time_ms is not None else frame.index * 1000.0 / self.fps

    def _site_for(self, frame: Frame) -> Site:
        """The site in this stream's pixels (resolved at the first frame), with each line's
        band narrowed where the frame ends close to it, so a line near an edge still counts."""
        if self._resolved is None:
            height, width = frame.image.shape[:2]
            site = self.site.resolve(width, height)
            self._bands = np.array(
                [
                    np.minimum(line.band, side_reach(line.points, line.in_side, width, height) / 2)
                    for line in site.lines
                ]
            ).reshape(-1, 2)  # per line: (out-side band, in-side band)
            self._zone_band = DEFAULT_BAND * float(np.hypot(width, height))
            self._polygons = Polygons([zone.polygon for zone in site.zones])
            self._rasters = [
                ZoneRaster(zone.polygon, width, height) if zone.mode == "overlap" else None
                for zone in site.zones
            ]
            self._resolved = site
        return self._resolved

    def _sides(self, site: Site, feet: np.ndarray, class_ids: np.ndarray) -> np.ndarray:
        """(N, lines) decided side of each footpoint: +1 in, -1 out, 0 inside the band or of a
        class the line does not count."""
        sides = np.zeros((len(feet), len(site.lines)), dtype=np.int8)
        for k, line in enumerate(site.lines):
            distance = signed_distance(feet, line.points, line.in_side)
            side = np.where(distance > self._bands[k, 1], 1, 0)
            side = np.where(distance < -self._bands[k, 0], -1, side)
            sides[:, k] = np.where(class_allowed(line.classes, class_ids), side, 0)
        return sides

    def _zone_states(
        self, site: Site, feet: np.ndarray, crops: list[Crop] | None, class_ids: np.ndarray
    ) -> np.ndarray:
        """(N, zones) per detection: 1 inside, -1 clearly outside (a member leaves), 0 on the
        edge (a member stays, no one enters)."""
        inside = self._polygons.contain(feet)
        edge = inside | (self._polygons.distance(feet) <= self._zone_band)
        for z, zone in enumerate(site.zones):
            raster = self._rasters[z]
            if raster is not None and crops is not None:
                shares = np.array([raster.share(crop) for crop in crops])
                inside[:, z] = shares >= zone.min_overlap
                edge[:, z] = shares >= zone.min_overlap * OVERLAP_EXIT
        states = np.where(inside, 1, np.where(edge, 0, -1)).astype(np.int8)
        for z, zone in enumerate(site.zones):
            states[~class_allowed(zone.classes, class_ids), z] = -1
        return states

    def _seen(self, track_id: int, class_id: int, name: str) -> _Track:
        """The state of ``track_id`` (new for an unknown id), marked as seen now."""
        track = self._tracks.get(track_id)
        if track is None:
            track = _Track(class_id, name, self._updates, self._now, self._lines.take())
            self._tracks[track_id] = track
        else:
            self._tracks.move_to_end(track_id)
            track.class_id, track.class_name = class_id, name
            track.seen_update, track.seen_ms = self._updates, self._now
        return track

    def _cross_lines(
        self, site: Site, tracks: list[_Track], feet: np.ndarray, sides: np.ndarray
    ) -> dict[int, list[tuple[str, str]]]:
        """The lines each of ``tracks`` (at ``feet``, on decided ``sides``) has crossed this
        frame, by its position in ``tracks``: a change of decided side seen for
        :data:`CONFIRM_FRAMES` sightings in a row, by a move through the line's span."""
        if not tracks or not len(site.lines):
            return {}
        state = self._lines
        slots = np.fromiter((track.slot for track in tracks), dtype=np.int64, count=len(tracks))
        held, anchors = state.sides[slots], state.anchors[slots]
        pending, arrivals = state.pending[slots], state.arrivals[slots]
        at = np.broadcast_to(feet[:, None, :], anchors.shape)
        decided = sides != 0
        stay = decided & (sides == held)
        fresh = decided & (held == 0)
        moving = decided & ~stay & ~fresh
        held[fresh] = sides[fresh]
        anchors[stay | fresh] = at[stay | fresh]
        pending[stay] = 0  # back on its side: a flicker, not a crossing
        pending[moving] += 1
        first = moving & (pending == 1)
        arrivals[first] = at[first]
        crossed: dict[int, list[tuple[str, str]]] = {}
        for i, k in zip(*np.nonzero(moving & (pending >= CONFIRM_FRAMES)), strict=True):
            line = site.lines[k]
            start, end = anchors[i, k], arrivals[i, k]
            d0, d1 = signed_distance(np.stack([start, end]), line.points, line.in_side)
            if crosses_segment(start, end, line.points, float(d0), float(d1)):
                direction = "in" if sides[i, k] > 0 else "out"
                crossed.setdefault(int(i), []).append((line.name, direction))
            held[i, k], anchors[i, k], pending[i, k] = sides[i, k], feet[i], 0
        state.sides[slots], state.anchors[slots] = held, anchors
        state.pending[slots], state.arrivals[slots] = pending, arrivals
        return crossed

    def _count_crossing(self, track_id: int, track: _Track, line: str, direction: str) -> None:
        counts = self._crossings[line][direction]
        counts[track.class_name] = counts.get(track.class_name, 0) + 1
        self._emit(LINE_CROSS, track_id, track, line=line, direction=direction)

    def _enter_leave(self, site: Site, track_id: int, track: _Track, states: np.ndarray) -> None:
        """Enter the zones the track is inside, leave those it is clearly out of, and report a
        stay that has just passed its zone's ``loiter_s``."""
        for z in sorted({*np.flatnonzero(states > 0).tolist(), *track.stays}):
            zone, stay = site.zones[z], track.stays.get(z)
            if stay is None:
                if states[z] > 0:
                    track.stays[z] = _Stay(self._now, track.class_name)
                    self._occupy(zone.name, track.class_name, 1)
                    self._emit(ZONE_ENTER, track_id, track, zone=zone.name)
            elif states[z] < 0:
                self._leave(z, track_id, track, self._now, None)
            elif zone.loiter_s is not None and not stay.loitered:
                dwell = (self._now - stay.entered_ms) / 1000.0
                if dwell >= zone.loiter_s:
                    stay.loitered = True
                    self._emit(ZONE_LOITER, track_id, track, zone=zone.name, dwell_s=dwell)

    def _expire(self) -> None:
        """Forget the tracks unseen for more than the lost buffer (oldest first: O(expired))."""
        expired = []
        for track_id, track in self._tracks.items():
            if self._updates - track.seen_update <= self.lost_buffer:
                break
            expired.append(track_id)
        self._forget(expired, "lost")

    def _forget(self, track_ids: list[int], reason: str) -> None:
        """Drop ``track_ids``; each leaves its zones as of the time it was last seen."""
        for track_id in track_ids:
            track = self._tracks.pop(track_id)
            self._lines.give_back(track.slot)
            for z in list(track.stays):
                self._leave(z, track_id, track, track.seen_ms, reason)

    def _leave(
        self, z: int, track_id: int, track: _Track, left_ms: float, reason: str | None
    ) -> None:
        """The track leaves zone ``z``; its dwell runs from entering to ``left_ms``."""
        stay = track.stays.pop(z)
        zone = self.site.zones[z].name
        self._occupy(zone, stay.class_name, -1)
        dwell = max(0.0, (left_ms - stay.entered_ms) / 1000.0)
        self._emit(ZONE_EXIT, track_id, track, zone=zone, dwell_s=dwell, reason=reason)

    def _occupy(self, zone: str, class_name: str, change: int) -> None:
        counts = self._occupancy[zone]
        counts[class_name] = counts.get(class_name, 0) + change
        if not counts[class_name]:
            del counts[class_name]

    def _emit(self, kind: str, track_id: int, track: _Track, **place: str | float | None) -> None:
        self._events.append(
            Event(
                kind,
                self.stream,
                self._frame.index,
                self._now,
                track_id,
                track.class_id,
                track.class_name,
                **place,  # type: ignore[arg-type]
            )
        )
