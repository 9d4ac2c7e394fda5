"""Segmentation engine: YOLO-seg exports (ONNX, OpenVINO IR) → ``supervision.Detections`` with
masks, on onnxruntime or OpenVINO."""

from rtseg.engine.segmenter import Segmenter

__all__ = ["Segmenter"]
