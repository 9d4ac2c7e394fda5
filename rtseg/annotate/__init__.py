"""Drawing detections: translucent masks, boxes, labels, traces and a status panel."""

from rtseg.annotate.annotator import FrameAnnotator, color_indices
from rtseg.annotate.labels import instance_labels
from rtseg.annotate.status import draw_status

__all__ = ["FrameAnnotator", "color_indices", "draw_status", "instance_labels"]
