"""Label text for each instance: ``#id class 0.87`` (no ``#id`` when untracked)."""

from __future__ import annotations

from collections.abc import Mapping

import supervision as sv

from rtseg.classes import class_names


def instance_labels(detections: sv.Detections, names: Mapping[int, str] | None = None) -> list[str]:
    """One label per instance from its track id, class name and confidence (2 decimals)."""
    count = len(detections)
    track_ids = [None] * count if detections.tracker_id is None else detections.tracker_id
    scores = [None] * count if detections.confidence is None else detections.confidence
    labels = []
    for track_id, name, score in zip(
        track_ids, class_names(detections, names), scores, strict=True
    ):
        parts = [] if track_id is None else [f"#{int(track_id)}"]
        parts += [name] if name else []
        parts += [] if score is None else [f"{score:.2f}"]
        labels.append(" ".join(parts))
    return labels
