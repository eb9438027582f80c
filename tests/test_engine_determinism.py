"""The same spec gives identical results inline, on 2 local processes and on a Dask LocalCluster."""

from __future__ import annotations

import pandas as pd
import pytest

from experiments.execution.engine import run_experiment
from experiments.execution.executors import InlineExecutor, make_executor
from experiments.design.spec import load_spec
from experiments.execution.store import load_results
from simulation.errors import InputError


def _toy_spec():
    return load_spec(
        {
            "model": "tests.plugins.testing_models:noisy",
            "scenarios": {"low": {"b": 0.0}, "high": {"b": 2.0}},
            "design": {"kind": "lhs", "n": 5, "factors": {"a": {"low": 0.0, "high": 3.0}}},
            "replicates": 3,
            "root_seed": 2024,
        }
    )


def _results(out) -> pd.DataFrame:
    # elapsed_s is wall time, the one column that may differ
    return load_results(out).drop(columns=["elapsed_s"])


def _abm_available() -> bool:
    try:
        from simulation import load_config, run  # noqa: F401
    except ImportError:
        return False
    return True


def test_toy_results_identical_across_executors(tmp_path):
    spec = _toy_spec()
    inline = run_experiment(spec, tmp_path / "inline", "inline", progress=False)
    assert (inline.done, inline.failed) == (30, 0)
    reference = _results(tmp_path / "inline")
    assert len(reference) == 30

    process = run_experiment(spec, tmp_path / "process", "process", workers=2, progress=False)
    assert (process.done, process.failed) == (30, 0) and process.executor.startswith("process (2 workers")
    pd.testing.assert_frame_equal(_results(tmp_path / "process"), reference)

    dask = run_experiment(spec, tmp_path / "dask", "dask", workers=2, progress=False)
    assert (dask.done, dask.failed) == (30, 0) and dask.executor.startswith("dask")
    pd.testing.assert_frame_equal(_results(tmp_path / "dask"), reference)


def test_worker_count_does_not_change_results(tmp_path):
    spec = _toy_spec()
    with make_executor("process", workers=1) as one:
        run_experiment(spec, tmp_path / "one", one, progress=False)
    with make_executor("process", workers=2) as two:
        run_experiment(spec, tmp_path / "two", two, progress=False)
    pd.testing.assert_frame_equal(_results(tmp_path / "one"), _results(tmp_path / "two"))


def test_one_pool_serves_several_experiments(tmp_path):
    """docs/experiments.md: a session can start the workers once and run several experiments on
    them; the second uses the same worker processes and gives the same results."""
    spec = _toy_spec()
    with make_executor("process", workers=2) as pool:
        first = run_experiment(spec, tmp_path / "first", pool, progress=False)
        workers = set(pool._pool._processes)  # the pool's worker pids
        second = run_experiment(spec, tmp_path / "second", pool, progress=False)
        assert set(pool._pool._processes) == workers and len(workers) == 2
    assert first.done == second.done > 0 and first.failed == second.failed == 0
    pd.testing.assert_frame_equal(_results(tmp_path / "first"), _results(tmp_path / "second"))


def test_inline_executor_returns_finished_futures():
    ex = InlineExecutor()
    ok = ex.submit(pow, 2, 10)
    bad = ex.submit(int, "not a number")
    assert ok.done() and ok.result() == 1024
    assert bad.done() and isinstance(bad.exception(), ValueError)


def test_unknown_executor_is_an_input_error():
    with pytest.raises(InputError, match="expected one of inline, process, dask"):
        make_executor("threads")
    with pytest.raises(InputError, match="only used with executor dask"):
        make_executor("process", scheduler="tcp://localhost:8786")


@pytest.mark.skipif(not _abm_available(), reason="the agent-based model (simulation.run) is not available yet")
@pytest.mark.slow
def test_tiny_abm_identical_inline_process_and_dask(tmp_path):
    spec = load_spec(
        {
            "base": {"world": {"n_residents": 300}, "run": {"days": 20, "warmup_days": 0}},
            "scenarios": {"status_quo": {}, "matched": {"levers.incentives.scheme": "matched"}},
            "replicates": 2,
            "root_seed": 7,
        }
    )
    run_experiment(spec, tmp_path / "inline", "inline", progress=False)
    reference = _results(tmp_path / "inline")
    assert len(reference) == 4 and reference.attrs["kpis"]
    for kind in ("process", "dask"):
        summary = run_experiment(spec, tmp_path / kind, kind, workers=2, progress=False)
        assert summary.failed == 0, summary.failures
        pd.testing.assert_frame_equal(_results(tmp_path / kind), reference)


@pytest.mark.slow
def test_scheduler_address_connects_to_an_existing_cluster(tmp_path):
    from distributed import LocalCluster

    spec = _toy_spec()
    run_experiment(spec, tmp_path / "inline", "inline", progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = run_experiment(spec, tmp_path / "remote", "dask", scheduler=cluster.scheduler_address, progress=False)
        assert summary.failed == 0 and cluster.scheduler_address in summary.executor
        assert len(cluster.scheduler_info["workers"]) == 2  # our client closed; the cluster is still up
    pd.testing.assert_frame_equal(_results(tmp_path / "remote"), _results(tmp_path / "inline"))
