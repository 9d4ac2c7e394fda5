"""``rtseg run --analytics``: the engine counts the site on every stream's tracks, end to end
on the known clip (tests/analytics/clip.py): the same exact totals in --events, the per-frame
JSON Lines, an MQTT subscriber and the summary; the metrics served over HTTP while it runs;
per stream in a streams file; one-line errors for flags that do not fit."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.analytics import clip
from tests.conftest import FP32_MODEL
from tests.mqtt_broker import Mosquitto
from tests.sinks.test_mqtt import Subscriber
from tests.test_cli import HANG_GUARD_S, clean_env, free_port, http_get, rtseg, rtseg_command

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


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    """``/metrics`` as {:func:`sample` key: value}; {} while it does not answer."""
    code, body = http_get(url)
    if code != 200:
        return {}
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def sample(name: str, **labels: str) -> tuple[str, tuple]:
    return name, tuple(sorted(labels.items()))


def test_served_metrics_count_the_site_while_it_runs(known_clip, site, tmp_path):
    """``--serve`` with ``--analytics``, scraped over HTTP while the clip loops: the line, zone
    and dwell families by stream, line or zone and class, never by track id."""
    port = free_port()
    process = subprocess.Popen(
        rtseg_command(
            *("run", "--source", known_clip, "--model", FP32_MODEL, "--device", "cpu"),
            *("--analytics", site, "--loop", "--serve", f"127.0.0.1:{port}"),
        ),
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    pad = {"stream": "known", "zone": "pad"}
    loitered = sample("rtseg_zone_events_total", event="zone_loiter", **pad)
    try:
        deadline = time.monotonic() + HANG_GUARD_S
        samples: dict = {}
        while not samples.get(loitered):
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, f"no loiter event served: {samples}"
            time.sleep(0.2)
            samples = scrape(f"http://127.0.0.1:{port}/metrics")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=HANG_GUARD_S) == 128 + signal.SIGINT
    finally:
        process.kill()
    # by then the person has crossed the gate "out", into the pad (clip.py), and stayed
    gate = {"stream": "known", "line": "gate", "class": "person"}
    assert samples[sample("rtseg_line_crossings_total", direction="out", **gate)] >= 1
    assert samples[sample("rtseg_zone_events_total", event="zone_enter", **pad)] >= 1
    assert sample("rtseg_zone_occupancy", **{"class": "person"}, **pad) in samples
    assert not {"track", "track_id", "id"} & {label for _, labels in samples for label, _ in labels}


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
