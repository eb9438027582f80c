"""How a large world's build takes memory from the operating system and gives it back.

* Small pages for the build (:func:`small_pages`).  NumPy asks the kernel for transparent huge
  pages for every array of 4 MiB or more.  On a virtual machine whose host takes back the memory
  that processes free, faulting in fresh huge pages costs kernel time: a 1 M-resident build after
  25 s of an idle machine spent 0.52-0.53 s in the kernel with them and 0.18-0.20 s with small
  pages, and took 1.28-1.30 s against 1.02-1.11 s (medians of two runs of
  ``benchmarks/build_pages.py``, 4 builds each).  The day loop is as fast either way, so only the
  build is switched.  ``SAFETYSIM_SMALL_PAGES=0`` leaves NumPy's setting alone (to measure or rule
  it out).
* Freed heap back (:func:`return_freed_heap`).  The build's temporaries (edge keys, sort
  buffers, draws) are freed when it ends, but glibc's allocator keeps part of them as free heap
  inside the process (about 20 MB at a million residents), where it counts toward the process's
  memory for the rest of the run.  ``malloc_trim`` returns those pages.  Elsewhere (no glibc)
  this does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import threading
from typing import Iterator

_pages_lock = threading.Lock()
_small_pages_depth = 0
_huge_before: bool | None = None


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


@functools.cache
def _madvise_switch():
    """NumPy's switch for asking the kernel for huge pages (a private function since NumPy 1.20;
    None if this NumPy has none)."""
    try:
        from numpy._core import multiarray
    except ImportError:  # NumPy 1.x
        from numpy.core import multiarray  # type: ignore[no-redef]
    return getattr(multiarray, "_set_madvise_hugepage", None)


@contextlib.contextmanager
def small_pages() -> Iterator[None]:
    """Arrays allocated inside this block (any thread) do not ask for transparent huge pages.

    Nested and concurrent blocks (the teaching page builds models in threads) switch NumPy off on
    the first entry and back to what it was on the last exit."""
    global _small_pages_depth, _huge_before
    switch = _madvise_switch() if os.environ.get("SAFETYSIM_SMALL_PAGES", "1") != "0" else None
    if switch is None:
        yield
        return
    with _pages_lock:
        if _small_pages_depth == 0:
            _huge_before = bool(switch(False))
        _small_pages_depth += 1
    try:
        yield
    finally:
        with _pages_lock:
            _small_pages_depth -= 1
            if _small_pages_depth == 0:
                switch(_huge_before)
