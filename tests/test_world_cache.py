"""The per-process world cache: same results as building anew, no leaks between runs, bounded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation import load_config, run, world_cache
from simulation.model import CommunitySafetyModel


def _cfg(**over):
    base = {"world.n_residents": 1500, "world.n_districts": 2, "world.communities_per_district": 2,
            "run.days": 25, "run.warmup_days": 5}
    return load_config(None).with_overrides({**base, **over})


def _table(cfg, seed, cached):
    with world_cache.active(cached):
        return run(cfg, seed=seed).timeseries


@pytest.fixture(autouse=True)
def fresh_cache():
    world_cache.clear()
    yield
    world_cache.clear()


def test_cached_runs_equal_fresh_builds_across_scenarios():
    a = _cfg()
    b = _cfg(**{"levers.training.coverage": 0.6, "levers.incentives.budget_cny_per_year": 100000})
    fresh_a, fresh_b = _table(a, 7, False), _table(b, 7, False)
    assert world_cache.stats == {"hits": 0, "misses": 0}
    # a (builds and caches), b (hit: a's world after a ran), a again (hit after b ran)
    first_a, hit_b, hit_a = _table(a, 7, True), _table(b, 7, True), _table(a, 7, True)
    assert world_cache.stats == {"hits": 2, "misses": 1}
    pd.testing.assert_frame_equal(first_a, fresh_a)
    pd.testing.assert_frame_equal(hit_b, fresh_b)
    pd.testing.assert_frame_equal(hit_a, fresh_a)
    assert not fresh_a.equals(fresh_b)  # the scenarios differ, so equality above means something


def test_a_cached_large_world_leaves_every_stream_as_its_build_did():
    """A world of model.PARALLEL_BUILD_MIN residents draws from three streams (build, population,
    network): a hit puts each where the fresh build left it, so all streams match, not only those
    the days draw from."""
    from benchmarks.scaling import CITY, world_overrides
    from simulation.model import PARALLEL_BUILD_MIN, STREAMS

    cfg = load_config(CITY).with_overrides({**world_overrides(PARALLEL_BUILD_MIN), "run.warmup_days": 0})
    fresh = CommunitySafetyModel(cfg, seed=4)
    with world_cache.active():
        CommunitySafetyModel(cfg, seed=4)
        hit = CommunitySafetyModel(cfg, seed=4)
    assert world_cache.stats == {"hits": 1, "misses": 1}
    for name in STREAMS:
        assert hit.streams[name].bit_generator.state == fresh.streams[name].bit_generator.state, name


def test_key_separates_seeds_and_world_parameters():
    _table(_cfg(), 1, True)
    _table(_cfg(), 2, True)
    _table(_cfg(**{"world.n_residents": 1600}), 1, True)
    _table(_cfg(**{"participation.registration_rate_per_year": 0.9}), 1, True)
    assert world_cache.stats["hits"] == 0 and world_cache.stats["misses"] == 4


def test_hit_hands_out_private_copies_and_a_read_only_network():
    cfg = _cfg()
    with world_cache.active():
        m1 = CommunitySafetyModel(cfg, seed=3)
        m2 = CommunitySafetyModel(cfg, seed=3)
    assert world_cache.stats["hits"] == 1
    assert m1.pop is not m2.pop and m1.places is not m2.places and m1.orgs is not m2.orgs
    m1.pop.awareness[:] = 0.0  # a run writing its population leaves the other untouched
    assert m2.pop.awareness.max() > 0
    with pytest.raises(ValueError):
        m2.network.indices[0] = 0


def test_off_by_default_and_bounded(monkeypatch):
    CommunitySafetyModel(_cfg(), seed=1)
    assert world_cache.stats == {"hits": 0, "misses": 0} and not world_cache._entries
    monkeypatch.setattr(world_cache, "MAX_ENTRIES", 2)
    for seed in range(4):
        with world_cache.active():
            CommunitySafetyModel(_cfg(), seed=seed)
    assert len(world_cache._entries) == 2
    monkeypatch.setattr(world_cache, "MAX_BYTES", 1)
    world_cache.clear()
    with world_cache.active():
        CommunitySafetyModel(_cfg(), seed=1)
    assert not world_cache._entries  # larger than the budget: not kept
