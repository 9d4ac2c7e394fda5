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
from dataclasses import dataclass

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
from rtseg.analytics.geometry import Lines, Polygons, ZoneRasters, footpoints, side_reach
from rtseg.analytics.site import DEFAULT_BAND, Site, class_allowed
from rtseg.classes import class_names
from rtseg.errors import RtsegError
from rtseg.masks import column_runs
from rtseg.sources import Frame

CONFIRM_FRAMES = 2
"""Sightings in a row on the other side of a line that make a crossing: a one-frame flicker
of a mask's bottom (an occlusion, a merged box) beyond the band is not one."""

OVERLAP_EXIT = 0.75
"""An overlap-mode member leaves once its share inside falls below this much of ``min_overlap``."""


@dataclass
class _Track:
    """What analytics keeps of one confirmed track; its state towards the lines and zones is
    row ``slot`` of the :class:`_TrackStates`."""

    class_id: int
    class_name: str
    seen_update: int
    seen_ms: float
    slot: int


class _TrackStates:
    """Every held track's state towards every line and zone, one row per track (``slot``),
    so a frame's tracks are compared with all lines and zones in a few array operations."""

    def __init__(self, lines: int, zones: int) -> None:
        self.sides = np.zeros((0, lines), dtype=np.int8)  # -1 out, +1 in, 0 not yet decided
        self.anchors = np.zeros((0, lines, 2))  # the last footpoint on the decided side
        self.pending = np.zeros((0, lines), dtype=np.int64)  # sightings on the other side
        self.arrivals = np.zeros((0, lines, 2))  # the first of those footpoints
        self.inside = np.zeros((0, zones), dtype=bool)  # staying in the zone
        self.entered = np.zeros((0, zones))  # when the stay began (ms)
        self.loitered = np.zeros((0, zones), dtype=bool)  # its zone_loiter sent
        self.stay_class = np.zeros((0, zones), dtype=object)  # class name when it entered
        self._free: list[int] = []

    def take(self) -> int:
        """A cleared row for a new track."""
        fields = vars(self)
        if not self._free:
            grown = max(16, 2 * len(self.sides))
            self._free = list(range(grown - 1, len(self.sides) - 1, -1))
            for name, old in list(fields.items()):
                if isinstance(old, np.ndarray):
                    new = np.zeros((grown, *old.shape[1:]), dtype=old.dtype)
                    new[: len(old)] = old
                    setattr(self, name, new)
        slot = self._free.pop()
        for value in fields.values():
            if isinstance(value, np.ndarray):
                value[slot] = 0
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
        self._lines = Lines([])
        self._bands = np.zeros((0, 2))
        self._zone_band = 0.0
        self._polygons = Polygons([])  # every zone's
        self._footpoint_polygons = Polygons([])  # the zones judged by footpoint whatever comes
        self._overlap = np.zeros(len(site.zones), dtype=bool)  # zones judged by mask overlap
        self._rasters = ZoneRasters([], 0, 0)  # of the overlap zones
        self._min_overlap = np.array([zone.min_overlap for zone in site.zones])
        self._loiter_s = np.array(
            [np.inf if zone.loiter_s is None else zone.loiter_s for zone in site.zones]
        )
        self._counted: dict[int, np.ndarray] = {}  # class id -> which lines, zones count it
        self._states = _TrackStates(len(site.lines), len(site.zones))
        self._frame: Frame | None = None  # the frame being counted, its time and events
        self._now = 0.0
        self._events: list[Event] = []

    @property
    def tracks(self) -> int:
        """Tracks held now (seen within the lost buffer)."""
        return len(self._tracks)

    def update(self, frame: Frame, detections: sv.Detections) -> sv.Detections:
        """Count one frame; attach its :class:`AnalyticsResult` to
        ``detections.metadata["analytics"]`` and return ``detections``.

        Steps: footpoints (and overlap shares) of every detection; each one's side of every
        line and state towards every zone; the confirmed tracks' crossings, then their zone
        enters, exits and loiters, as array operations over the tracks' rows; events in
        detection order; tracks unseen past the lost buffer leave their zones."""
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
        runs = None if detections.mask is None else column_runs(detections.mask, xyxy)
        feet = footpoints(xyxy, runs)
        ids = np.asarray(detections.tracker_id, dtype=np.int64)
        class_ids = (
            np.full(len(ids), -1, dtype=np.int64)
            if detections.class_id is None
            else np.asarray(detections.class_id, dtype=np.int64)
        )
        shares = None
        if runs is not None and self._overlap.any():  # of confirmed tracks' masks only
            shares = np.zeros((len(ids), len(site.zones)))
            shares[:, self._overlap] = self._rasters.shares(runs, ids >= 0)
        names = class_names(detections, self.names)
        rows = np.flatnonzero(ids >= 0)  # confirmed tracks only
        tracks = [self._seen(int(ids[row]), int(class_ids[row]), names[row]) for row in rows]
        slots = np.fromiter((track.slot for track in tracks), dtype=np.int64, count=len(tracks))
        counted = self._counted_by(class_ids[rows])
        sides = self._sides(feet[rows], counted[:, : len(site.lines)])
        crossed = self._cross_lines(slots, feet[rows], sides)
        zones = self._zone_states(
            feet[rows],
            None if shares is None else shares[rows],
            counted[:, len(site.lines) :],
            self._states.inside[slots],
        )
        entering, leaving, loitering, entered = self._enter_leave(slots, zones)
        changed = crossed.any(axis=1) | entering.any(axis=1) | leaving.any(axis=1)
        for i in np.flatnonzero(changed | loitering.any(axis=1)):
            track_id, track = int(ids[rows[i]]), tracks[i]
            for k in np.flatnonzero(crossed[i]):
                self._count_crossing(track_id, track, k, "in" if crossed[i, k] > 0 else "out")
            for z in np.flatnonzero(entering[i] | leaving[i] | loitering[i]):
                if entering[i, z]:
                    self._enter(z, track_id, track)
                elif leaving[i, z]:
                    self._leave(z, track_id, track, entered[i, z], self._now, None)
                else:
                    self._loiter(z, track_id, track, entered[i, z])
        inside = np.zeros((len(ids), len(site.zones)), dtype=bool)
        inside[rows] = self._states.inside[slots]
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
            self._lines = Lines([(line.points, line.in_side) for line in site.lines])
            self._bands = np.array(
                [
                    np.minimum(line.band, side_reach(line.points, line.in_side, width, height) / 2)
                    for line in site.lines
                ]
            ).reshape(-1, 2)  # per line: (out-side band, in-side band)
            self._zone_band = DEFAULT_BAND * float(np.hypot(width, height))
            self._polygons = Polygons([zone.polygon for zone in site.zones])
            self._overlap = np.array([zone.mode == "overlap" for zone in site.zones], dtype=bool)
            self._footpoint_polygons = Polygons(
                [zone.polygon for zone in site.zones if zone.mode != "overlap"]
            )
            self._rasters = ZoneRasters(
                [zone.polygon for zone in site.zones if zone.mode == "overlap"], width, height
            )
            self._resolved = site
        return self._resolved

    def _counted_by(self, class_ids: np.ndarray) -> np.ndarray:
        """(N, lines + zones) bool: whether each line and zone counts each detection's class."""
        site = self.site
        for class_id in set(class_ids.tolist()) - self._counted.keys():
            self._counted[class_id] = np.array(
                [class_allowed(part.classes, [class_id])[0] for part in (*site.lines, *site.zones)],
                dtype=bool,
            )
        width = len(site.lines) + len(site.zones)
        return np.array([self._counted[c] for c in class_ids.tolist()], dtype=bool).reshape(
            -1, width
        )

    def _sides(self, feet: np.ndarray, counted: np.ndarray) -> np.ndarray:
        """(N, lines) decided side of each footpoint: +1 in, -1 out, 0 inside the band or of a
        class the line does not count."""
        distance = self._lines.distance(feet)
        sides = np.where(distance > self._bands[:, 1], 1, 0)
        sides = np.where(distance < -self._bands[:, 0], -1, sides)
        return np.where(counted, sides, 0).astype(np.int8)

    def _zone_states(
        self, feet: np.ndarray, shares: np.ndarray | None, counted: np.ndarray, member: np.ndarray
    ) -> np.ndarray:
        """(tracks, zones): 1 inside, -1 clearly outside, 0 on the edge (a ``member`` stays,
        no one enters). The edge is measured only where it decides: members not inside."""
        if shares is None:  # no masks: every zone by footpoint
            inside = self._polygons.contain(feet)
        else:
            inside = shares >= self._min_overlap
            inside[:, ~self._overlap] = self._footpoint_polygons.contain(feet)
        inside &= counted
        states = np.where(inside, 1, -1).astype(np.int8)
        tracks, zones = np.nonzero(member & ~inside)
        if len(tracks):
            distance = self._polygons.distance(feet[tracks])[np.arange(len(tracks)), zones]
            near = distance <= self._zone_band
            if shares is not None:
                overlap = self._overlap[zones]
                exit_share = self._min_overlap[zones[overlap]] * OVERLAP_EXIT
                near[overlap] = shares[tracks[overlap], zones[overlap]] >= exit_share
            near &= counted[tracks, zones]
            states[tracks[near], zones[near]] = 0
        return states

    def _seen(self, track_id: int, class_id: int, name: str) -> _Track:
        """The state of ``track_id`` (new for an unknown id), marked as seen now."""
        track = self._tracks.get(track_id)
        if track is None:
            track = _Track(class_id, name, self._updates, self._now, self._states.take())
            self._tracks[track_id] = track
        else:
            self._tracks.move_to_end(track_id)
            track.class_id, track.class_name = class_id, name
            track.seen_update, track.seen_ms = self._updates, self._now
        return track

    def _cross_lines(self, slots: np.ndarray, feet: np.ndarray, sides: np.ndarray) -> np.ndarray:
        """(tracks, lines): +1 where a track crossed a line "in" this frame, -1 "out": a change
        of decided side seen for :data:`CONFIRM_FRAMES` sightings in a row, by a move through
        the line's span. Updates the tracks' line state."""
        state = self._states
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
        crossed = np.zeros(sides.shape, dtype=np.int8)
        done = moving & (pending >= CONFIRM_FRAMES)
        if done.any():
            tracks, lines = np.nonzero(done)
            through = self._lines.passed_between_ends(
                anchors[tracks, lines], arrivals[tracks, lines], lines
            )
            crossed[tracks[through], lines[through]] = sides[tracks[through], lines[through]]
            held[done], anchors[done], pending[done] = sides[done], at[done], 0
        state.sides[slots], state.anchors[slots] = held, anchors
        state.pending[slots], state.arrivals[slots] = pending, arrivals
        return crossed

    def _enter_leave(
        self, slots: np.ndarray, states: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(tracks, zones) each: entering the zones they are inside, leaving those they are
        clearly out of, staying past the zone's ``loiter_s`` for the first time, and when the
        stays began. Updates the tracks' zone state."""
        state = self._states
        member, entered = state.inside[slots], state.entered[slots]
        entering = ~member & (states > 0)
        leaving = member & (states < 0)
        loitering = (
            member
            & ~leaving
            & ~state.loitered[slots]
            & ((self._now - entered) / 1000.0 >= self._loiter_s)
        )
        if entering.any() or leaving.any() or loitering.any():
            state.inside[slots] = (member | entering) & ~leaving
            state.entered[slots] = np.where(entering, self._now, entered)
            state.loitered[slots] = (state.loitered[slots] | loitering) & ~entering
        return entering, leaving, loitering, entered

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
        state = self._states
        for track_id in track_ids:
            track = self._tracks.pop(track_id)
            for z in np.flatnonzero(state.inside[track.slot]):
                entered = state.entered[track.slot, z]
                self._leave(z, track_id, track, entered, track.seen_ms, reason)
            state.give_back(track.slot)

    def _count_crossing(self, track_id: int, track: _Track, k: int, direction: str) -> None:
        line = self.site.lines[k].name
        counts = self._crossings[line][direction]
        counts[track.class_name] = counts.get(track.class_name, 0) + 1
        self._emit(LINE_CROSS, track_id, track, line=line, direction=direction)

    def _enter(self, z: int, track_id: int, track: _Track) -> None:
        self._states.stay_class[track.slot, z] = track.class_name
        self._occupy(z, track.class_name, 1)
        self._emit(ZONE_ENTER, track_id, track, zone=self.site.zones[z].name)

    def _loiter(self, z: int, track_id: int, track: _Track, entered_ms: float) -> None:
        dwell = float(self._now - entered_ms) / 1000.0
        self._emit(ZONE_LOITER, track_id, track, zone=self.site.zones[z].name, dwell_s=dwell)

    def _leave(
        self,
        z: int,
        track_id: int,
        track: _Track,
        entered_ms: float,
        left_ms: float,
        reason: str | None,
    ) -> None:
        """The track leaves zone ``z`` (its state already says so, or it is forgotten); its
        dwell runs from ``entered_ms`` to ``left_ms``."""
        self._occupy(z, self._states.stay_class[track.slot, z], -1)
        dwell = max(0.0, float(left_ms - entered_ms) / 1000.0)
        zone = self.site.zones[z].name
        self._emit(ZONE_EXIT, track_id, track, zone=zone, dwell_s=dwell, reason=reason)

    def _occupy(self, z: int, class_name: str, change: int) -> None:
        counts = self._occupancy[self.site.zones[z].name]
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
