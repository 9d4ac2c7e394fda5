import math

from prometheus_client.parser import text_string_to_metric_families

from rtseg.serve.metrics import escape_label, format_value, render_metrics

STATUS = {
    "frames": 42,
    "fps": 24.5,
    "latency_ms": {"p50": 30.0, "p95": 45.0, "max": 60.0},
    "latency_seconds_sum": 1.5,
    "objects": {"car": 3, 'odd "name"\\\n': 1},
    "tracking": True,
    "active_tracks": 3,
    "total_tracks": 7,
    "last_frame_index": 41,
    "frame_age_s": 0.04,
    "viewers": 2,
    "dropped_frames": 5,
    "outages": 1,
    "source": "rtsp://camera",
    "bad key!": 1,
}


def parsed(status):
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(render_metrics(status))
        for sample in family.samples
    }


def test_metrics_parse_with_the_prometheus_parser():
    samples = parsed(STATUS)
    assert samples[("rtseg_frames_total", ())] == 42
    assert samples[("rtseg_fps", ())] == 24.5
    assert samples[("rtseg_latency_seconds", (("quantile", "0.95"),))] == 0.045
    assert samples[("rtseg_latency_seconds_count", ())] == 42
    assert samples[("rtseg_latency_seconds_sum", ())] == 1.5
    assert samples[("rtseg_objects", (("class", "car"),))] == 3
    assert samples[("rtseg_objects", (("class", 'odd "name"\\\n'),))] == 1
    assert samples[("rtseg_active_tracks", ())] == 3
    assert samples[("rtseg_tracks_total", ())] == 7
    assert samples[("rtseg_viewers", ())] == 2
    assert samples[("rtseg_dropped_frames_total", ())] == 5
    assert samples[("rtseg_frame_age_seconds", ())] == 0.04
    assert samples[("rtseg_outages", ())] == 1  # a numeric extra from the pipeline
    names = {name for name, _ in samples}
    assert not {"rtseg_source", "rtseg_tracking", "rtseg_last_frame_index"} & names


def test_types_and_help_lines():
    text = render_metrics(STATUS)
    assert "# TYPE rtseg_frames_total counter" in text
    assert "# TYPE rtseg_latency_seconds summary" in text
    assert "# TYPE rtseg_objects gauge" in text
    assert text.endswith("\n")
    for line in text.splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or " " in line


def test_missing_fields_are_left_out():
    samples = parsed({"frames": 0, "objects": {}})
    assert {name for name, _ in samples} == {"rtseg_frames_total"}


def test_escaping_and_values():
    assert escape_label('a\\b"c\nd') == 'a\\\\b\\"c\\nd'
    assert format_value(3) == "3"
    assert format_value(0.1) == "0.1"
    assert format_value(math.inf) == "+Inf"
    assert format_value(-math.inf) == "-Inf"
    assert format_value(math.nan) == "NaN"
