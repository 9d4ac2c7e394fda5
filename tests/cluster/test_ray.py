"""Scale-out on a real local Ray cluster (``ray start --head`` with 2 CPUs, started and stopped
here): the same results as one process, and a killed actor restarted without losing output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

from rtseg.annotate import FrameAnnotator
from rtseg.cluster import RayHost
from rtseg.pipeline.stream_plan import ModelPlan, StreamPlan
from rtseg.sinks import JsonlSink
from tests.conftest import SHORT_CLIP_FRAMES
from tests.test_cli import clean_env, decoded_frames, free_port, rtseg

HANG_GUARD_S = 300.0
CLIP_FRAMES = 221
RAY = Path(sys.executable).with_name("ray")


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """The address of a local two-CPU Ray cluster running in its own processes.

    Ray's token authentication is off for it (and for every client the tests start), so no
    token file left by another Ray on this machine gets in the way."""
    os.environ["RAY_AUTH_MODE"] = "disabled"
    port = free_port()
    start = [str(RAY), "start", "--head", f"--port={port}", "--num-cpus=2", "--num-gpus=0"]
    start += ["--include-dashboard=false", "--disable-usage-stats"]
    subprocess.run(start, check=True, capture_output=True, timeout=HANG_GUARD_S, env=clean_env())
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([str(RAY), "stop", "--force"], capture_output=True, timeout=120)
        del os.environ["RAY_AUTH_MODE"]


def records_by_stream(path: Path) -> dict[str, dict[int, dict]]:
    by_stream: dict[str, dict[int, dict]] = defaultdict(dict)
    for line in path.read_text().splitlines():
        record = json.loads(line)
        by_stream[record.pop("stream")][record["frame"]] = record
    return dict(by_stream)


def test_actors_give_the_same_results_as_one_process(
    tmp_path, cluster, fp32_model, highway_clip, short_clip
):
    sources = ["--source", short_clip, "--source", highway_clip.parent]  # 2 s of the clip + stills
    common = ["run", "--model", fp32_model, "--device", "cpu", *sources]
    one = rtseg(*common, "--jsonl", tmp_path / "one.jsonl", cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    spread = rtseg(
        *common,
        *("--jsonl", tmp_path / "ray.jsonl", "--output", tmp_path / "ray.mp4"),
        *("--ray", cluster, "--ray-actors", "2"),
        cwd=tmp_path,
    )
    assert spread.returncode == 0, spread.stderr
    assert "2 streams on 2 Ray actors" in spread.stderr and "Traceback" not in spread.stderr

    expected, got = (
        records_by_stream(tmp_path / "one.jsonl"),
        records_by_stream(tmp_path / "ray.jsonl"),
    )
    assert got == expected  # every frame, box, mask, class and track ID
    clip = expected["highway-dashcam-960x540"]
    assert sorted(clip) == list(range(SHORT_CLIP_FRAMES))
    assert decoded_frames(tmp_path / "ray-highway-dashcam-960x540.mp4") == SHORT_CLIP_FRAMES
    assert decoded_frames(tmp_path / "ray-media.mp4") == len(expected["media"])


def test_a_killed_actor_is_restarted_and_its_streams_resume(
    tmp_path, cluster, fp32_model, highway_clip
):
    ray.init(address=cluster, log_to_driver=False)
    try:
        names = ["front", "rear"]
        paths = {name: tmp_path / f"{name}.jsonl" for name in names}
        pipeline = RayHost(
            [StreamPlan(name, str(highway_clip)) for name in names],
            ModelPlan(str(fp32_model), device="cpu"),
            outputs=lambda stream, _facts: [JsonlSink(paths[stream.name])],
            annotator=lambda _stream: FrameAnnotator({}),
            actors=2,
        )
        summaries = []
        runner = threading.Thread(target=lambda: summaries.append(pipeline.run()))
        runner.start()
        try:
            deadline = time.monotonic() + HANG_GUARD_S
            while not (paths["front"].exists() and paths["front"].read_text().count("\n") >= 60):
                assert runner.is_alive() and time.monotonic() < deadline, "no results came back"
                time.sleep(0.05)
            (killed,) = [actor for actor in pipeline.actors if actor.streams == ["front"]]
            ray.kill(killed.handle, no_restart=False)  # a crash: Ray restarts the actor
        finally:
            runner.join(HANG_GUARD_S)
        assert not runner.is_alive()
    finally:
        ray.shutdown()
    (summary,) = summaries
    assert {name: result.written for name, result in summary.streams.items()} == {
        "front": CLIP_FRAMES,
        "rear": CLIP_FRAMES,
    }
    assert [result.restarts for result in summary.streams.values()] == [1, 0]
    assert not summary.failed
    assert "front: 221 frames written, resumed after 1 actor restart(s)" in summary.format()
    for name in names:
        records = [json.loads(line) for line in paths[name].read_text().splitlines()]
        assert [record["frame"] for record in records] == list(range(CLIP_FRAMES))
    front = [json.loads(line) for line in paths["front"].read_text().splitlines()]
    ids = [[det["track_id"] for det in record["detections"]] for record in front]
    first_ids = {i for frame_ids in ids[:60] for i in frame_ids}
    assert None not in first_ids and max(first_ids) >= 1
    # After the restart a new tracker numbers on above every ID already written.
    restart_at = next(n for n in range(60, CLIP_FRAMES) if ids[n] and min(ids[n]) > max(first_ids))
    later = {i for frame_ids in ids[restart_at:] for i in frame_ids}
    assert min(later) > max(first_ids)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--ray-actors", "2"], "--ray-actors needs --ray"),
        (["--ray", "--model", "{tmp}/missing.onnx"], "model file not found"),
        (["--ray", "127.0.0.1:{port}"], "cannot reach the Ray cluster at 127.0.0.1:"),
    ],
)
def test_ray_flag_errors_are_one_line(tmp_path, fp32_model, highway_clip, flags, message):
    flags = [flag.format(tmp=tmp_path, port=free_port()) for flag in flags]
    model = [] if "--model" in flags else ["--model", fp32_model]
    done = rtseg(
        *("run", *model, "--source", highway_clip, "--jsonl", tmp_path / "x.jsonl", *flags),
        cwd=tmp_path,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rtseg: error: "), done.stderr
    assert message in lines[0]


def test_a_failing_output_is_dropped_and_the_others_keep_every_frame(
    tmp_path, cluster, fp32_model, highway_clip, short_clip
):
    """As in-process: --output on a full disk ends its stream with one failure line (exit 1);
    that stream's JSON Lines and MOT files hold every frame read, in order, and the other
    stream on the same actor is written whole."""
    video = tmp_path / "full.mp4"
    video.symlink_to("/dev/full")
    paths = {name: tmp_path / f"{name}.jsonl" for name in ("full", "fine")}
    mot = tmp_path / "full.txt"
    streams = tmp_path / "streams.yaml"
    streams.write_text(
        json.dumps(
            [
                {"name": "full", "source": str(highway_clip), "output": str(video),
                 "jsonl": str(paths["full"]), "mot": str(mot)},
                {"name": "fine", "source": str(short_clip), "jsonl": str(paths["fine"])},
            ]
        )
    )  # fmt: skip
    done = rtseg(
        *("run", "--model", fp32_model, "--device", "cpu", "--sources", streams),
        *("--ray", cluster, "--ray-actors", "1"),
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    failure = f"full: failed: render failed: OSError: [Errno 28] No space left on device: '{video}'"
    assert failure in done.stderr.splitlines(), done.stderr
    assert "fine: failed" not in done.stderr
    full = [json.loads(line)["frame"] for line in paths["full"].read_text().splitlines()]
    assert len(full) >= 5 and full == list(range(len(full)))
    assert {int(line.split(",")[0]) - 1 for line in mot.read_text().splitlines()} <= set(full)
    fine = [json.loads(line)["frame"] for line in paths["fine"].read_text().splitlines()]
    assert fine == list(range(SHORT_CLIP_FRAMES))
