"""The site file: named lines and zones drawn on a fixed camera's picture (``--analytics``).

Loading checks every key and raises :class:`~rtseg.errors.RtsegError` with one line naming the
file and the key. Coordinates are source pixels, or fractions of the frame when every value of
a line's or zone's points lies in [0, 1]; :meth:`Site.resolve` turns them into pixels once the
frame size is known (the first frame), so one file serves any resolution when written in
fractions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rtseg.errors import RtsegError
from rtseg.yamlfile import read_yaml

MODES = ("footpoint", "overlap")
DEFAULT_MIN_OVERLAP = 0.5
DEFAULT_BAND = 0.01
"""A line's band half-width when the file sets none: this share of the frame diagonal."""

LINE_KEYS = frozenset({"name", "points", "in_side", "classes", "band"})
ZONE_KEYS = frozenset({"name", "polygon", "classes", "loiter_s", "mode", "min_overlap"})


@dataclass(frozen=True)
class LineSpec:
    """A counting line: two points, a point on its "in" side, optional classes and band.

    ``band`` is the half-width in pixels of the strip around the line where an object's side
    is undecided (None: :data:`DEFAULT_BAND` of the frame diagonal)."""

    name: str
    points: np.ndarray  # (2, 2) float, pixels once resolved
    in_side: np.ndarray  # (2,) float
    classes: frozenset[int] | None = None
    band: float | None = None


@dataclass(frozen=True)
class ZoneSpec:
    """An area: a polygon, optional classes, a loiter time and how "inside" is judged."""

    name: str
    polygon: np.ndarray  # (K, 2) float, pixels once resolved
    classes: frozenset[int] | None = None
    loiter_s: float | None = None
    mode: str = "footpoint"
    min_overlap: float = DEFAULT_MIN_OVERLAP


@dataclass(frozen=True)
class Site:
    """A site's lines and zones, as written (pixels or fractions) or resolved to pixels."""

    lines: tuple[LineSpec, ...] = ()
    zones: tuple[ZoneSpec, ...] = ()
    source: str = "site"

    def resolve(self, width: int, height: int) -> Site:
        """This site in pixels of a ``width`` x ``height`` frame, with every band set."""
        diagonal = float(np.hypot(width, height))
        lines = []
        for line in self.lines:
            points, in_side = _to_pixels([line.points, line.in_side[None]], width, height)
            band = DEFAULT_BAND * diagonal if line.band is None else line.band
            lines.append(LineSpec(line.name, points, in_side[0], line.classes, max(band, 1.0)))
        zones = [
            ZoneSpec(
                zone.name,
                _to_pixels([zone.polygon], width, height)[0],
                zone.classes,
                zone.loiter_s,
                zone.mode,
                zone.min_overlap,
            )
            for zone in self.zones
        ]
        return Site(tuple(lines), tuple(zones), self.source)


def _to_pixels(arrays: list[np.ndarray], width: int, height: int) -> list[np.ndarray]:
    """``arrays`` of (x, y) rows scaled to the frame when every value is a fraction in [0, 1]."""
    values = np.concatenate([a.ravel() for a in arrays])
    if np.all((values >= 0) & (values <= 1)):
        scale = np.array([width, height], dtype=np.float64)
        return [a * scale for a in arrays]
    return arrays


def load_site(path: str | Path) -> Site:
    """Read and check a site file; RtsegError naming the file and key when it is wrong."""
    return parse_site(read_yaml(path, "site file"), str(Path(path).expanduser()))


def parse_site(data: Any, source: str = "site") -> Site:
    """A site from already-parsed data (a site file's mapping, or ``rtseg.track``'s dict)."""
    if not isinstance(data, Mapping):
        raise RtsegError(f"{source}: expected a mapping with 'lines' and/or 'zones'")
    unknown = sorted(set(data) - {"lines", "zones"})
    if unknown:
        raise RtsegError(f"{source}: unknown key '{unknown[0]}' (expected 'lines', 'zones')")
    lines = tuple(
        _line(item, f"lines[{i}]", source) for i, item in enumerate(_items(data, "lines", source))
    )
    zones = tuple(
        _zone(item, f"zones[{i}]", source) for i, item in enumerate(_items(data, "zones", source))
    )
    if not lines and not zones:
        raise RtsegError(f"{source}: no 'lines' or 'zones' to count")
    names = [spec.name for spec in (*lines, *zones)]
    for name in names:
        if names.count(name) > 1:
            raise RtsegError(f"{source}: name '{name}' is used twice (lines and zones)")
    return Site(lines, zones, source)


