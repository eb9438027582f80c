"""Real clients of the model: Mesa's batch_run, EMA Workbench, a Dask cluster of separate processes."""

from __future__ import annotations

import inspect

import mesa
import pytest

from simulation import CommunitySafetyModel
from simulation.model import replicate_seed

BATCH = {"n_residents": 300, "days": 12, "warmup_days": 0}
KPIS = ("registered_volunteers", "active_volunteers", "incidents", "fraud_victims", "satisfaction")


def _batch(number_processes: int, **params):
    rows = mesa.batch_run(CommunitySafetyModel, parameters={**BATCH, **params}, max_steps=100,
                          number_processes=number_processes, data_collection_period=-1, display_progress=False)
    return sorted((r.get("replicate"), tuple(r[k] for k in KPIS if k in r)) for r in rows)


def test_batch_run_replicates_are_distinct_and_reproducible():
    first = _batch(1, replicate=[0, 1, 2])
    assert [rep for rep, _ in first] == [0, 1, 2]
    assert len({kpis for _, kpis in first}) == 3  # three different runs, not one repeated
    assert _batch(1, replicate=[0, 1, 2]) == first  # same call, same rows
    assert _batch(2, replicate=[0, 1, 2]) == first  # whatever the process count


def test_replicate_seeds_follow_the_config_seed_and_leave_the_default_alone():
    assert len({replicate_seed(5, k) for k in range(100)}) == 100
    assert replicate_seed(5, 0) != replicate_seed(6, 0)
    m = CommunitySafetyModel(None, replicate=3, **BATCH)
    assert m.seed_value == replicate_seed(m.cfg.run.seed, 3)
    assert CommunitySafetyModel(None, **BATCH).seed_value == m.cfg.run.seed  # no replicate: run.seed as before


@pytest.mark.skipif("rng" not in inspect.signature(mesa.batch_run).parameters, reason="Mesa < 3.4 has no batch_run(rng=...)")
def test_batch_run_rng_list_gives_distinct_reproducible_runs():
    def go():
        rows = mesa.batch_run(CommunitySafetyModel, parameters=BATCH, rng=[11, 12, 13], max_steps=100,
                              number_processes=1, data_collection_period=-1, display_progress=False)
        return [tuple(r[k] for k in KPIS if k in r) for r in rows]

    a = go()
    assert len(set(a)) == 3 and go() == a
