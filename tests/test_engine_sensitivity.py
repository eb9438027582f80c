"""Sensitivity analysis recovers known indices: Sobol on Ishigami, Morris on a linear model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.execution.engine import run_experiment
from experiments.analysis.sensitivity import IncompleteResults, analyze
from experiments.design.spec import load_spec
from simulation.errors import InputError

PI = float(np.pi)
# Analytic Ishigami (a=7, b=0.1) indices
S1_TRUE = [0.314, 0.442, 0.0]
ST_TRUE = [0.558, 0.442, 0.244]


def test_sobol_recovers_ishigami_indices(tmp_path):
    spec = load_spec(
        {
            "model": "tests.plugins.testing_models:ishigami",
            "design": {"kind": "sobol", "n": 1024, "factors": {f"x{i}": {"low": -PI, "high": PI} for i in (1, 2, 3)}},
            "replicates": 1,
            "root_seed": 1,
            "executor": {"kind": "inline"},
        }
    )
    summary = run_experiment(spec, tmp_path, progress=False)
    assert summary.done == 1024 * 5
    frame = analyze(spec, tmp_path)
    y = frame[frame["kpi"] == "y"].set_index("factor").loc[["x1", "x2", "x3"]]
    # SALib's own regression tolerance for Ishigami at this N
    np.testing.assert_allclose(y["S1"], S1_TRUE, atol=0.05)
    np.testing.assert_allclose(y["ST"], ST_TRUE, atol=0.05)
    assert (y["S1_conf"] > 0).all() and (y["ST_conf"] > 0).all()

    folder = tmp_path / "sensitivity"
    table = pd.read_csv(folder / "indices.csv")
    assert list(table.columns[:7]) == ["scenario", "kpi", "factor", "S1", "S1_conf", "ST", "ST_conf"]
    assert "| x2 |" in (folder / "indices.md").read_text()
    assert (folder / "y.png").stat().st_size > 5_000


def test_morris_ranks_a_linear_model_exactly(tmp_path):
    # y = 2a - b + noise(seed); common random numbers make the noise identical at every point
    spec = load_spec(
        {
            "model": "tests.plugins.testing_models:noisy",
            "design": {"kind": "morris", "n": 10, "num_levels": 4, "factors": {"a": {"low": 0, "high": 1}, "b": {"low": 0, "high": 1}}},
            "outputs": {"kpis": ["y"]},
            "replicates": 2,
            "root_seed": 3,
            "executor": {"kind": "inline"},
        }
    )
    run_experiment(spec, tmp_path, progress=False)
    frame = analyze(spec, tmp_path).set_index("factor")
    assert frame.loc["a", "mu_star"] == pytest.approx(2.0)
    assert frame.loc["b", "mu_star"] == pytest.approx(1.0)
    assert frame.loc["a", "mu"] == pytest.approx(2.0) and frame.loc["b", "mu"] == pytest.approx(-1.0)
    assert frame["sigma"].abs().max() == pytest.approx(0.0, abs=1e-9)  # linear: no interactions
    assert (tmp_path / "sensitivity" / "y.png").is_file()


def test_analysis_refuses_incomplete_or_wrong_designs(tmp_path):
    data = {
        "model": "tests.plugins.testing_models:flaky",
        "base": {"fail_at": 0.5},
        "design": {"kind": "morris", "n": 4, "factors": {"x": {"levels": [0.5, 1.0]}, "fail_at": {"levels": [0.5, 2.0]}}},
        "executor": {"kind": "inline"},
    }
    spec = load_spec(data)
    run_experiment(spec, tmp_path / "a", progress=False)
    with pytest.raises(IncompleteResults, match="design points have no result"):
        analyze(spec, tmp_path / "a")
    grid = load_spec({**data, "design": {"kind": "grid", "factors": {"x": {"values": [1.0]}}}})
    with pytest.raises(InputError, match="expected sobol or morris"):
        analyze(grid, tmp_path / "a")
