"""End-to-end runs of the ``rtseg`` command on the shared clip, stills and model."""

from __future__ import annotations

import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import av
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from pycocotools import mask as mask_utils

from rtseg import cli
from rtseg.cli import commands
from rtseg.engine.engines import gpu_usable
from rtseg.pipeline import StageError
from rtseg.tracking import LOW_THRESH
from tests.conftest import SHARED, require_shared

HANG_GUARD_S = 300  # generous: only here so a hang fails instead of blocking CI
CLIP_FRAMES = 221
RECORD_KEYS = {"frame", "time_ms", "width", "height", "detections"}
DETECTION_KEYS = {"track_id", "class_id", "class_name", "confidence", "box_xyxy", "mask"}


def rtseg_command(*args: object) -> list[str]:
    return [sys.executable, "-m", "rtseg", *map(str, args)]


def run_args(source: object, model: object, *outputs: object) -> list[object]:
    """``rtseg run`` of ``source`` with ``model`` on the CPU, writing ``outputs``."""
    return ["run", "--source", source, "--model", model, "--device", "cpu", *outputs]


def clean_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "RTSEG_MODEL"}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def rtseg(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        rtseg_command(*args),
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
    )


def decoded_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        return sum(1 for _ in container.decode(video=0))


def read_jsonl(path: Path) -> list[dict]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for record in records:
        assert set(record) == RECORD_KEYS
        for detection in record["detections"]:
            assert set(detection) == DETECTION_KEYS
            assert detection["mask"]["size"] == [record["height"], record["width"]]
    return records


def decode_mask(detection: dict) -> np.ndarray:
    rle = detection["mask"]
    return mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode()})


