"""What the engine does to make a sweep's runs cheap changes no number, and does what it says.

A sweep's runs share worlds seed by seed (world cache), make no Mesa agent objects and, with many
runs per worker, use the compiled daily loops at every world size.  Each is compared with the
plain run here; the order of the runs is checked through the cache's hit count.
"""

from __future__ import annotations

import pandas as pd
import pytest

from experiments.execution import engine
from experiments.execution.engine import run_experiment
from experiments.design.spec import load_spec
from experiments.execution.store import load_results
from simulation import agents, kernels, world_cache


def _spec():
    return load_spec(
        {
            "base": {"world": {"n_residents": 1200, "n_districts": 2, "communities_per_district": 2},
                     "run": {"days": 40, "warmup_days": 5}},
            "scenarios": {"status_quo": {}, "matched": {"levers.incentives.scheme": "matched"},
                          "trained": {"levers.training.coverage": 0.6}},
            "replicates": 3,
            "root_seed": 11,
        }
    )


def _results(out) -> pd.DataFrame:
    return load_results(out).drop(columns=["elapsed_s"])


@pytest.fixture(autouse=True)
def fresh_cache():
    world_cache.clear()
    yield
    world_cache.clear()


def test_sweep_settings_give_the_plain_runs_numbers(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "COMPILED_LOOPS_MIN_RUNS", 1)  # 9 runs on one worker: loops on
    made = []
    original = kernels.enabled

    def spy(model):
        made.append(original(model))
        return made[-1]

    monkeypatch.setattr(kernels, "enabled", spy)  # the processes call kernels.enabled(model)
    fast = run_experiment(_spec(), tmp_path / "fast", "inline", progress=False)
    assert fast.failed == 0 and fast.done == 9
    assert made and all(made)  # the compiled loops ran although the world is small
    assert world_cache.stats["hits"] == 6  # 3 seeds built, 6 runs reused them

    world_cache.clear()
    made.clear()
    monkeypatch.setattr(engine, "COMPILED_LOOPS_MIN_RUNS", 10**9)
    monkeypatch.setenv("SAFETYSIM_WORLD_CACHE", "0")
    plain = run_experiment(_spec(), tmp_path / "plain", "inline", progress=False)
    assert plain.failed == 0 and not any(made) and world_cache.stats == {"hits": 0, "misses": 0}
    pd.testing.assert_frame_equal(_results(tmp_path / "fast"), _results(tmp_path / "plain"))


def test_runs_go_seed_by_seed_so_a_small_cache_still_hits(tmp_path, monkeypatch):
    """With room for one world, scenario-by-scenario order would build every run's world anew."""
    monkeypatch.setattr(world_cache, "MAX_ENTRIES", 1)
    summary = run_experiment(_spec(), tmp_path / "out", "inline", progress=False)
    assert summary.done == 9
    assert world_cache.stats == {"hits": 6, "misses": 3}


def test_engine_runs_make_no_mesa_agents(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a sweep run made a Mesa agent view")

    monkeypatch.setattr(agents.Resident, "__init__", refuse)
    monkeypatch.setattr(agents.PoliceOfficer, "__init__", refuse)
    summary = run_experiment(_spec(), tmp_path / "out", "inline", progress=False)
    assert summary.failed == 0 and summary.done == 9


PATH_CONFIGS = ("baseline.yaml", "paths/p1_subjects.yaml", "paths/p2_systems.yaml", "paths/p3_culture.yaml",
                "paths/p4_strategies.yaml", "paths/all_paths.yaml")


@pytest.mark.parametrize("config", PATH_CONFIGS)
def test_state_on_the_last_day_only_gives_the_same_summary(config):
    """``daily_state=False`` (the engine's setting when no daily table is kept) skips the daily
    means and factor indices, not a KPI: the summary, the district table and every count of every
    day are the full run's; the state columns are there on the last day only."""
    from pathlib import Path

    from simulation import metrics, run

    cfg = Path(__file__).resolve().parents[1] / "configs" / config
    over = {"world.n_residents": 3000, "run.days": 60, "run.warmup_days": 10}
    full = run(cfg, seed=5, overrides=over)
    lean = run(cfg, seed=5, overrides=over, daily_state=False)
    assert lean.summary == full.summary
    pd.testing.assert_frame_equal(lean.districts, full.districts)
    assert lean.constraints == full.constraints
    state = list(metrics.STATE_KEYS)
    counts = [c for c in full.timeseries.columns if c not in state]
    assert set(full.timeseries.columns) == set(lean.timeseries.columns)
    pd.testing.assert_frame_equal(lean.timeseries[counts], full.timeseries[counts])
    assert lean.timeseries[state].iloc[:-1].isna().all().all()
    pd.testing.assert_series_equal(lean.timeseries[state].iloc[-1], full.timeseries[state].iloc[-1])


def test_engine_keeps_state_daily_only_when_the_daily_table_is_kept(tmp_path, monkeypatch):
    from simulation import metrics

    asked = []
    original = metrics.daily_record

    def spy(model, state=True):
        asked.append(state)
        return original(model, state)

    monkeypatch.setattr(metrics, "daily_record", spy)
    spec = _spec().model_copy(update={"replicates": 1})
    run_experiment(spec, tmp_path / "lean", "inline", progress=False)
    assert asked.count(True) == 3 and asked.count(False) == 3 * 39  # 3 runs of 40 days: the last day only
    asked.clear()
    daily = spec.model_copy(update={"outputs": spec.outputs.model_copy(update={"daily": True})})
    run_experiment(daily, tmp_path / "daily", "inline", progress=False)
    assert asked and all(asked)
