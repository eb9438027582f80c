"""The shipped experiment specs load, validate against the model, and expand to the intended runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.execution.engine import plan_runs, run_experiment
from experiments.design.spec import load_spec
from experiments.execution.store import load_daily, load_results
from simulation.errors import InputError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _abm_available() -> bool:
    try:
        from simulation import load_config, run  # noqa: F401
    except ImportError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _abm_available(), reason="the agent-based model (simulation.run) is not available yet")


def test_grid_sweep_config_expands_to_the_grid():
    spec = load_spec(CONFIGS / "sweep_incentives_training.yaml")
    plan = plan_runs(spec)
    assert len(plan) == 4 * 3 * 5
    assert {p.factors["levers.training.coverage"] for p in plan} == {0.1, 0.3, 0.6}


def test_sensitivity_config_is_a_sobol_design():
    spec = load_spec(CONFIGS / "sensitivity.yaml")
    assert spec.design.kind == "sobol"
    assert len(plan_runs(spec)) == spec.design.n * (len(spec.design.factors) + 2) * spec.replicates


def test_optimize_config_has_a_budget_and_a_space():
    spec = load_spec(CONFIGS / "optimize_budget.yaml")
    assert spec.optimize.budget.max_cny_per_year > 0
    assert "levers.training.coverage" in spec.optimize.space


def test_unknown_model_parameter_is_a_one_line_error_with_a_suggestion():
    with pytest.raises(InputError) as info:
        load_spec({"design": {"kind": "grid", "factors": {"levers.trainin.coverage": {"values": [0.1]}}}})
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("design.factors[levers.trainin.coverage]: 'levers.trainin.coverage' is not a model parameter")
    assert "did you mean 'levers.training.coverage'" in message


def test_out_of_range_model_value_names_the_spec_field():
    with pytest.raises(InputError) as info:
        load_spec({"design": {"kind": "lhs", "n": 4, "factors": {"levers.training.coverage": {"low": 0.0, "high": 1.5}}}})
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("design.factors[levers.training.coverage].high: ") and "1.5" in message


def test_tiny_abm_sweep_stores_daily_series(tmp_path):
    spec = load_spec(
        {
            "base": {"world": {"n_residents": 300}, "run": {"days": 15, "warmup_days": 0}},
            "design": {"kind": "explicit", "factors": {"levers.training.coverage": {"values": [0.1, 0.9]}}},
            "replicates": 1,
            "outputs": {"kpis": ["incidents_per_1000", "spending_cny_per_year"], "daily": True},
            "executor": {"kind": "inline"},
        }
    )
    summary = run_experiment(spec, tmp_path, progress=False)
    assert (summary.done, summary.failed) == (2, 0)
    runs = load_results(tmp_path)
    assert runs.attrs["kpis"] == ["incidents_per_1000", "spending_cny_per_year"]
    daily = load_daily(tmp_path)
    assert len(daily) == 2 * 15 and set(daily["run_key"]) == set(runs["run_key"])
    assert {"run_key", "scenario", "replicate", "seed", "day"} <= set(daily.columns)