def detection_only_model(path: Path) -> Path:
    """A tiny ONNX whose only output is a YOLOv8 *detection* head [1, 84, 2100]."""
    head = numpy_helper.from_array(np.zeros((1, 84, 2100), np.float32), name="head")
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["tie"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Constant", [], ["head_c"], value=head),
        helper.make_node("Add", ["head_c", "tie"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "detect",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 320, 320])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 84, 2100])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    helper.set_model_props(model, {"task": "detect", "imgsz": "[320, 320]"})
    onnx.save(model, path)
    return path


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # pycocotools
def test_highway_clip_to_video_jsonl_and_mot(tmp_path, fp32_model, highway_clip):
    video, jsonl, mot = tmp_path / "out.mp4", tmp_path / "out.jsonl", tmp_path / "out.txt"
    done = rtseg(
        *run_args(highway_clip, fp32_model),
        "--output",
        video,
        "--jsonl",
        jsonl,
        "--mot",
        mot,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert f"{CLIP_FRAMES} frames" in done.stderr

    assert decoded_frames(video) == CLIP_FRAMES
    records = read_jsonl(jsonl)
    assert [record["frame"] for record in records] == list(range(CLIP_FRAMES))
    assert all((record["width"], record["height"]) == (960, 540) for record in records)

    cars = [[d for d in record["detections"] if d["class_name"] == "car"] for record in records]
    assert sum(1 for found in cars if found) >= 0.9 * CLIP_FRAMES
    assert all(d["track_id"] is not None for found in cars for d in found)
    lifetimes = Counter(d["track_id"] for found in cars for d in found)
    longest_id, longest = lifetimes.most_common(1)[0]
    assert longest >= 0.6 * CLIP_FRAMES, lifetimes  # one car keeps its id most of the clip
    first_car = next(d for found in cars for d in found if d["track_id"] == longest_id)
    assert decode_mask(first_car).sum() > 100

    rows = [line.split(",") for line in mot.read_text().splitlines()]
    assert rows and all(len(row) == 10 for row in rows)
    assert {int(row[0]) for row in rows} <= set(range(1, CLIP_FRAMES + 1))
    jsonl_ids = {d["track_id"] for record in records for d in record["detections"]}
    assert {int(row[1]) for row in rows} == jsonl_ids
    # The tracker got detections below --conf (0.25), down to its low threshold: only its
    # low-confidence association outputs such a one, carrying on a track.
    confidences = [float(row[6]) for row in rows]
    assert min(confidences) >= LOW_THRESH and sum(c < 0.25 for c in confidences) >= 5


def test_folder_of_images(tmp_path, fp32_model):
    media = require_shared(SHARED / "media")
    images = sorted(path.name for path in media.iterdir() if path.suffix in (".png", ".jpg"))
    video, jsonl = tmp_path / "stills.mp4", tmp_path / "stills.jsonl"
    done = rtseg(
        *run_args(media, fp32_model),
        "--output",
        video,
        "--jsonl",
        jsonl,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    records = read_jsonl(jsonl)
    assert [record["frame"] for record in records] == list(range(len(images)))
    assert (records[-1]["width"], records[-1]["height"]) == (1920, 1280)  # urban_waymo, last
    assert any(record["detections"] for record in records)
    assert decoded_frames(video) == len(images)


def test_sigint_leaves_playable_video_and_valid_jsonl(tmp_path, fp32_model, highway_clip):
    video, jsonl = tmp_path / "out.mp4", tmp_path / "out.jsonl"
    with (tmp_path / "stderr.txt").open("w") as stderr:
        process = subprocess.Popen(
            rtseg_command(
                *run_args(highway_clip, fp32_model),
                "--output",
                video,
                "--jsonl",
                jsonl,
            ),
            cwd=tmp_path,
            env=clean_env(),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + HANG_GUARD_S
            while not (jsonl.exists() and jsonl.read_text().count("\n") >= 20):
                assert process.poll() is None, "rtseg ended before it was interrupted"
                assert time.monotonic() < deadline, "no results appeared"
                time.sleep(0.02)
            process.send_signal(signal.SIGINT)
            returncode = process.wait(timeout=HANG_GUARD_S)
        finally:
            process.kill()
    assert returncode == 128 + signal.SIGINT, (tmp_path / "stderr.txt").read_text()

    records = read_jsonl(jsonl)  # every line complete and valid
    assert 20 <= len(records) < CLIP_FRAMES
    assert [record["frame"] for record in records] == list(range(len(records)))
    assert decoded_frames(video) == len(records)  # each sink got exactly the frames done


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""
    except urllib.error.URLError:  # not listening yet
        return 0, b""


def test_serve_flag_publishes_live_status_until_sigint(tmp_path, fp32_model, highway_clip):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        rtseg_command(
            *run_args(highway_clip, fp32_model),
            "--loop",
            "--serve",
            f"127.0.0.1:{port}",
            "--serve-token",
            "s3cret",
        ),
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + HANG_GUARD_S
        status: dict = {}
        while not (status.get("frames", 0) > 10 and status.get("active_tracks", 0) > 0):
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, f"live view never showed tracked frames: {status}"
            time.sleep(0.2)
            code, body = http_get(f"{base}/api/status?token=s3cret")
            status = json.loads(body) if code == 200 else {}
        assert status["fps"] > 0 and status["objects"].get("car", 0) > 0
        assert status["dropped_frames"] == 0  # a recorded source drops nothing, even served
        assert http_get(f"{base}/metrics?token=wrong")[0] == 401
        code, metrics = http_get(f"{base}/metrics?token=s3cret")
        assert code == 200 and b"rtseg_frames_total" in metrics
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=HANG_GUARD_S) == 128 + signal.SIGINT
    finally:
        process.kill()
    assert "live view at http://127.0.0.1:" in process.stderr.read()


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("missing model", "model file not found"),
        ("detection model", "segment"),
        ("bad source", "source not found"),
        ("mot without tracks", "--mot"),
    ],
)
def test_user_errors_give_one_clear_line(tmp_path, fp32_model, highway_clip, problem, message):
    model, source, extra = fp32_model, highway_clip, []
    if problem == "missing model":
        model = tmp_path / "missing.onnx"
    elif problem == "detection model":
        model = detection_only_model(tmp_path / "detect.onnx")
    elif problem == "bad source":
        source = tmp_path / "missing.mp4"
    else:
        extra = ["--mot", tmp_path / "out.txt", "--no-track"]
    done = rtseg(
        "run", "--model", model, "--source", source, "--device", "cpu", *extra, cwd=tmp_path
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("rtseg: error: ")
    assert message in lines[0]


def test_info_lists_model_classes_and_providers(tmp_path, fp32_model):
    done = rtseg("info", "--model", fp32_model, "--device", "cpu", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "provider: CPUExecutionProvider" in done.stdout
    assert "imgsz: 320, 320" in done.stdout
    assert "2 car" in done.stdout


def real_cpu() -> tuple[str, set[str]]:
    """This machine's CPU model and flags, read from /proc/cpuinfo here, apart from rtseg."""
    fields = [line.partition(":") for line in Path("/proc/cpuinfo").read_text().splitlines()]
    model = next(value for key, _, value in fields if key.strip() == "model name")
    flags = next(value for key, _, value in fields if key.strip() == "flags")
    return " ".join(model.split()), set(flags.split())


@pytest.mark.skipif(platform.machine() != "x86_64", reason="reads an x86 CPU's /proc/cpuinfo")
def test_info_says_auto_chose_the_engine_by_this_cpus_instruction_set(tmp_path, fp32_model):
    if gpu_usable():
        pytest.skip("auto takes the NVIDIA GPU here: the CPU does not decide")
    done = rtseg("info", "--model", fp32_model, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    [choice] = [line for line in lines if line.startswith("engine_choice: no usable NVIDIA GPU: ")]
    model, flags = real_cpu()
    faster = (
        ("avx512f" in flags and bool(flags & {"avx512_vnni", "avx512_bf16"}))
        or "avx_vnni" in flags
        or any(flag.startswith("amx_") for flag in flags)
    )
    if faster:
        assert "engine: openvino" in lines
        assert f"; this CPU ({model}) has " in choice and "where OpenVINO is faster" in choice
    else:  # this dev machine: an AMD EPYC with AVX2 only
        widest = "AVX-512" if "avx512f" in flags else "AVX2"
        assert "engine: onnxruntime" in lines
        assert choice.endswith(
            f"; this CPU ({model}) has {widest} but no AVX-512 VNNI/BF16, AMX or AVX-VNNI,"
            " where OpenVINO is not faster"
        )


@pytest.mark.parametrize(
    ("raised", "code", "line"),
    [
        (
            StageError("render", OSError("disk full")),
            1,
            "rtseg: error: render failed: OSError: disk full",
        ),
        (KeyboardInterrupt(), 130, "rtseg: interrupted"),
    ],
)
def test_stage_failure_and_interrupt_exit_codes(monkeypatch, capsys, raised, code, line):
    def fail(args):
        raise raised

    monkeypatch.setattr(commands, "run_command", fail)
    monkeypatch.setattr(commands, "configure_logging", lambda verbose: None)
    assert cli.main(["run"]) == code
    assert capsys.readouterr().err.strip() == line
