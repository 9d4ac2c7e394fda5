"""Hand memory that loading a model freed back to the system.

Building an inference session parses the model file, optimises the graph and re-lays the
weights; the parsed copies are freed afterwards, but glibc keeps freed heap pages mapped, so
they stay in the process's resident set (about 16 MB for a YOLOv8n-seg session). Trimming
once the model is loaded returns them (README, *Memory*).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    library = ctypes.CDLL(name)
    return library if hasattr(library, "malloc_trim") else None


def release_free_memory() -> bool:
    """Return the heap's free pages to the system (glibc's ``malloc_trim``); False where the C
    library has no such call (musl, macOS, Windows)."""
    library = _glibc()
    if library is None:
        return False
    library.malloc_trim(0)
    return True
