"""Each stream's own options: names from sources, streams files (YAML and JSON), one-line errors."""

from __future__ import annotations

import json

import pytest

from rtseg.errors import RtsegError
from rtseg.pipeline.streams import (
    load_streams,
    options_from_sources,
    parse_streams,
    stream_name,
)


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("0", "webcam0"),
        ("rtsp://user:pw@cam1.local:554/live", "cam1.local"),
        ("videos/dock cam.mp4", "dock_cam"),
        ("frames/*.png", "frames"),
        ("*.png", "stream"),
    ],
)
def test_stream_names_from_sources(source, name):
    assert stream_name(source) == name


def test_repeated_sources_get_numbered_names():
    configs = options_from_sources(["a.mp4", "0", "a.mp4", "b/a.mp4"])
    assert [c["name"] for c in configs] == ["a", "webcam0", "a-2", "a-3"]
    assert configs[1] == {"name": "webcam0", "source": "0"}


def test_yaml_file_with_per_stream_options(tmp_path):
    path = tmp_path / "streams.yaml"
    path.write_text(
        "streams:\n"
        "  - {name: front, source: rtsp://cam1/s, jsonl: out/front.jsonl, conf: 0.4,\n"
        "     transport: udp, rtsp_out: rtsp://media/front}\n"
        "  - name: dock\n"
        "    source: dock.mp4\n"
        "    output: out/dock.mp4\n"
        "    vid_stride: 2\n"
        "    loop: true\n"
        "    classes: [0, 2]\n"
        "    realtime: true\n"
        "  - 0\n"
    )
    assert load_streams(path) == [
        dict(name="front", source="rtsp://cam1/s", jsonl="out/front.jsonl", conf=0.4,
             transport="udp", rtsp_out="rtsp://media/front"),
        dict(name="dock", source="dock.mp4", output="out/dock.mp4", vid_stride=2, loop=True,
             classes=(0, 2), realtime=True),
        dict(name="webcam0", source="0"),
    ]  # fmt: skip


def test_json_file_as_a_plain_list(tmp_path):
    path = tmp_path / "streams.json"
    path.write_text(json.dumps([{"source": "a.mp4", "classes": 3}, "a.mp4"]))
    assert load_streams(path) == [
        {"name": "a", "source": "a.mp4", "classes": (3,)},
        {"name": "a-2", "source": "a.mp4"},
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected a non-empty list of streams"),
        ({"cams": []}, "unknown key 'cams'"),
        ([{"name": "x"}], "stream 1: 'source' is missing"),
        (["a.mp4", {"source": "b.mp4", "ouput": "x.mp4"}], "stream 2: unknown option 'ouput'"),
        ([{"source": "a.mp4", "vid_stride": 0}], "'vid_stride' must be a positive integer"),
        ([{"source": "a.mp4", "loop": "yes"}], "'loop' must be true or false"),
        ([{"source": "a.mp4", "realtime": 1}], "'realtime' must be true or false"),
        ([{"source": "rtsp://a/b", "transport": "http"}], "'transport' must be tcp or udp"),
        ([{"source": "a.mp4", "conf": 2}], "'conf' must be a number from 0 to 1"),
        ([{"source": "a.mp4", "classes": ["car"]}], "'classes' must be a class id"),
        ([{"source": "a.mp4", "name": "a b"}], "may only use letters, digits"),
        ([{"source": "a", "name": "x"}, {"source": "b", "name": "x"}], "'x' is used twice"),
        ([[1, 2]], "stream 1: expected a source or a mapping, got list"),
        ([{"source": ["a"]}], "'source' must be a string"),
    ],
)
def test_bad_entries_are_one_line_errors(data, message):
    with pytest.raises(RtsegError, match=message) as caught:
        parse_streams(data, "cams.yaml")
    assert str(caught.value).startswith("cams.yaml: ")
    assert "\n" not in str(caught.value)


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(RtsegError, match="cannot read streams file"):
        load_streams(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("streams: [a.mp4\n  - b\n")
    with pytest.raises(RtsegError, match=r"bad.yaml: not valid YAML/JSON at line \d+") as caught:
        load_streams(bad)
    assert "\n" not in str(caught.value)
