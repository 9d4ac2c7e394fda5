"""Peak memory (RSS) of ``rtseg run`` as a fresh process, and its speed, variants interleaved.

Each run is ``python -m rtseg run --source CLIP --model MODEL --device cpu --jsonl … --output …``
in a new subprocess. Its peak RSS is the kernel's own figure for that child (``ru_maxrss`` from
``os.wait4``: exact, no sampling gaps); the RSS ``--at`` seconds into the run is sampled from
``/proc/PID/status``. With ``--seconds N`` the run gets ``--loop`` and is stopped with SIGINT
after N seconds (the issue's "looping file" case); without it the clip is run to its end.
The fps is the one the run's own summary prints.

``--variant NAME:KEY=VALUE,KEY=VALUE`` adds a configuration run with those extra environment
variables (e.g. ``arena2:MALLOC_ARENA_MAX=2``, or ``PYTHONPATH=…`` to try a modified copy);
``base`` (no extra environment) always runs. Variants run round-robin ``--repeats`` times and
medians are reported. Example::

    .venv/bin/python scripts/bench_memory.py --repeats 3 --seconds 30 --at 10
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rtseg.cpu import cpu_line, read_cpu

SHARED = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_MODEL = SHARED / "models" / "yolov8n-seg-fp32-320.onnx"
DEFAULT_SOURCE = SHARED / "media" / "highway-dashcam-960x540.mp4"
POLL_S = 0.05
SUMMARY = re.compile(r"^(\d+) frames in [\d.]+ s, ([\d.]+) fps", re.MULTILINE)
KIB = 1024


@dataclass(frozen=True)
class Measurement:
    peak_mb: float  # the child's ru_maxrss
    at_mb: float | None  # RSS ``--at`` seconds after the start (None: it ended sooner)
    fps: float | None  # from the run's summary line
    cpu_ms: float | None  # CPU time (user + system, all threads) per frame


def rss_kib(pid: int) -> int | None:
    """The process's current resident set in KiB, None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def run_once(
    command: list[str], env: dict[str, str], seconds: float | None, at: float
) -> Measurement:
    """Run ``command`` to its end (or SIGINT it after ``seconds``) and measure it."""
    with tempfile.TemporaryFile("w+") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        sampled: list[int | None] = [None]

        def sample() -> None:
            while time.perf_counter() - started < at:
                if process.poll() is not None:
                    return
                time.sleep(POLL_S)
            sampled[0] = rss_kib(process.pid)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stopper = threading.Timer(seconds or 0, process.send_signal, (signal.SIGINT,))
        if seconds is not None:
            stopper.start()
        _, status, usage = os.wait4(process.pid, 0)
        stopper.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        sampler.join()
        stderr.seek(0)
        text = stderr.read()
    if process.returncode not in (0, 128 + signal.SIGINT):
        sys.exit(f"run failed ({process.returncode}): {' '.join(command)}\n{text[-2000:]}")
    summary = SUMMARY.search(text)
    frames = int(summary.group(1)) if summary else 0
    return Measurement(
        peak_mb=usage.ru_maxrss / KIB,
        at_mb=sampled[0] / KIB if sampled[0] is not None else None,
        fps=float(summary.group(2)) if summary else None,
        cpu_ms=1000 * (usage.ru_utime + usage.ru_stime) / frames if frames else None,
    )


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """``NAME:KEY=VALUE,KEY=VALUE`` -> (NAME, {KEY: VALUE})."""
    name, _, assignments = text.partition(":")
    extra = dict(item.split("=", 1) for item in assignments.split(",") if item)
    return name, extra


def median_of(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def shown(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--source", default=str(DEFAULT_SOURCE))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, help="--loop the source, SIGINT after this long")
    parser.add_argument("--at", type=float, default=10.0, help="sample RSS this many s in")
    parser.add_argument("--no-video", action="store_true", help="JSON Lines only, no --output")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:K=V,K=V")
    args = parser.parse_args()
    print(cpu_line(read_cpu()), flush=True)  # results differ from CPU to CPU

    variants = [("base", {})] + [parse_variant(text) for text in args.variant]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        command = [sys.executable, "-m", "rtseg", "run", "--source", args.source]
        command += ["--model", args.model, "--device", args.device, "--jsonl", str(out / "r.jsonl")]
        if not args.no_video:
            command += ["--output", str(out / "r.mp4")]
        if args.seconds is not None:
            command.append("--loop")
        runs: dict[str, list[Measurement]] = {name: [] for name, _ in variants}
        for _ in range(args.repeats):
            for name, extra in variants:
                env = {**os.environ, **extra}
                runs[name].append(run_once(command, env, args.seconds, args.at))

    how = f"--loop, SIGINT after {args.seconds:g} s" if args.seconds else "to the clip's end"
    print(f"rtseg run {Path(args.source).name} {Path(args.model).name} --device {args.device}")
    outputs = "JSON Lines" if args.no_video else "JSON Lines + MP4"
    print(f"outputs: {outputs}; {how}; {args.repeats} runs each")
    at_label = f"@{args.at:g}s MB"
    print(f"{'variant':<14} {'peak MB':>8} {at_label:>9} {'fps':>6} {'CPU ms/frame':>12}   peaks")
    for name, measured in runs.items():
        peak = median_of([m.peak_mb for m in measured])
        at_mb = median_of([m.at_mb for m in measured])
        fps = median_of([m.fps for m in measured])
        cpu = median_of([m.cpu_ms for m in measured])
        peaks = " ".join(f"{m.peak_mb:.0f}" for m in measured)
        print(
            f"{name:<14} {shown(peak):>8} {shown(at_mb):>9} {shown(fps):>6} {shown(cpu):>12}"
            f"   {peaks}"
        )


if __name__ == "__main__":
    main()
