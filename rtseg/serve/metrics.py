"""Render the live status as Prometheus text exposition format 0.0.4 (no client library)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
QUANTILES = (("0.5", "p50"), ("0.95", "p95"), ("1", "max"))

# (status key, metric name, type, help) for plain numbers of the status
SCALARS = (
    ("fps", "rtseg_fps", "gauge", "Frames per second over the last few seconds."),
    ("frames", "rtseg_frames_total", "counter", "Frames the live view has received."),
    ("active_tracks", "rtseg_active_tracks", "gauge", "Distinct track IDs in the newest frame."),
    ("total_tracks", "rtseg_tracks_total", "counter", "Distinct track IDs seen so far."),
    ("viewers", "rtseg_viewers", "gauge", "Connected MJPEG stream viewers."),
    ("dropped_frames", "rtseg_dropped_frames_total", "counter", "Frames dropped as stale."),
    ("frame_age_s", "rtseg_frame_age_seconds", "gauge", "Seconds since the newest frame."),
)
# status keys of the live view itself; any other number is the pipeline's (see render_metrics)
OWN_KEYS = frozenset(
    {key for key, *_ in SCALARS}
    | {"latency_ms", "latency_seconds_sum", "objects", "tracking", "last_frame_index", "analytics"}
)


def render_metrics(status: Mapping[str, object]) -> str:
    """The metrics page for a live status mapping (the one ``/api/status`` returns).

    Other top-level numbers the pipeline adds to the status become gauges ``rtseg_<key>``.
    """
    lines: list[str] = []
    for key, name, kind, help_text in SCALARS:
        if is_number(status.get(key)):
            lines += family(name, kind, help_text, [("", status[key])])
    latency = status.get("latency_ms")
    if isinstance(latency, Mapping):
        samples = [(labels(quantile=q), latency[key] / 1e3) for q, key in QUANTILES]
        samples += [
            ("_sum", status.get("latency_seconds_sum", 0.0)),
            ("_count", status.get("frames", 0)),
        ]
        lines += family(
            "rtseg_latency_seconds",
            "summary",
            "Capture-to-output latency; quantiles over the last few seconds.",
            samples,
        )
    objects = status.get("objects")
    if isinstance(objects, Mapping):
        lines += family(
            "rtseg_objects",
            "gauge",
            "Objects per class in the newest frame.",
            [(labels(**{"class": name}), count) for name, count in objects.items()],
        )
    analytics = status.get("analytics")
    if isinstance(analytics, Mapping):
        lines += analytics_families(analytics)
    for key, value in status.items():
        name = f"rtseg_{key}"
        if key not in OWN_KEYS and is_number(value) and METRIC_NAME.fullmatch(name):
            lines += family(name, "gauge", f"Pipeline status field {key}.", [("", value)])
    return "\n".join(lines) + "\n"


def analytics_families(totals: Mapping[str, list[Mapping[str, Any]]]) -> list[str]:
    """The line, zone and dwell families from ``/api/status``'s ``analytics`` totals."""
    lines = family(
        "rtseg_line_crossings_total",
        "counter",
        "Line crossings so far, by direction and class.",
        [
            (
                labels(
                    stream=r["stream"],
                    line=r["line"],
                    direction=r["direction"],
                    **{"class": r["class"]},
                ),
                r["count"],
            )
            for r in totals.get("crossings", [])
        ],
    )
    lines += family(
        "rtseg_zone_occupancy",
        "gauge",
        "Objects in a zone now, by class (a lost one until its zone_exit).",
        [
            (labels(stream=r["stream"], zone=r["zone"], **{"class": r["class"]}), r["count"])
            for r in totals.get("occupancy", [])
        ],
    )
    lines += family(
        "rtseg_zone_events_total",
        "counter",
        "Zone events so far: zone_enter, zone_exit, zone_loiter.",
        [
            (labels(stream=r["stream"], zone=r["zone"], event=r["event"]), r["count"])
            for r in totals.get("zone_events", [])
        ],
    )
    samples: list[tuple[str, object]] = []
    for r in totals.get("dwell", []):
        where = {"stream": r["stream"], "zone": r["zone"]}
        samples += [
            (f"_bucket{labels(**where, le=format_value(float(bound)))}", count)
            for bound, count in r["buckets"].items()
        ]
        samples += [
            (f"_bucket{labels(**where, le='+Inf')}", r["count"]),
            (f"_sum{labels(**where)}", r["sum"]),
            (f"_count{labels(**where)}", r["count"]),
        ]
    return lines + family(
        "rtseg_zone_dwell_seconds", "histogram", "Time spent in a zone, per zone_exit.", samples
    )


def family(
    name: str, kind: str, help_text: str, samples: Iterable[tuple[str, object]]
) -> list[str]:
    """HELP and TYPE lines, then one line per sample; a sample's key is appended to ``name``:
    a label set (``{quantile="0.5"}``), a suffix (``_sum``) or nothing."""
    lines = [f"# HELP {name} {escape_help(help_text)}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{key} {format_value(value)}" for key, value in samples]
    return lines


def labels(**values: str) -> str:
    """``{name="value",...}`` with values escaped as the format requires."""
    body = ",".join(f'{name}="{escape_label(value)}"' for name, value in values.items())
    return "{" + body + "}"


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def format_value(value: object) -> str:
    """Integers as such, floats in full precision, and NaN/±Inf spelled as Prometheus does."""
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    return str(value) if isinstance(value, int) else repr(number)
