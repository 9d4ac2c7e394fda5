"""``import rtseg`` is light; its public names load on first use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import rtseg


def test_import_rtseg_imports_no_heavy_library():
    code = (
        "import json, sys, rtseg\n"
        "print(json.dumps([m for m in ('supervision', 'cv2', 'onnxruntime', 'av', 'numpy')"
        " if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def test_public_names_resolve_to_their_homes():
    from rtseg.analytics import Analytics
    from rtseg.app.api import Result, segment, track
    from rtseg.engine import Segmenter
    from rtseg.errors import RtsegError
    from rtseg.pipeline import Pipeline
    from rtseg.tracking import Tracker

    homes = {
        "Analytics": Analytics,
        "Pipeline": Pipeline,
        "Result": Result,
        "RtsegError": RtsegError,
        "Segmenter": Segmenter,
        "Tracker": Tracker,
        "segment": segment,
        "track": track,
    }
    assert sorted(rtseg.__all__) == sorted(homes)
    for name, value in homes.items():
        assert getattr(rtseg, name) is value
    assert set(rtseg.__all__) <= set(dir(rtseg))


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Segmentr'"):
        _ = rtseg.Segmentr
