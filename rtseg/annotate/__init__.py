"""Drawing detections: translucent masks, boxes, labels, traces, a status panel, and a site's
zones and lines with their counts."""

from rtseg.annotate.annotator import FrameAnnotator, color_indices
from rtseg.annotate.labels import instance_labels
from rtseg.annotate.status import draw_status
from rtseg.annotate.zones import ZoneLineAnnotator

__all__ = [
    "FrameAnnotator",
    "ZoneLineAnnotator",
    "color_indices",
    "draw_status",
    "instance_labels",
]
