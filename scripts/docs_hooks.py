"""MkDocs hook (mkdocs.yml ``hooks:``): the docs' front-page picture, made at build time.

The picture is rtseg's own output: one frame of the shared highway clip, segmented, tracked and
annotated by rtseg. The clip is a third-party file, so neither it nor anything made from it is
committed; the picture exists only in the built site (``assets/output.jpg``). The clip and the
model come from ``../shared`` beside the checkout, or from ``RTSEG_DOCS_CLIP`` and
``RTSEG_DOCS_MODEL``. Without them the build warns (``mkdocs build --strict`` then fails on the
missing picture); ``mkdocs serve`` shows the pages without it.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

PICTURE = "assets/output.jpg"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CLIP = SHARED / "media" / "highway-dashcam-960x540.mp4"
MODEL = SHARED / "models" / "yolov8n-seg-fp32-320.onnx"
FRAME = 140  # all three near cars in view, each with its track id (docs: How it works → Tracker)
JPEG_QUALITY = 85
CONF = 0.25  # rtseg run's default --conf

log = logging.getLogger("mkdocs.hooks.rtseg")


@cache
def output_picture(clip: Path, model: Path, frame_index: int = FRAME) -> bytes:
    """JPEG of frame ``frame_index`` of ``clip`` as ``rtseg run --output`` draws it: the clip
    tracked from its first frame, so the labels carry the ids a run gives them."""
    import cv2

    from rtseg import Segmenter, Tracker
    from rtseg.annotate import FrameAnnotator
    from rtseg.sources import open_source
    from rtseg.tracking import detection_floor

    segmenter = Segmenter(model, device="cpu", conf=detection_floor(CONF))
    annotator = FrameAnnotator(segmenter.names)
    with open_source(clip) as source:
        tracker = Tracker.for_conf(CONF, frame_rate=source.fps or 30)
        for frame in source:
            tracked = tracker.update(segmenter(frame.image))
            if frame.index == frame_index:
                picture = annotator.annotate(frame.image.copy(), tracked)
                ok, jpeg = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                assert ok
                return jpeg.tobytes()
    raise ValueError(f"{clip} has no frame {frame_index}")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    clip = Path(os.environ.get("RTSEG_DOCS_CLIP", CLIP))
    model = Path(os.environ.get("RTSEG_DOCS_MODEL", MODEL))
    missing = [str(path) for path in (clip, model) if not path.exists()]
    if missing:
        log.warning("front-page picture not made: %s missing (../shared)", ", ".join(missing))
        return files
    files.append(File.generated(config, PICTURE, content=output_picture(clip, model)))
    return files
