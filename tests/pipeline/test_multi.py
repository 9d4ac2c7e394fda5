"""Several streams in one Pipeline: each complete and independent, one shared inference,
isolated stream failures."""

from __future__ import annotations

import argparse
import json
import threading
from collections import defaultdict
from types import SimpleNamespace

import cv2
import pytest

from rtseg.app.plan import per_stream_url
from rtseg.cli.parser import build_parser
from rtseg.cli.run import plan_from_args
from rtseg.cli.run import run_command as run_multi
from rtseg.errors import RtsegError
from rtseg.pipeline import Pipeline, StageError, Stream
from rtseg.pipeline.plan import load_segmenter
from rtseg.sources import Frame, FrameSource, LiveSource, open_source
from rtseg.tracking import Tracker
from tests.conftest import SHORT_CLIP_FRAMES
from tests.pipeline.fakes import (
    HANG_GUARD_S,
    FakeSegmenter,
    FakeSource,
    FakeTracker,
    RecordingSink,
    run_guarded,
)
from tests.pipeline.test_pipeline import no_leftover_threads  # noqa: F401  (autouse fixture)

CLIP_FRAMES = 221


class BatchingSegmenter(FakeSegmenter):
    """The fake model, with or without a dynamic batch axis; remembers each call's batch size."""

    def __init__(self, dynamic: bool, **options) -> None:
        super().__init__(**options)
        self.spec = SimpleNamespace(dynamic_batch=dynamic)
        self.batch_sizes: list[int] = []

    def infer(self, blob):
        self.batch_sizes.append(len(blob))
        return super().infer(blob)


class SilentCamera(FrameSource):
    """A live camera that has gone silent: :meth:`read` waits until it is closed."""

    name = "silent camera"
    is_live = True

    def __init__(self) -> None:
        self._closed = threading.Event()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def read(self) -> Frame | None:
        self._closed.wait()
        return None

    def close(self) -> None:
        self._closed.set()


class DyingSource(FrameSource):
    """A live camera that delivers ``frames`` frames of ``inner``, then fails."""

    is_live = True

    def __init__(self, inner: FrameSource, frames: int) -> None:
        self.name = "dying camera"
        self._inner = inner
        self._left = frames

    def read(self) -> Frame | None:
        if self._left == 0:
            raise RtsegError("dying camera: connection lost")
        self._left -= 1
        return self._inner.read()

    def close(self) -> None:
        self._inner.close()


@pytest.mark.parametrize("dynamic", [False, True])
def test_every_stream_complete_in_order_with_its_own_tracker(dynamic):
    counts = {"a": 30, "b": 45, "c": 12}
    sinks = {name: RecordingSink() for name in counts}
    trackers = {name: FakeTracker() for name in counts}
    streams = [
        Stream(name, FakeSource(count), [sinks[name]], trackers[name])
        for name, count in counts.items()
    ]
    segmenter = BatchingSegmenter(dynamic, delay_s=0.002)
    seen = defaultdict(list)
    summary = run_guarded(
        Pipeline(
            streams,
            segmenter,
            lambda name, frame, _: seen[name].append(frame.index),
            infer_workers=2,
        )
    )
    for name, count in counts.items():
        assert sinks[name].indices == list(range(count)) == seen[name]
        assert sinks[name].closed == 1
        assert len(trackers[name].skipped) == count
        assert summary.streams[name].summary.frames == count
        assert summary.streams[name].error is None
    assert summary.frames == sum(counts.values())
    assert sum(segmenter.batch_sizes) == summary.frames
    assert dynamic or set(segmenter.batch_sizes) == {1}
    assert not summary.failed and not summary.stopped_early


def test_a_failing_live_stream_ends_alone():
    good, bad = RecordingSink(), RecordingSink()
    streams = [
        Stream("good", FakeSource(40), [good]),
        Stream("bad", FakeSource(None, live=True, fail_at=5, error=OSError("camera gone")), [bad]),
    ]
    summary = run_guarded(Pipeline(streams, BatchingSegmenter(False)))
    assert good.indices == list(range(40))
    assert bad.closed == good.closed == 1
    assert list(summary.failed) == ["bad"]
    assert "camera gone" in str(summary.failed["bad"])
    assert "bad: failed: capture failed: OSError: camera gone" in summary.format()


def test_a_blocked_sink_does_not_hold_up_other_streams():
    blocked, free = RecordingSink(), RecordingSink()
    blocked.gate.clear()
    streams = [Stream("blocked", FakeSource(30), [blocked]), Stream("free", FakeSource(60), [free])]
    done = threading.Event()
    pipeline = Pipeline(
        streams,
        BatchingSegmenter(False),
        lambda name, frame, _: name == "free" and frame.index == 59 and done.set(),
    )
    runner = threading.Thread(target=pipeline.run)
    runner.start()
    try:
        assert done.wait(HANG_GUARD_S), "the free stream waited for the blocked one"
        assert free.indices == list(range(60))
    finally:
        blocked.gate.set()
        runner.join(HANG_GUARD_S)
    assert blocked.indices == list(range(30))


def test_an_inference_failure_stops_every_stream_and_is_raised():
    sinks = [RecordingSink(), RecordingSink()]
    streams = [Stream("a", FakeSource(None), [sinks[0]]), Stream("b", FakeSource(None), [sinks[1]])]
    segmenter = BatchingSegmenter(False, fail_in="infer", fail_at=7)
    with pytest.raises(StageError, match="infer failed: ValueError: infer broke"):
        run_guarded(Pipeline(streams, segmenter))
    assert [sink.closed for sink in sinks] == [1, 1]


