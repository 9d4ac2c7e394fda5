"""The interface every output shares, and opening output files with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, TextIO, runtime_checkable

import numpy as np
import supervision as sv

from rtseg.errors import RtsegError
from rtseg.sources import Frame


class Sink(Protocol):
    """An output fed once per processed frame; ``annotated`` is None unless it needs annotation."""

    needs_annotation: bool

    def write(
        self, frame: Frame, annotated: np.ndarray | None, detections: sv.Detections
    ) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Interactive(Protocol):
    """A sink with a user interface, which GUI toolkits want driven from one thread, the main
    one: the pipeline calls ``pump`` from the thread that runs it, at a display's rate and
    once more after the last frame, and stops the run once ``stop_requested``."""

    stop_requested: bool

    def pump(self) -> None: ...


def output_path(path: str | Path) -> Path:
    """``path`` with its folder created; RtsegError when it cannot be written."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise RtsegError(f"cannot write {target}: it is a folder")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RtsegError(f"cannot create folder for {target}: {exc.strerror or exc}") from exc
    return target


def open_text(path: str | Path) -> TextIO:
    """Open a UTF-8 text output for writing (truncating it); RtsegError when impossible."""
    target = output_path(path)
    try:
        return target.open("w", encoding="utf-8")
    except OSError as exc:
        raise RtsegError(f"cannot write {target}: {exc.strerror or exc}") from exc
