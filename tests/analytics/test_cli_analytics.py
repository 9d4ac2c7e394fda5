"""``rtseg run --analytics``: the engine counts the site on every stream's tracks, end to end
on the known clip (tests/analytics/clip.py): the same exact totals in --events, the per-frame
JSON Lines, an MQTT subscriber and the summary; per stream in a streams file; one-line errors
for flags that do not fit."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.analytics import clip
from tests.conftest import FP32_MODEL
from tests.mqtt_broker import Mosquitto
from tests.sinks.test_mqtt import Subscriber
from tests.test_cli import rtseg

TRUTH = clip.TRUTH
EXPECTED = Counter(
    {
        ("line_cross", "in"): TRUTH["gate"]["in"],
        ("line_cross", "out"): TRUTH["gate"]["out"],
        ("zone_enter", "pad"): TRUTH["pad_enter"],
        ("zone_exit", "pad"): TRUTH["pad_exit"],
        ("zone_loiter", "pad"): TRUTH["pad_loiter"],
    }
)


def kinds(events: list[dict]) -> Counter:
    return Counter((e["event"], e.get("direction") or e.get("zone")) for e in events)


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(clip.SITE))
    return path


def test_one_stream_counts_exactly_into_every_output(known_clip, site, tmp_path):
    broker = Mosquitto(tmp_path)
    broker.start()
    subscriber = Subscriber(broker.port)
    events, frames = tmp_path / "events.jsonl", tmp_path / "frames.jsonl"
    try:
        done = rtseg(
            *("run", "--source", known_clip, "--model", FP32_MODEL, "--device", "cpu"),
            *("--analytics", site, "--events", events, "--jsonl", frames),
            *("--mqtt", f"mqtt://127.0.0.1:{broker.port}/site"),
            cwd=tmp_path,
        )
        subscriber.wait_for("site/events", sum(EXPECTED.values()))
    finally:
        subscriber.close()
        broker.stop()
    assert done.returncode == 0, done.stderr
    written = read_lines(events)
    assert kinds(written) == EXPECTED
    assert {e["stream"] for e in written} == {"known"}
    last = read_lines(frames)[-1]
    assert last["lines"] == {"gate": TRUTH["gate"]} and last["zones"] == {"pad": 0}
    published = [json.loads(p) for p in set(subscriber.received("site/events"))]
    assert kinds(published) == EXPECTED
    gate = TRUTH["gate"]
    assert f"line gate: in {gate['in']}, out {gate['out']}" in done.stderr.splitlines()
    assert "zone pad: 0 inside now" in done.stderr.splitlines()


def test_each_stream_of_a_streams_file_counts_its_own_site(known_clip, site, tmp_path):
    """The site given per stream: the stream with it counts, the one without writes no events
    and its JSON Lines stay as without analytics."""
    events = tmp_path / "events.jsonl"
    streams = tmp_path / "streams.yaml"
    streams.write_text(
        yaml.safe_dump(
            [
                {"name": "counted", "source": str(known_clip), "analytics": str(site)},
                {"name": "plain", "source": str(known_clip), "vid_stride": 5},
            ]
        )
    )
    done = rtseg(
        *("run", "--sources", streams, "--model", FP32_MODEL, "--device", "cpu"),
        *("--events", events, "--jsonl", tmp_path / "all.jsonl"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    written = read_lines(events)
    assert kinds(written) == EXPECTED and {e["stream"] for e in written} == {"counted"}
    lines = read_lines(tmp_path / "all.jsonl")
    assert all("lines" in line for line in lines if line["stream"] == "counted")
    assert not any("lines" in line for line in lines if line["stream"] == "plain")
    assert "counted: line gate: in 2, out 1" in done.stderr.splitlines()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--analytics", "{site}", "--no-track"], "--analytics counts tracks: drop --no-track"),
        (["--events", "{tmp}/e.jsonl"], "--events writes analytics events: give --analytics"),
        (["--analytics", "{tmp}/missing.yaml"], "cannot read site file"),
        (["--analytics", "{site}", "--mqtt", "http://x"], "expected mqtt://host[:port]"),
    ],
)
def test_flags_that_do_not_fit_are_one_line(known_clip, site, tmp_path, flags, message):
    flags = [flag.format(site=site, tmp=tmp_path) for flag in flags]
    done = rtseg(
        *("run", "--source", known_clip, "--model", FP32_MODEL, "--device", "cpu"),
        *("--jsonl", tmp_path / "x.jsonl", *flags),
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rtseg: error: ") and message in lines[0]
