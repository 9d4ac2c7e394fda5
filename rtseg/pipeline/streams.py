"""The streams of a multi-source run: from repeated ``--source`` flags or a streams file.

A streams file is YAML (or JSON, which YAML reads too): a list of streams, or ``{"streams":
[...]}``. Each stream is a source string, or a mapping with ``source`` and optionally ``name``,
``output``, ``jsonl``, ``mot``, ``rtsp_out``, ``vid_stride``, ``loop``, ``realtime``,
``transport``, ``conf``, ``classes`` and ``analytics`` (a site file)::

    streams:
      - {name: front, source: rtsp://cam1/stream, jsonl: runs/front.jsonl, conf: 0.4}
      - {name: dock, source: videos/dock.mp4, output: runs/dock.mp4, vid_stride: 2}
      - 0

Every problem is reported as one line naming the file and the stream.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rtseg.errors import RtsegError
from rtseg.sources.factory import GLOB_CHARS, webcam_index
from rtseg.sources.live import TRANSPORTS
from rtseg.yamlfile import read_yaml

NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]+")
OPTIONS = (
    "name",
    "source",
    "output",
    "jsonl",
    "mot",
    "rtsp_out",
    "vid_stride",
    "loop",
    "realtime",
    "transport",
    "conf",
    "classes",
    "analytics",
)


StreamOptions = dict[str, Any]
"""One stream's own options (keys of ``OPTIONS``; absent ones take the run's defaults, see
:func:`rtseg.app.make_plan`)."""


def stream_name(source: str) -> str:
    """A short file-name-safe name for a source: ``webcam0``, the URL's host, the file's stem,
    or the folder of a glob."""
    index = webcam_index(source)
    if index is not None:
        return f"webcam{index}"
    if "://" in source:
        raw = urlsplit(source).hostname or "stream"
    else:
        cut = min((source.index(c) for c in GLOB_CHARS if c in source), default=len(source))
        path = Path(source[:cut]) if cut < len(source) else Path(source)
        raw = path.name if cut < len(source) or path.is_dir() else path.stem
    return re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("_") or "stream"


def unique_names(names: Sequence[str]) -> list[str]:
    """``names`` with repeats numbered (``clip``, ``clip-2``, ``clip-3``)."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return unique


def options_from_sources(sources: Sequence[str]) -> list[StreamOptions]:
    """One stream per ``--source``, named after it (numbered where two names collide)."""
    names = unique_names([stream_name(source) for source in sources])
    return [{"name": name, "source": source} for name, source in zip(names, sources, strict=True)]


def load_streams(path: str | Path) -> list[StreamOptions]:
    """The streams listed in a YAML/JSON file; RtsegError (one line) for any problem."""
    return parse_streams(read_yaml(path, "streams file"), str(Path(path).expanduser()))


def parse_streams(data: Any, origin: str = "streams") -> list[StreamOptions]:
    """Validate loaded YAML/JSON data into each stream's options, with unique names."""
    if isinstance(data, dict):
        extra = set(data) - {"streams"}
        if extra:
            raise RtsegError(f"{origin}: unknown key {sorted(extra)[0]!r} (expected 'streams')")
        data = data.get("streams")
    if not isinstance(data, list) or not data:
        raise RtsegError(f"{origin}: expected a non-empty list of streams")
    entries = [_entry(item, f"{origin}: stream {i}") for i, item in enumerate(data, start=1)]
    names = unique_names([entry.get("name") or stream_name(entry["source"]) for entry in entries])
    given = [entry["name"] for entry in entries if entry.get("name")]
    if len(set(given)) < len(given):
        duplicate = next(name for name in given if given.count(name) > 1)
        raise RtsegError(f"{origin}: stream name {duplicate!r} is used twice")
    return [{**entry, "name": name} for entry, name in zip(entries, names, strict=True)]


def _entry(item: Any, where: str) -> dict[str, Any]:
    """One stream's checked options (a bare source string or number is ``{"source": ...}``)."""
    if isinstance(item, str | int) and not isinstance(item, bool):
        item = {"source": item}
    if not isinstance(item, dict):
        raise RtsegError(f"{where}: expected a source or a mapping, got {type(item).__name__}")
    unknown = [key for key in item if key not in OPTIONS]
    if unknown:
        raise RtsegError(f"{where}: unknown option {unknown[0]!r} (known: {', '.join(OPTIONS)})")
    if item.get("source") in (None, ""):
        raise RtsegError(f"{where}: 'source' is missing")
    entry: dict[str, Any] = {"source": _text(item["source"], "source", where, numbers=True)}
    for key in ("name", "output", "jsonl", "mot", "rtsp_out", "analytics"):
        if item.get(key) is not None:
            entry[key] = _text(item[key], key, where)
    if entry.get("name") is not None and not NAME_PATTERN.fullmatch(entry["name"]):
        raise RtsegError(f"{where}: name {entry['name']!r} may only use letters, digits, . _ -")
    if item.get("vid_stride") is not None:
        entry["vid_stride"] = _positive_int(item["vid_stride"], where)
    for key in ("loop", "realtime"):
        if item.get(key) is not None:
            if not isinstance(item[key], bool):
                raise RtsegError(f"{where}: {key!r} must be true or false")
            entry[key] = item[key]
    if item.get("transport") is not None:
        if item["transport"] not in TRANSPORTS:
            raise RtsegError(f"{where}: 'transport' must be tcp or udp, got {item['transport']!r}")
        entry["transport"] = item["transport"]
    if item.get("conf") is not None:
        entry["conf"] = _confidence(item["conf"], where)
    if item.get("classes") is not None:
        entry["classes"] = _classes(item["classes"], where)
    return entry


def _text(value: Any, key: str, where: str, numbers: bool = False) -> str:
    if isinstance(value, str) or (
        numbers and isinstance(value, int) and not isinstance(value, bool)
    ):
        return str(value)
    raise RtsegError(f"{where}: {key!r} must be a string, got {value!r}")


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise RtsegError(f"{where}: 'vid_stride' must be a positive integer, got {value!r}")


def _confidence(value: Any, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    raise RtsegError(f"{where}: 'conf' must be a number from 0 to 1, got {value!r}")


def _classes(value: Any, where: str) -> tuple[int, ...]:
    values = value if isinstance(value, list) else [value]
    if values and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        return tuple(values)
    raise RtsegError(f"{where}: 'classes' must be a class id or a list of them, got {value!r}")
