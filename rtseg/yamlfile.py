"""Reading a user's YAML file (site file, streams file) with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from rtseg.errors import RtsegError


def read_yaml(path: str | Path, kind: str) -> Any:
    """The parsed content of ``path``; RtsegError naming the ``kind`` of file ("site file")
    when it cannot be read, or the line of a syntax error."""
    target = Path(path).expanduser()
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise RtsegError(f"cannot read {kind} {target}: {exc.strerror or exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise RtsegError(f"{target}: not valid YAML/JSON{where}: {problem}") from exc
