"""Every benchmark in scripts/ starts its output with the CPU's model and ISA flags, since its
figures differ from CPU to CPU."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rtseg.cpu import cpu_line, read_cpu

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
CPU_LINE_CALL = "print(cpu_line(read_cpu())"


@pytest.mark.parametrize("script", sorted(SCRIPTS.glob("bench_*.py")), ids=lambda path: path.name)
def test_every_benchmark_prints_the_cpu(script: Path):
    assert CPU_LINE_CALL in script.read_text()


def test_a_benchmark_output_starts_with_the_cpu_line():
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "bench_tracker.py"), "--tracks", "2", "--frames", "12"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == cpu_line(read_cpu())
