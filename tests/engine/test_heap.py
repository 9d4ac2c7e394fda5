"""Trimming the heap after loading a model gives freed pages back to the system."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import pytest

from rtseg.engine.heap import release_free_memory

FREED_THEN_TRIMMED = """
import json
from rtseg.engine.heap import release_free_memory

def rss_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

# 100 MB in 64 KiB blocks (below glibc's mmap size, so in the heap), each followed by a small
# block that stays: freeing the big ones leaves holes that free() alone cannot give back.
blocks, pins = [], []
for _ in range(1600):
    blocks.append(bytearray(64 * 1024))
    pins.append(bytearray(2048))
del blocks
freed = rss_kib()
trimmed = release_free_memory()
print(json.dumps({"trimmed": trimmed, "freed": freed, "after": rss_kib()}))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_freed_heap_pages_leave_the_resident_set():
    done = subprocess.run(
        [sys.executable, "-c", FREED_THEN_TRIMMED], capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout)
    assert found["trimmed"] is True
    assert found["freed"] - found["after"] > 80 * 1024  # of the 100 MB freed, in KiB


def test_returns_whether_the_c_library_can_trim():
    assert release_free_memory() is (platform.libc_ver()[0] == "glibc")
