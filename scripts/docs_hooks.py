"""MkDocs hook (mkdocs.yml ``hooks:``): the docs' pictures of rtseg's output, made at build time.

Each picture is rtseg's own output: one frame of a shared clip, segmented, tracked and annotated
by rtseg — the front page's from the highway clip, the zones page's from the bridge clip with a
line and a zone counted and drawn. The clips are third-party files, so neither they nor anything
made from them is committed; the pictures exist only in the built site (``assets/``). The clips
and the model come from ``../shared`` beside the checkout, or from ``RTSEG_DOCS_CLIP`` (the
front page's) and ``RTSEG_DOCS_MODEL``. Without them the build warns (``mkdocs build --strict``
then fails on the missing pictures); ``mkdocs serve`` shows the pages without them.
"""

from __future__ import annotations

import json
import logging
import os
from functools import cache
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

PICTURE = "assets/output.jpg"
ZONES_PICTURE = "assets/zones.jpg"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CLIP = SHARED / "media" / "highway-dashcam-960x540.mp4"
BRIDGE_CLIP = SHARED / "media" / "bridge-traffic-640x360.mp4"
BRIDGE_FRAME = 300  # cars on both sides of the line, two of them in the zone
# The site drawn on the zones page (docs/how-to/zones-lines-events.md shows the same file).
BRIDGE_SITE = {
    "lines": [
        {"name": "gate", "points": [[200, 230], [640, 236]], "in_side": [400, 340], "classes": [2]}
    ],
    "zones": [
        {
            "name": "near",
            "polygon": [[250, 240], [640, 246], [640, 359], [290, 359]],
            "classes": [2, 7],
        }
    ],
}
MODEL = SHARED / "models" / "yolov8n-seg-fp32-320.onnx"
FRAME = 140  # all three near cars in view, each with its track id (docs: How it works → Tracker)
JPEG_QUALITY = 85
CONF = 0.25  # rtseg run's default --conf

log = logging.getLogger("mkdocs.hooks.rtseg")


def output_picture(clip: Path, model: Path, frame_index: int = FRAME) -> bytes:
    """JPEG of frame ``frame_index`` of ``clip`` as ``rtseg run --output`` draws it: the clip
    tracked from its first frame, so the labels carry the ids a run gives them."""
    return drawn_frame(clip, model, frame_index)


@cache
def drawn_frame(clip: Path, model: Path, frame_index: int, site: str | None = None) -> bytes:
    """JPEG of frame ``frame_index`` of ``clip`` as ``rtseg run --output`` draws it (with
    ``--analytics`` of the site given as JSON text): tracked and counted from the first frame."""
    import json

    import cv2

    from rtseg import Analytics, Segmenter, Tracker
    from rtseg.analytics import parse_site
    from rtseg.annotate import FrameAnnotator
    from rtseg.sources import open_source
    from rtseg.tracking import detection_floor

    segmenter = Segmenter(model, device="cpu", conf=detection_floor(CONF))
    counted = None if site is None else parse_site(json.loads(site))
    annotator = FrameAnnotator(segmenter.names, site=counted)
    with open_source(clip) as source:
        fps = source.fps or 30
        tracker = Tracker.for_conf(CONF, frame_rate=fps)
        analytics = None
        if counted is not None:
            analytics = Analytics(
                counted, "docs", lost_buffer=tracker.max_missed, fps=fps, names=segmenter.names
            )
        for frame in source:
            tracked = tracker.update(segmenter(frame.image))
            if analytics is not None:
                tracked = analytics.update(frame, tracked)
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
    if BRIDGE_CLIP.exists():
        site = json.dumps(BRIDGE_SITE)
        zones = drawn_frame(BRIDGE_CLIP, model, BRIDGE_FRAME, site)
        files.append(File.generated(config, ZONES_PICTURE, content=zones))
    else:
        log.warning("zones picture not made: %s missing (../shared)", BRIDGE_CLIP)
    return files
