"""Give the memory freed by a large world's build back to the operating system.

Why: the build's temporaries (edge keys, sort buffers, draws) are freed when it ends, but glibc's
allocator keeps part of them as free heap inside the process (about 20 MB at a million
residents), where it counts toward the process's memory for the rest of the run.  ``malloc_trim``
returns those pages.  Elsewhere (no glibc) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


def return_freed_heap() -> bool:
    """Return free heap pages to the operating system; True where the C library supports it."""
    trim = _trim()
    if trim is None:
        return False
    trim(0)
    return True
