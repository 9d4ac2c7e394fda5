"""Make the Ultralytics parity goldens used by tests/engine/test_parity.py.

For each shared YOLO-seg ONNX model, runs Ultralytics' own
``predict(imgsz=320, conf=0.25, iou=0.7, retina_masks=True)`` on every ../shared/media still
and every cv2-decoded frame of the highway clip, and writes the detections (class, confidence,
xyxy box in frame pixels, mask as COCO compressed RLE at frame resolution) to
``tests/engine/golden/<model-stem>.json.gz``. Ultralytics is never a project or test
dependency: run this only in a throwaway venv outside the repo::

    python3 -m venv /tmp/ulvenv
    /tmp/ulvenv/bin/pip install torch==2.13.0   # the CPU wheel; install it first
    /tmp/ulvenv/bin/pip install torch==2.13.0 ultralytics onnx onnxruntime pycocotools \
        opencv-python
    mkdir -p /tmp/ulcfg/Ultralytics
    cp /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /tmp/ulcfg/Ultralytics/Arial.ttf
    YOLO_OFFLINE=1 YOLO_CONFIG_DIR=/tmp/ulcfg /tmp/ulvenv/bin/python scripts/make_golden.py

``onnx`` and ``onnxruntime`` are preinstalled so Ultralytics never tries to pip-install them;
YOLO_OFFLINE and the font in YOLO_CONFIG_DIR keep it from downloading anything.

The torchvision wheel that PyPI pairs with torch 2.13.0 is a CUDA build whose C++ ops do not
load against the CPU torch, so ``import torchvision`` fails. Ultralytics imports it only in its
predictor warm-up, which for ONNX on CPU runs no forward pass; this script skips that warm-up,
so Ultralytics uses its built-in NMS (documented to match torchvision's exactly).

Each source also records a digest of the exact BGR array Ultralytics was given, so the test
can tell when its own cv2 decode of the clip differs from the one used here.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnxruntime
import pycocotools
import torch
import ultralytics
from pycocotools import mask as mask_utils
from ultralytics import YOLO

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MODELS = ("yolov8n-seg-fp32-320.onnx", "yolov8n-seg-int8-320.onnx")
STILLS = (
    "highway_normal_1.png",
    "highway_normal_2.png",
    "highway_rain_1.png",
    "highway_snow.png",
    "urban_waymo_1920x1280.jpg",
)
CLIP = "highway-dashcam-960x540.mp4"
PREDICT_ARGS: dict[str, Any] = {"imgsz": 320, "conf": 0.25, "iou": 0.7, "retina_masks": True}


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, so a golden names the exact model and media it came from."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def frame_digest(frame: np.ndarray) -> str:
    """Short SHA-1 of a decoded BGR frame's pixels (same definition as in the parity test)."""
    return hashlib.sha1(np.ascontiguousarray(frame).tobytes()).hexdigest()[:16]


def iter_sources(media: Path) -> Iterator[tuple[str, np.ndarray]]:
    """Yield (source name, BGR frame): the stills, then every clip frame as ``<clip>#NNN``."""
    for name in STILLS:
        frame = cv2.imread(str(media / name), cv2.IMREAD_COLOR)
        if frame is None:
            raise FileNotFoundError(media / name)
        yield name, frame
    cap = cv2.VideoCapture(str(media / CLIP))
    if not cap.isOpened():
        raise FileNotFoundError(media / CLIP)
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        yield f"{CLIP}#{index:03d}", frame
        index += 1
    cap.release()


def encode_mask(mask: np.ndarray) -> str:
    """COCO compressed RLE counts of a 2-D 0/1 mask, as text."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return rle["counts"].decode("ascii")


def detections_record(result: Any, frame: np.ndarray) -> dict[str, Any]:
    """Columnar record of one Ultralytics result, rounded to keep the golden small."""
    height, width = frame.shape[:2]
    record: dict[str, Any] = {
        "width": width,
        "height": height,
        "digest": frame_digest(frame),
        "class_id": [],
        "confidence": [],
        "xyxy": [],
        "masks": [],
    }
    if len(result.boxes) == 0:
        return record
    masks = result.masks.data.cpu().numpy()
    if masks.shape[1:] != (height, width):
        raise RuntimeError(f"mask shape {masks.shape[1:]} is not the frame's {(height, width)}")
    record["class_id"] = [int(c) for c in result.boxes.cls.tolist()]
    record["confidence"] = [round(float(c), 4) for c in result.boxes.conf.tolist()]
    record["xyxy"] = [[round(float(v), 2) for v in box] for box in result.boxes.xyxy.tolist()]
    record["masks"] = [encode_mask(m) for m in masks]
    return record


def make_golden(model_path: Path, media: Path) -> dict[str, Any]:
    """Run Ultralytics on every source with one model and return the golden document."""
    model = YOLO(str(model_path), task="segment")
    model.add_callback(
        "on_predict_start", lambda predictor: setattr(predictor, "done_warmup", True)
    )
    sources: dict[str, Any] = {}
    for name, frame in iter_sources(media):
        result = model.predict(frame, verbose=False, **PREDICT_ARGS)[0]
        sources[name] = detections_record(result, frame)
    if "torchvision" in sys.modules:
        raise RuntimeError("torchvision was imported; NMS provenance would differ from the header")
    clip_frames = sum(name.startswith(f"{CLIP}#") for name in sources)
    return {
        "header": {
            "ultralytics": ultralytics.__version__,
            "torch": torch.__version__,
            "onnxruntime": onnxruntime.__version__,
            "opencv": cv2.__version__,
            "numpy": np.__version__,
            "pycocotools": getattr(pycocotools, "__version__", "unknown"),
            "nms": "ultralytics built-in (torchvision not imported)",
            "predict": {"task": "segment", **PREDICT_ARGS},
            "model": {"name": model_path.name, "sha256": file_sha256(model_path)},
            "class_names": {int(k): v for k, v in model.names.items()},
            "media": {name: {"sha256": file_sha256(media / name)} for name in (*STILLS, CLIP)},
            "clip": {"name": CLIP, "decoder": "cv2.VideoCapture", "frames": clip_frames},
            "mask_encoding": "COCO compressed RLE (pycocotools), Fortran order, frame size",
        },
        "sources": sources,
    }


def main() -> None:
    """Write one gzip-compressed JSON golden per shared model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="the ../shared folder")
    parser.add_argument(
        "--out", type=Path, default=REPO / "tests" / "engine" / "golden", help="output folder"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for model_name in MODELS:
        golden = make_golden(args.shared / "models" / model_name, args.shared / "media")
        target = args.out / f"{Path(model_name).stem}.json.gz"
        payload = json.dumps(golden, separators=(",", ":")).encode()
        with gzip.GzipFile(target, "wb", mtime=0) as fh:
            fh.write(payload)
        count = sum(len(s["class_id"]) for s in golden["sources"].values())
        print(f"{target}: {len(golden['sources'])} sources, {count} detections")


if __name__ == "__main__":
    main()
