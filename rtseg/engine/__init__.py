"""Segmentation engine: ONNX YOLO-seg exports → ``supervision.Detections`` with masks."""

from rtseg.engine.segmenter import Segmenter

__all__ = ["Segmenter"]
