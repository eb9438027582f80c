"""Budget-constrained optimisation: the reported best setting always respects the cap; studies resume."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import yaml

from experiments.commands.commands_engine import cmd_optimize
from experiments.analysis.optimize import run_optimization
from experiments.design.spec import load_spec

CAP = 800_000.0


def _spec_data(n_trials: int = 10, cap: float = CAP) -> dict:
    return {
        "name": "policy_search",
        "model": "tests.plugins.testing_models:policy",
        "replicates": 2,
        "root_seed": 5,
        "executor": {"kind": "inline"},
        "optimize": {
            "objective": {"kpi": "incidents_per_1000", "direction": "minimize"},
            "budget": {"max_cny_per_year": cap},
            "n_trials": n_trials,
            "space": {"training": {"low": 0, "high": 1}, "patrols": {"low": 0, "high": 1}, "scheme": {"levels": ["none", "matched"]}},
        },
    }


def test_best_setting_respects_the_budget_and_has_cis(tmp_path):
    result = run_optimization(load_spec(_spec_data()), tmp_path, progress=False)
    assert result.n_trials == 10 and result.best is not None and result.exit_code == 0
    best = result.best
    assert best["cost_max"] <= CAP
    # every replicate of the reported setting is within budget (read back from the stored runs)
    for key in _best_keys(tmp_path, best["trial"]):
        assert pq.read_table(tmp_path / "runs" / f"{key}.parquet").column("spending_cny_per_year")[0].as_py() <= CAP
    kpi = best["kpis"]["incidents_per_1000"]
    assert kpi["n"] == 2 and kpi["ci_low"] <= kpi["mean"] <= kpi["ci_high"]
    assert kpi["mean"] == best["objective"]

    trials = pd.read_csv(tmp_path / "trials.csv")
    assert len(trials) == 10
    over = trials[trials["feasible"] == False]  # noqa: E712
    assert not over.empty, "the cap should bind for this toy model"
    # the cap matters: some over-budget trial did better than the reported best
    assert over["objective"].min() < best["objective"]
    feasible = trials[trials["feasible"] == True]  # noqa: E712
    assert best["objective"] == feasible["objective"].min()

    on_disk = json.loads((tmp_path / "best.json").read_text())
    assert on_disk["best"]["settings"] == best["settings"]
    assert on_disk["best"]["cost_max"] <= CAP
    best_csv = pd.read_csv(tmp_path / "best.csv")
    assert {"kpi", "mean", "ci_low", "ci_high"} <= set(best_csv.columns)
    for name in ("trial_history.png", "cost_vs_outcome.png"):
        assert (tmp_path / name).stat().st_size > 5_000


def _best_keys(out, trial: int) -> list[str]:
    import optuna

    study = optuna.load_study(study_name="policy_search", storage=f"sqlite:///{out / 'optuna.db'}")
    return study.trials[trial].user_attrs["keys"]


def test_study_resumes_from_sqlite(tmp_path):
    first = run_optimization(load_spec(_spec_data(n_trials=6)), tmp_path, progress=False)
    assert first.n_trials == 6
    shards = len(list((tmp_path / "runs").glob("*.parquet")))
    again = run_optimization(load_spec(_spec_data(n_trials=6)), tmp_path, progress=False)
    assert again.n_trials == 6 and len(list((tmp_path / "runs").glob("*.parquet"))) == shards
    more = run_optimization(load_spec(_spec_data(n_trials=8)), tmp_path, progress=False)
    assert more.n_trials == 8
    assert more.best is not None and more.best["cost_max"] <= CAP


def test_nothing_feasible_is_reported_as_such(tmp_path, capsys):
    spec = tmp_path / "opt.yaml"
    data = _spec_data(n_trials=4, cap=1.0)
    data["optimize"]["space"]["training"] = {"low": 0.5, "high": 1}
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert cmd_optimize(spec, tmp_path / "out", progress=False) == 1
    assert "no feasible setting" in capsys.readouterr().out
    summary = json.loads((tmp_path / "out" / "best.json").read_text())
    assert summary["best"] is None and summary["feasible_trials"] == 0


def test_weighted_objective_and_cli_output(tmp_path, capsys):
    data = _spec_data(n_trials=5)
    data["optimize"]["objective"] = {"weights": {"incidents_per_1000": 1.0, "satisfaction": -10.0}, "direction": "minimize"}
    spec = tmp_path / "opt.yaml"
    spec.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert cmd_optimize(spec, tmp_path / "out", progress=False) == 0
    printed = capsys.readouterr().out
    assert "best within budget" in printed and "95% CI low" in printed
    best = json.loads((tmp_path / "out" / "best.json").read_text())["best"]
    k = best["kpis"]
    assert best["objective"] == k["incidents_per_1000"]["mean"] - 10.0 * k["satisfaction"]["mean"]


def test_an_optimize_on_a_folder_another_writer_holds_is_refused_and_writes_nothing(tmp_path):
    import pytest

    from experiments.execution.guard import FolderBusyError, FolderLock

    out = tmp_path / "out"
    with FolderLock(out):  # another writer (a sweep or an optimize) holds the folder
        with pytest.raises(FolderBusyError, match="is being written by another sweep"):
            run_optimization(load_spec(_spec_data(n_trials=2)), out, progress=False)
        assert sorted(p.name for p in out.iterdir()) == [".lock"]
    result = run_optimization(load_spec(_spec_data(n_trials=2)), out, progress=False)
    assert result.n_trials == 2
    with FolderLock(out):  # released when the study finished
        pass