def _items(data: Mapping, key: str, source: str) -> list[Any]:
    items = data.get(key) or []
    if not isinstance(items, list):
        raise RtsegError(f"{source}: '{key}' must be a list")
    return items


def _fields(item: Any, where: str, source: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    """``item`` as a mapping with only ``allowed`` keys and a string ``name``."""
    if not isinstance(item, Mapping):
        raise RtsegError(f"{source}: {where} must be a mapping")
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise RtsegError(f"{source}: {where}.{unknown[0]} is not a known key")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RtsegError(f"{source}: {where}.name must be a non-empty string")
    return item


def _points(value: Any, key: str, source: str, count: int | None, least: int = 1) -> np.ndarray:
    """A list of [x, y] number pairs as a (K, 2) array (``count`` exactly, or ``least`` up)."""
    try:
        points = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        points = np.empty(0)
    if (
        points.ndim != 2
        or points.shape[1] != 2
        or not np.all(np.isfinite(points))
        or (count is not None and len(points) != count)
        or len(points) < least
    ):
        need = f"{count}" if count is not None else f"at least {least}"
        raise RtsegError(f"{source}: {key} must be {need} [x, y] number pairs")
    if np.any(points < 0):
        raise RtsegError(f"{source}: {key} has a negative coordinate")
    return points


def _classes(item: Mapping[str, Any], where: str, source: str) -> frozenset[int] | None:
    value = item.get("classes")
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in value
    ):
        raise RtsegError(f"{source}: {where}.classes must be a list of class ids (integers >= 0)")
    return frozenset(value)


def _number(item: Mapping[str, Any], key: str, where: str, source: str, low: float) -> float | None:
    """An optional number ``> low`` under ``key``."""
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > low:
        raise RtsegError(f"{source}: {where}.{key} must be a number > {low:g}")
    return float(value)


def _line(item: Any, where: str, source: str) -> LineSpec:
    fields = _fields(item, where, source, LINE_KEYS)
    points = _points(fields.get("points"), f"{where}.points", source, 2)
    if np.allclose(points[0], points[1]):
        raise RtsegError(f"{source}: {where}.points are the same point")
    if "in_side" not in fields:
        raise RtsegError(f"{source}: {where}.in_side is missing (a point on the 'in' side)")
    in_side = _points([fields["in_side"]], f"{where}.in_side", source, 1)[0]
    direction = points[1] - points[0]
    offset = in_side - points[0]
    if abs(direction[0] * offset[1] - direction[1] * offset[0]) < 1e-9:
        raise RtsegError(f"{source}: {where}.in_side lies on the line")
    return LineSpec(
        fields["name"],
        points,
        in_side,
        _classes(fields, where, source),
        _number(fields, "band", where, source, 0),
    )


def _zone(item: Any, where: str, source: str) -> ZoneSpec:
    fields = _fields(item, where, source, ZONE_KEYS)
    polygon = _points(fields.get("polygon"), f"{where}.polygon", source, None, least=3)
    mode = fields.get("mode", "footpoint")
    if mode not in MODES:
        raise RtsegError(f"{source}: {where}.mode must be one of {', '.join(MODES)}")
    min_overlap = _number(fields, "min_overlap", where, source, 0)
    if min_overlap is not None and min_overlap > 1:
        raise RtsegError(f"{source}: {where}.min_overlap must be in (0, 1]")
    return ZoneSpec(
        fields["name"],
        polygon,
        _classes(fields, where, source),
        _number(fields, "loiter_s", where, source, 0),
        mode,
        DEFAULT_MIN_OVERLAP if min_overlap is None else min_overlap,
    )


def class_allowed(classes: frozenset[int] | None, class_ids: Sequence[int]) -> np.ndarray:
    """Bool per class id: whether a line or zone with ``classes`` counts it (None: all)."""
    ids = np.asarray(class_ids, dtype=np.int64)
    if classes is None:
        return np.ones(len(ids), dtype=bool)
    return np.isin(ids, np.fromiter(classes, dtype=np.int64, count=len(classes)))
