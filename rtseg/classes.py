"""Class names of detections, as every output and the analytics read them."""

from __future__ import annotations

from collections.abc import Mapping

import supervision as sv

CLASS_NAME = "class_name"  # supervision's data key for a detection's class name


def class_names(detections: sv.Detections, names: Mapping[int, str] | None = None) -> list[str]:
    """Each instance's class name: ``data["class_name"]``, else ``names``, else the class id."""
    if CLASS_NAME in detections.data:
        return [str(name) for name in detections.data[CLASS_NAME]]
    if detections.class_id is None:
        return [""] * len(detections)
    lookup = names or {}
    return [lookup.get(int(class_id), str(int(class_id))) for class_id in detections.class_id]