def test_after_an_inference_failure_every_stream_writes_what_it_already_holds():
    """Stream "a" fails on its frame 7; "b" (a lost live camera that never delivers again)
    must still end, and every frame inferred before the failure reaches its sink."""
    recorded, live = RecordingSink(delay_s=0.01), RecordingSink()
    camera = SilentCamera()
    streams = [Stream("a", FakeSource(None), [recorded]), Stream("b", camera, [live])]
    segmenter = BatchingSegmenter(False, fail_in="infer", fail_at=7)
    with pytest.raises(StageError, match="infer failed"):
        run_guarded(Pipeline(streams, segmenter))
    assert recorded.indices == list(range(7))
    assert (recorded.closed, live.closed, camera.closed) == (1, 1, True)


def test_stop_ends_every_stream_and_closes_everything():
    sources = [FakeSource(None), FakeSource(None, live=True)]
    sinks = [RecordingSink(), RecordingSink()]
    streams = [Stream(n, s, [k]) for n, s, k in zip("ab", sources, sinks, strict=True)]

    def stop_soon(name: str, frame: Frame, _) -> None:
        if name == "a" and frame.index == 20:
            pipeline.stop()

    pipeline = Pipeline(streams, BatchingSegmenter(False), stop_soon)
    summary = run_guarded(pipeline)
    assert summary.stopped_early
    assert [source.closed >= 1 for source in sources] == [True, True]
    assert [sink.closed for sink in sinks] == [1, 1]


def test_streams_need_unique_names_and_own_trackers():
    tracker = FakeTracker()
    with pytest.raises(ValueError, match="unique"):
        Pipeline([Stream("a", FakeSource()), Stream("a", FakeSource())], FakeSegmenter())
    with pytest.raises(ValueError, match="own Tracker"):
        Pipeline(
            [
                Stream("a", FakeSource(), tracker=tracker),
                Stream("b", FakeSource(), tracker=tracker),
            ],
            BatchingSegmenter(False),
        )


def multi_args(tmp_path, sources, **options) -> argparse.Namespace:
    """``rtseg run`` arguments as the real parser gives them, with ``options`` set."""
    args = build_parser().parse_args(["run", "--device", "cpu"])
    return argparse.Namespace(**{**vars(args), "source": sources, **options})


def test_three_recorded_sources_give_three_complete_outputs(
    tmp_path, fp32_model, highway_clip, short_clip
):
    """Two copies of a clip (its first 2 s) and a folder of stills."""
    media = highway_clip.parent  # its stills (the video in it is not an image)
    stills = len([p for p in media.iterdir() if p.suffix in (".png", ".jpg")])
    args = multi_args(
        tmp_path,
        [str(short_clip), str(short_clip), str(media)],
        model=str(fp32_model),
        jsonl=str(tmp_path / "all.jsonl"),
        output=str(tmp_path / "out.mp4"),
    )
    assert plan_from_args(args).several
    assert run_multi(args) == 0
    records = defaultdict(list)
    for line in (tmp_path / "all.jsonl").read_text().splitlines():
        record = json.loads(line)
        records[record.pop("stream")].append(record)
    clip, clip_2 = records["highway-dashcam-960x540"], records["highway-dashcam-960x540-2"]
    assert [r["frame"] for r in clip] == list(range(SHORT_CLIP_FRAMES))
    assert len(records["media"]) == stills
    assert clip == clip_2  # same input, own tracker: the very same results
    for stream in records.values():
        ids = {d["track_id"] for r in stream for d in r["detections"]}
        assert min(ids) == 1
    for name, frames in [("highway-dashcam-960x540-2", SHORT_CLIP_FRAMES), ("media", stills)]:
        video = cv2.VideoCapture(str(tmp_path / f"out-{name}.mp4"))
        assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == frames
        video.release()


def test_a_live_source_dying_mid_run_does_not_stop_the_others(fp32_model, highway_clip):
    segmenter, workers = load_segmenter(fp32_model, live=True, streams=3, device="cpu")
    sinks = {name: RecordingSink() for name in ("recorded", "ends", "fails")}
    capture = cv2.VideoCapture(str(highway_clip))  # a "camera" that stops sending
    sources = {
        "recorded": open_source(highway_clip),
        "ends": LiveSource(capture, "ending camera"),
        "fails": DyingSource(open_source(highway_clip), frames=10),
    }
    streams = [
        Stream(name, sources[name], [sinks[name]], Tracker(frame_rate=25)) for name in sources
    ]
    summary = run_guarded(Pipeline(streams, segmenter, infer_workers=workers))
    assert sinks["recorded"].indices == list(range(CLIP_FRAMES))
    assert summary.streams["recorded"].error is None
    assert summary.streams["ends"].error is None
    assert 0 < summary.streams["ends"].summary.frames < CLIP_FRAMES  # newest frames only
    assert summary.streams["fails"].summary.frames <= 10
    assert list(summary.failed) == ["fails"]
    assert "connection lost" in str(summary.failed["fails"])
    assert all(sink.closed == 1 for sink in sinks.values())


def test_per_stream_rtsp_url_appends_the_stream_name():
    assert per_stream_url("rtsp://media:8554/live", "front") == "rtsp://media:8554/live-front"
    assert per_stream_url("rtsp://u:p@media/live/", "dock") == "rtsp://u:p@media/live-dock"
