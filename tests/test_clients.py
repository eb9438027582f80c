"""Real clients of the model: Mesa's batch_run, EMA Workbench, a Dask cluster of separate processes."""

from __future__ import annotations

import inspect

import mesa
import numpy as np
import pytest

from simulation import CommunitySafetyModel
from simulation.model import replicate_seed

BATCH = {"n_residents": 300, "days": 12, "warmup_days": 0}
KPIS = ("registered_volunteers", "active_volunteers", "incidents", "fraud_victims", "satisfaction")


def _batch(number_processes: int, **params):
    rows = mesa.batch_run(CommunitySafetyModel, parameters={**BATCH, **params}, max_steps=100,
                          number_processes=number_processes, data_collection_period=-1, display_progress=False)
    return sorted((r.get("replicate"), tuple(r[k] for k in KPIS if k in r)) for r in rows)


@pytest.mark.slow
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


# -- EMA Workbench --------------------------------------------------------------------------

EMA_SPEC = {
    "name": "ema-small",
    "base": {"run": {"days": 8, "warmup_days": 0, "seed": 3},
             "world": {"n_residents": 300, "communities_per_district": 2, "places_per_community": 4}},
    "design": {"kind": "lhs", "n": 4, "factors": {
        "levers.training.coverage": {"low": 0.0, "high": 0.6},
        "levers.incentives.scheme": {"levels": ["none", "matched"]},
        "participation.young_time_cost": {"low": 0.0, "high": 0.4},
    }},
    "outputs": {"kpis": ["incidents_per_1000", "registered_volunteers", "spending_cny_per_year"]},
    "root_seed": 11,
}


@pytest.mark.slow
def test_ema_model_from_spec_runs_identically_on_sequential_and_multiprocessing_evaluators():
    ema = pytest.importorskip("ema_workbench")
    from experiments.clients.ema import ema_model
    from experiments.design.spec import load_spec

    model = ema_model(load_spec(EMA_SPEC))
    assert [p.name for p in model.levers] == ["levers__training__coverage", "levers__incentives__scheme"]
    assert [p.name for p in model.uncertainties] == ["participation__young_time_cost"]
    assert [o.name for o in model.outcomes] == EMA_SPEC["outputs"]["kpis"]

    def go(evaluator_cls, **kw):
        # Same experiments for both: EMA 3 samplers take an rng, EMA 2 draw from numpy's global state.
        seeded = {} if int(ema.__version__.split(".")[0]) < 3 else {"uncertainty_sampling_kwargs": {"rng": 5}, "lever_sampling_kwargs": {"rng": 6}}
        np.random.seed(5)
        with evaluator_cls(model, **kw) as evaluator:
            return ema.perform_experiments(model, scenarios=2, policies=2, evaluator=evaluator, **seeded)

    seq_x, seq_y = go(ema.SequentialEvaluator)
    mp_x, mp_y = go(ema.MultiprocessingEvaluator, n_processes=2)
    assert len(seq_x) == 4
    cols = ["levers__training__coverage", "levers__incentives__scheme", "participation__young_time_cost"]
    assert seq_x[cols].astype(str).equals(mp_x[cols].astype(str))
    for k in EMA_SPEC["outputs"]["kpis"]:
        assert list(seq_y[k]) == list(mp_y[k])  # bit-identical, not approximately
    assert len(set(seq_y["spending_cny_per_year"])) > 1  # the levers reach the model


def test_ema_function_matches_the_engine_on_a_plug_in_model():
    import math

    pytest.importorskip("ema_workbench")
    from experiments.clients.ema import ema_model
    from experiments.design.spec import load_spec

    spec = load_spec({"model": "tests.plugins.testing_models:ishigami",
                      "design": {"kind": "lhs", "n": 4, "factors": {k: {"low": -3.14, "high": 3.14} for k in ("x1", "x2", "x3")}},
                      "outputs": {"kpis": ["y"]}})
    model = ema_model(spec)
    assert [p.name for p in model.uncertainties] == ["x1", "x2", "x3"] and list(model.levers) == []
    y = model.function(x1=1.0, x2=2.0, x3=0.5)["y"]
    assert y == pytest.approx(math.sin(1.0) + 7.0 * math.sin(2.0) ** 2 + 0.1 * 0.5 ** 4 * math.sin(1.0))


# -- a Dask cluster of separate processes ----------------------------------------------------

DASK_SPEC = {
    "name": "dask-small",
    "base": {"run": {"days": 6, "warmup_days": 0, "seed": 3},
             "world": {"n_residents": 300, "communities_per_district": 2, "places_per_community": 4}},
    "design": {"kind": "grid", "factors": {"levers.training.coverage": {"values": [0.0, 0.5]}}},
    "replicates": 2,
    "root_seed": 21,
}


def _wait_for(path, proc, timeout: float) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"dask process did not start (exit {proc.poll()})")
        time.sleep(0.2)


@pytest.mark.slow
def test_sweep_on_a_dask_cluster_of_separate_processes_equals_inline(tmp_path):
    """`dask scheduler` and `dask worker` started as their own processes on loopback, as on a real cluster."""
    import json
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from distributed import Client

    from experiments.design.spec import load_spec
    from experiments.execution.engine import run_experiment
    from experiments.execution.store import load_results

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    sched_file = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    procs = []
    try:
        procs.append(subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                       "--scheduler-file", str(sched_file)], env=env, cwd=tmp_path,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_for(sched_file, procs[0], 60)
        address = json.loads(sched_file.read_text())["address"]
        procs.append(subprocess.Popen([*dask, "worker", "--scheduler-file", str(sched_file), "--nworkers", "2", "--nthreads", "1",
                                       "--host", "127.0.0.1", "--no-dashboard"], env=env, cwd=tmp_path,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=90)
        spec = load_spec(DASK_SPEC)
        started = time.monotonic()
        remote = run_experiment(spec, tmp_path / "remote", scheduler=address, progress=False)
        assert remote.failed == 0 and remote.done == 4 and address in remote.executor
        assert time.monotonic() - started < 120
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
    run_experiment(load_spec(DASK_SPEC), tmp_path / "inline", "inline", progress=False)
    a = load_results(tmp_path / "remote", include_meta=False)
    b = load_results(tmp_path / "inline", include_meta=False)
    assert len(a) == 4
    import pandas as pd

    pd.testing.assert_frame_equal(a, b)
