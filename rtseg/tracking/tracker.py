"""ByteTrack-style multi-object tracker that keeps instance IDs stable across frames."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import supervision as sv

from rtseg.errors import RtsegError
from rtseg.tracking import kalman
from rtseg.tracking.assignment import linear_assignment
from rtseg.tracking.costs import (
    MaskCrop,
    aspect_gate,
    blend_mask_similarity,
    box_iou,
    class_gate,
    fuse_score,
    mask_crops,
    mask_iou,
)
from rtseg.tracking.tracks import TrackState, TrackTable

DETECTION_INDEX = "detection_index"
"""Key of ``tracked.data`` holding, per output row, the row of the input detections it came from."""

LOW_THRESH = 0.1
"""A run's low threshold (ByteTrack's, Ultralytics' ``track_low_thresh``): the weakest detection
its tracker takes, to carry on a track it overlaps (README, *Tracking*)."""

NEW_TRACK_THRESH = 0.6
"""The weakest detection that starts a track in a run, unless its ``--conf`` is higher
(ByteTrack's): lower ones start duplicate tracks on the partial boxes a detector adds inside an
object (measured in README, *Tracking*)."""


def detection_floor(conf: float) -> float:
    """The weakest detection a tracked run at confidence ``conf`` keeps: its low threshold."""
    return min(conf, LOW_THRESH)


class Tracker:
    """Link detections across frames and give each object a stable ``tracker_id``.

    Each frame: Kalman-predict every track; match high-confidence detections to confirmed
    (tracked and lost) tracks; match low-confidence detections, by IoU alone, to the confirmed
    tracks still unmatched, so a partly hidden object keeps or resumes its track (ByteTrack
    offers them only to tracks seen last frame); match tentative tracks to what high detections
    remain; start tentative tracks from the rest. A tentative track is confirmed (and
    gets the next id of *this* tracker) after ``min_hits`` consecutive matches, except the very
    first tracks of a stream, which are confirmed at once. A confirmed track that goes
    unmatched is lost and is removed after ``track_buffer`` frames at 30 fps, scaled to
    ``frame_rate``. Assignment is optimal (Jonker-Volgenant) with cost ``1 - IoU`` (IoU times
    detection confidence for high-confidence detections, as in ByteTrack), plus
    ``lost_penalty`` for tracks not matched last frame; pairs whose box aspect ratios differ by
    more than ``max_aspect_change`` are never matched.

    Args:
        frame_rate: Stream frame rate, used to size the lost-track buffer.
        high_thresh: Detections at or above this confidence take part in the first association.
        low_thresh: Detections below this confidence are ignored; those in
            ``[low_thresh, high_thresh)`` only extend existing tracks.
        new_track_thresh: Minimum confidence to start a track (default ``high_thresh + 0.1``).
        match_thresh: Largest cost ``1 - similarity`` accepted in the first association.
        low_match_thresh: Largest cost ``1 - IoU`` accepted for low-confidence detections.
        tentative_match_thresh: Largest cost accepted when matching tentative tracks.
        min_hits: Consecutive matches that confirm a track.
        track_buffer: Frames (at 30 fps) a lost track is kept for re-identification.
        fuse_score: Multiply IoU by detection confidence in the high-confidence associations.
        use_mask_iou: When detections carry masks, average box IoU with mask IoU (masks are
            compared only where their boxes overlap).
        class_gate: Never match a track to a detection of another class.
        max_aspect_change: Never match a track to a detection whose box aspect ratio
            (width / height) differs from the track's predicted box by more than this factor
            (``None``: no gate). Size may change freely; a box turning from tall to wide is not
            the same object moving, whatever the class labels say (detectors flip labels, so
            ``class_gate`` is off by default, but shapes do not flip). 3 leaves room for a box
            cut in half by occlusion (2x) and for jitter.
        lost_penalty: Cost added to every pair of a lost track (one not matched last frame):
            on a near tie, a track seen last frame keeps its detection (a soft form of DeepSORT's
            matching cascade; 0 gives plain ByteTrack association). It is the same however long
            the track has been lost, so two tracks over one object (one hidden behind the other,
            or a false-positive track drifting onto a real one) do not trade the detection back
            and forth as each goes unmatched for a frame.
    """

    def __init__(
        self,
        frame_rate: float = 30,
        *,
        high_thresh: float = 0.5,
        low_thresh: float = LOW_THRESH,
        new_track_thresh: float | None = None,
        match_thresh: float = 0.8,
        low_match_thresh: float = 0.5,
        tentative_match_thresh: float = 0.7,
        min_hits: int = 2,
        track_buffer: int = 30,
        fuse_score: bool = True,
        use_mask_iou: bool = False,
        class_gate: bool = False,
        max_aspect_change: float | None = 3.0,
        lost_penalty: float = 0.05,
    ) -> None:
        if not frame_rate > 0:
            raise RtsegError(f"tracker frame_rate must be > 0, got {frame_rate}")
        if max_aspect_change is not None and not max_aspect_change > 1:
            raise RtsegError(
                f"tracker max_aspect_change must be > 1 or None, got {max_aspect_change}"
            )
        if min_hits < 1 or track_buffer < 0:
            raise RtsegError(
                f"tracker needs min_hits >= 1 and track_buffer >= 0, got {min_hits}, {track_buffer}"
            )
        self.high_thresh = high_thresh
        self.low_thresh = low_thresh
        self.new_track_thresh = high_thresh + 0.1 if new_track_thresh is None else new_track_thresh
        self.match_thresh = match_thresh
        self.low_match_thresh = low_match_thresh
        self.tentative_match_thresh = tentative_match_thresh
        self.min_hits = min_hits
        self.max_missed = round(track_buffer * frame_rate / 30.0)
        self.fuse_score = fuse_score
        self.use_mask_iou = use_mask_iou
        self.class_gate = class_gate
        self.max_aspect_change = max_aspect_change
        self.lost_penalty = lost_penalty
        self.reset()

    @classmethod
    def for_conf(cls, conf: float, frame_rate: float = 30) -> Tracker:
        """The tracker of a run at confidence ``conf`` (``rtseg run --conf``), fed detections
        down to ``detection_floor``: those at or above ``conf`` keep tracks (the first
        association) and, from :data:`NEW_TRACK_THRESH` or ``conf`` up, start them; weaker ones
        only carry on tracks they overlap (the second)."""
        return cls(
            frame_rate,
            high_thresh=conf,
            low_thresh=detection_floor(conf),
            new_track_thresh=max(conf, NEW_TRACK_THRESH),
        )

    def reset(self) -> None:
        """Forget every track and restart ids at 1 (for a new, unrelated stream)."""
        self._tracks = TrackTable()
        self._next_id = 1

    def update(self, detections: sv.Detections, frames_skipped: int = 0) -> sv.Detections:
        """Track one frame's ``detections``; return the tracked ones with ``tracker_id`` set.

        The output holds the rows of ``detections`` matched to a confirmed track this frame, in
        input order, with every input field kept; ``output.data["detection_index"]`` gives each
        row's index in ``detections``. ``frames_skipped`` is the number of frames lost since the
        previous call (e.g. a camera reconnect): tracks are predicted across the gap, but the
        skipped frames do not count against ``track_buffer``, so a gap alone never removes a track.
        """
        if frames_skipped < 0:
            raise RtsegError(f"frames_skipped must be >= 0, got {frames_skipped}")
        frame = _FrameDetections.from_detections(detections, self.use_mask_iou)

        # 1. Predict every track forward to this frame.
        self._predict(1 + frames_skipped)
        predicted = _Predicted(
            kalman.cxcywh_to_xyxy(self._tracks.mean[:, :4]),
            self._predicted_masks() if frame.masks is not None else None,
        )

        # 2. Split detections by confidence.
        high = np.nonzero(frame.scores >= self.high_thresh)[0]
        low = np.nonzero((frame.scores >= self.low_thresh) & (frame.scores < self.high_thresh))[0]
        state = self._tracks.state

        # 3. First association: high-confidence detections with confirmed (tracked + lost) tracks.
        confirmed = np.nonzero(state != TrackState.TENTATIVE)[0]
        first, tracks_left, high_left = self._associate(
            predicted, frame, confirmed, high, self.match_thresh, self.fuse_score
        )

        # 4. Second association: low-confidence detections with the confirmed tracks left over, by
        #    IoU alone (a partly hidden object keeps or resumes its track).
        second, _, _ = self._associate(
            predicted, frame, tracks_left, low, self.low_match_thresh, False
        )

        # 5. Tentative tracks take what is left of the high-confidence detections.
        tentative = np.nonzero(state == TrackState.TENTATIVE)[0]
        third, _, high_left = self._associate(
            predicted, frame, tentative, high_left, self.tentative_match_thresh, self.fuse_score
        )

        matches = np.concatenate([first, second, third])
        self._apply_matches(matches, frame)

        # 6. Unmatched tracks: confirmed ones are lost, tentative ones dropped.
        matched = np.zeros(len(self._tracks), dtype=bool)
        matched[matches[:, 0]] = True
        self._handle_unmatched(matched)

        # 7. Start tracks from unmatched, confident detections.
        new = high_left[frame.scores[high_left] >= self.new_track_thresh]
        self._start_tracks(new, frame)

        # 8. Output rows: detections that fed a confirmed track this frame, in input order.
        new_rows = len(self._tracks) - len(new) + np.arange(len(new))
        out_tracks = np.concatenate([matches[:, 0], new_rows])
        out_dets = np.concatenate([matches[:, 1], new])
        confirmed_now = self._tracks.state[out_tracks] == TrackState.TRACKED
        out_tracks, out_dets = out_tracks[confirmed_now], out_dets[confirmed_now]
        order = np.argsort(out_dets, kind="stable")
        out_ids = self._tracks.ids[out_tracks[order]]

        # 9. Remove tentative tracks that missed and lost tracks past the buffer.
        self._remove_expired()
        return _build_output(detections, out_dets[order], out_ids)

    def _predict(self, steps: int) -> None:
        """Kalman-predict every track ``steps`` frames ahead; lost tracks stop changing size."""
        tracks = self._tracks
        if not len(tracks):
            return
        lost = tracks.state == TrackState.LOST
        tracks.mean[lost, 6:] = 0.0
        tracks.mean, tracks.cov = kalman.predict(tracks.mean, tracks.cov, steps)

    def _predicted_masks(self) -> list[MaskCrop | None]:
        """Each track's last mask, moved to follow its predicted box centre."""
        centres = self._tracks.mean[:, :2]
        corners = np.rint(centres + self._tracks.mask_offset).astype(int)
        return [
            None if crop is None else crop.moved_to(int(x), int(y))
            for crop, (x, y) in zip(self._tracks.masks, corners, strict=True)
        ]

    def _associate(
        self,
        predicted: _Predicted,
        frame: _FrameDetections,
        tracks: np.ndarray,
        dets: np.ndarray,
        limit: float,
        fuse: bool,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Optimally match track rows ``tracks`` to detection rows ``dets`` at cost <= ``limit``.

        Returns the matched (track row, detection row) pairs and the unmatched rows of each.
        """
        sim = box_iou(predicted.xyxy[tracks], frame.xyxy[dets])
        if predicted.masks is not None and sim.size:
            # Only masks taken last frame are compared: an older mask shows an outdated shape.
            fresh = self._tracks.missed[tracks] == 0
            crops = mask_iou(
                [predicted.masks[i] for i in tracks],
                [frame.masks[j] for j in dets],
                (sim > 0) & fresh[:, None],
            )
            sim = blend_mask_similarity(sim, crops)
        if fuse:
            sim = fuse_score(sim, frame.scores[dets])
        lost = self._tracks.missed[tracks] > 0
        cost = 1.0 - sim + np.where(lost, self.lost_penalty, 0.0)[:, None]
        if self.max_aspect_change is not None:
            cost = aspect_gate(
                cost, predicted.xyxy[tracks], frame.xyxy[dets], self.max_aspect_change
            )
        if self.class_gate:
            cost = class_gate(cost, self._tracks.class_id[tracks], frame.classes[dets])
        result = linear_assignment(cost, limit)
        pairs = np.stack([tracks[result.matches[:, 0]], dets[result.matches[:, 1]]], axis=1)
        return pairs, tracks[result.unmatched_rows], dets[result.unmatched_cols]

    def _apply_matches(self, matches: np.ndarray, frame: _FrameDetections) -> None:
        """Correct matched tracks with their detections and advance their life cycle."""
        tracks = self._tracks
        rows, dets = matches[:, 0], matches[:, 1]
        if len(rows):
            tracks.mean[rows], tracks.cov[rows] = kalman.update(
                tracks.mean[rows], tracks.cov[rows], kalman.xyxy_to_cxcywh(frame.xyxy[dets])
            )
        tracks.hits[rows] += 1
        tracks.missed[rows] = 0
        tracks.class_id[rows] = frame.classes[dets]
        refound = rows[tracks.state[rows] == TrackState.LOST]
        tracks.state[refound] = TrackState.TRACKED
        promote = rows[
            (tracks.state[rows] == TrackState.TENTATIVE) & (tracks.hits[rows] >= self.min_hits)
        ]
        self._confirm(promote)
        if frame.masks is not None:
            self._store_masks(rows, dets, frame)

    def _handle_unmatched(self, matched: np.ndarray) -> None:
        """Mark unmatched confirmed tracks lost and count the miss; flag tentative ones dead."""
        tracks = self._tracks
        unmatched = ~matched
        tracks.missed[unmatched] += 1
        tracks.state[unmatched & (tracks.state == TrackState.TRACKED)] = TrackState.LOST

    def _start_tracks(self, dets: np.ndarray, frame: _FrameDetections) -> None:
        """Append one tentative track per detection index in ``dets``."""
        mean, cov = kalman.initiate(kalman.xyxy_to_cxcywh(frame.xyxy[dets]))
        n = len(dets)
        start = len(self._tracks)
        self._tracks.extend(
            TrackTable(
                ids=np.full(n, -1, dtype=np.int64),
                state=np.full(n, TrackState.TENTATIVE, dtype=np.int8),
                mean=mean,
                cov=cov,
                hits=np.ones(n, dtype=np.int64),
                missed=np.zeros(n, dtype=np.int64),
                class_id=frame.classes[dets],
                mask_offset=np.zeros((n, 2)),
                masks=[None] * n,
            )
        )
        rows = start + np.arange(n)
        # The stream's first tracks (nothing to confuse them with yet) are confirmed at once.
        if (start == 0 and self._next_id == 1) or self.min_hits <= 1:
            self._confirm(rows)
        if frame.masks is not None:
            self._store_masks(rows, dets, frame)

    def _confirm(self, rows: np.ndarray) -> None:
        """Confirm tracks ``rows`` and give them the next ids, in row order."""
        self._tracks.state[rows] = TrackState.TRACKED
        self._tracks.ids[rows] = self._next_id + np.arange(len(rows))
        self._next_id += len(rows)

    def _store_masks(self, rows: np.ndarray, dets: np.ndarray, frame: _FrameDetections) -> None:
        """Remember each matched detection's mask crop and where it sits relative to the box."""
        centres = kalman.xyxy_to_cxcywh(frame.xyxy[dets])[:, :2]
        for row, det, centre in zip(rows, dets, centres, strict=True):
            crop = frame.masks[det]
            self._tracks.masks[row] = crop
            self._tracks.mask_offset[row] = (crop.x - centre[0], crop.y - centre[1])

    def _remove_expired(self) -> None:
        """Drop tentative tracks that missed a frame and lost tracks older than the buffer."""
        tracks = self._tracks
        dead_tentative = (tracks.state == TrackState.TENTATIVE) & (tracks.missed > 0)
        expired = (tracks.state == TrackState.LOST) & (tracks.missed > self.max_missed)
        tracks.keep(~(dead_tentative | expired))


class _Predicted(NamedTuple):
    """Every track's predicted box (xyxy) and, when masks are in use, its mask moved along."""

    xyxy: np.ndarray
    masks: list[MaskCrop | None] | None


class _FrameDetections:
    """The arrays of one frame's detections the tracker needs, with defaults filled in."""

    __slots__ = ("classes", "masks", "scores", "xyxy")

    def __init__(self, xyxy, scores, classes, masks) -> None:
        self.xyxy = xyxy
        self.scores = scores
        self.classes = classes
        self.masks = masks

    @classmethod
    def from_detections(cls, detections: sv.Detections, use_masks: bool) -> _FrameDetections:
        n = len(detections)
        xyxy = np.asarray(detections.xyxy, dtype=np.float64).reshape(n, 4)
        scores = (
            np.ones(n)
            if detections.confidence is None
            else np.asarray(detections.confidence, dtype=np.float64)
        )
        classes = (
            np.full(n, -1, dtype=np.int64)
            if detections.class_id is None
            else np.asarray(detections.class_id, dtype=np.int64)
        )
        masks = None
        if use_masks and detections.mask is not None:
            masks = mask_crops(detections.mask, xyxy)
        return cls(xyxy, scores, classes, masks)


def _build_output(detections: sv.Detections, rows: np.ndarray, ids: np.ndarray) -> sv.Detections:
    """Index ``detections`` by ``rows`` and attach tracker ids and the source row indices."""
    tracked = detections[rows]
    tracked.tracker_id = ids.astype(int)
    tracked.data[DETECTION_INDEX] = rows.astype(int)
    return tracked
