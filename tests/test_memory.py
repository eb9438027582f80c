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


def _huge_pages_on() -> bool:
    switch = memory._madvise_switch()
    before = switch(True)  # the switch returns the setting it replaces
    switch(before)
    return bool(before)


@pytest.mark.skipif(memory._madvise_switch() is None, reason="this NumPy has no huge-page switch")
def test_build_asks_for_small_pages_and_restores_numpys_setting(monkeypatch):
    monkeypatch.delenv("SAFETYSIM_SMALL_PAGES", raising=False)
    switch = memory._madvise_switch()
    numpys_own = _huge_pages_on()
    try:
        for initial in (True, False):
            switch(initial)
            with memory.small_pages():
                assert _huge_pages_on() is False
                with memory.small_pages():  # nested (or another thread's build): still off
                    assert _huge_pages_on() is False
                assert _huge_pages_on() is False
            assert _huge_pages_on() is initial
    finally:
        switch(numpys_own)


@pytest.mark.skipif(memory._madvise_switch() is None, reason="this NumPy has no huge-page switch")
def test_small_pages_can_be_switched_off_and_the_model_builds_inside(monkeypatch):
    from simulation.model import CommunitySafetyModel

    seen = []
    real = memory.small_pages

    def spy():
        seen.append(True)
        return real()

    monkeypatch.setattr(memory, "small_pages", spy)
    CommunitySafetyModel(n_residents=300, seed=1)
    assert seen == [True]
    monkeypatch.setenv("SAFETYSIM_SMALL_PAGES", "0")
    before = _huge_pages_on()
    with memory.small_pages():
        assert _huge_pages_on() is before  # NumPy's setting left alone
