"""Which model file to use: ``--model`` → ``RTSEG_MODEL`` → the first ``.onnx`` in ``models/``.

``models/`` is looked up in the current working directory first, then in the source checkout
rtseg runs from (the folder above the ``rtseg`` package, i.e. the repository root of an
editable install). Models are never shipped with rtseg; see ``models/README.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from rtseg.errors import RtsegError

ENV_VAR = "RTSEG_MODEL"
CHECKOUT_MODELS = Path(__file__).resolve().parents[1] / "models"
HOW_TO_GET_ONE = (
    "no model given: pass --model PATH, set RTSEG_MODEL, or put a YOLO-seg ONNX export in"
    " ./models/ (e.g. `yolo export model=yolo11n-seg.pt format=onnx`; see models/README.md)"
)


def model_dirs(cwd: Path | None = None) -> list[Path]:
    """The ``models/`` folders searched, in order, without duplicates."""
    here = (cwd or Path.cwd()) / "models"
    return [here] if here.resolve() == CHECKOUT_MODELS else [here, CHECKOUT_MODELS]


def first_model(dirs: Sequence[Path]) -> Path | None:
    """The first ``.onnx`` file by name in the first folder that has one."""
    for folder in dirs:
        found = sorted(path for path in folder.glob("*.onnx") if path.is_file())
        if found:
            return found[0]
    return None


def resolve_model(
    model: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    dirs: Sequence[Path] | None = None,
) -> Path:
    """The model path to load; raises ``RtsegError`` (one line) when there is none."""
    env = os.environ if env is None else env
    if model:
        return _existing(Path(model), "model file not found")
    if env.get(ENV_VAR):
        return _existing(Path(env[ENV_VAR]), f"{ENV_VAR} names a missing file")
    found = first_model(model_dirs() if dirs is None else dirs)
    if found is None:
        raise RtsegError(HOW_TO_GET_ONE)
    return found


def _existing(path: Path, problem: str) -> Path:
    """``path`` when it is a model file or a model folder (OpenVINO export)."""
    if not (path.is_file() or path.is_dir()):
        raise RtsegError(f"{problem}: {path}")
    return path
