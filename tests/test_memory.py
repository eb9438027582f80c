"""Large worlds give the build's freed heap back to the operating system."""

from __future__ import annotations

import platform

import pytest

from simulation import memory


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_freed_heap_is_returned_on_glibc():
    blocks = [bytearray(4096) for _ in range(20_000)]  # ~80 MB of small heap allocations
    del blocks
    assert memory.return_freed_heap() is True
