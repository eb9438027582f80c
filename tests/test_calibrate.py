"""``safetysim calibrate``: a tiny ABC-SMC run writes every output, recovers a planted parameter,
resumes to the same result, gives the same result on a process pool, and rejects bad specs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.analysis.calibrate import Simulator, calibrate, weighted_quantile
from experiments.design.calibrate_spec import FactSpec, load_calibration_spec
from experiments.execution.executors import make_executor
from simulation.config import load_config
from simulation.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
PARAM = "participation.intrinsic_mean"
PLANTED = 0.55
TINY = {"world.n_residents": 1000, "world.communities_per_district": 2, "run.days": 60, "run.warmup_days": 10}


def _planted_target() -> list[float]:
    """Active share that PLANTED reproduces (mean of 3 seeds), +-0.05: the synthetic fact."""
    cfg = load_config(str(ROOT / "configs" / "baseline.yaml")).with_overrides(TINY)
    sim = Simulator(cfg.canonical_json(), [PARAM], [FactSpec(statistic="active_share", target=[0, 1])], 1, False)
    share = float(np.mean([sim.statistics({PARAM: PLANTED}, seed)["s0"] for seed in (101, 102, 103)]))
    return [round(share - 0.05, 4), round(share + 0.05, 4)]


def _spec(target: list[float], generations: int = 2, **extra) -> dict:
    return {
        "name": "tiny", "base": str(ROOT / "configs" / "baseline.yaml"), "overrides": dict(TINY),
        "priors": {PARAM: {"dist": "uniform", "low": 0.2, "high": 0.9}},
        "facts": [{"fact": "1", "statistic": "active_share", "target": target}],
        "population_size": 12, "generations": generations, "max_simulations": 400,
        "predictive": {"draws": 5}, "executor": {"kind": "inline"}, "root_seed": 3, **extra,
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One 2-generation run; one 1-generation run then continued to 2 in the same folder; a
    1-generation run on a 2-worker process pool."""
    base = tmp_path_factory.mktemp("calib")
    target = _planted_target()
    with make_executor("inline") as ex:
        calibrate(load_calibration_spec(_spec(target)), base / "full", ex)
        calibrate(load_calibration_spec(_spec(target, generations=1)), base / "resumed", ex)
        one_gen = pd.read_parquet(base / "resumed" / "posterior.parquet")
        calibrate(load_calibration_spec(_spec(target)), base / "resumed", ex)
    with make_executor("process", 2) as ex:
        calibrate(load_calibration_spec(_spec(target, generations=1)), base / "pool", ex)
    return base, target, one_gen


def test_writes_every_output(runs):
    base, _, _ = runs
    out = base / "full"
    for name in ("abc.db", "posterior.parquet", "diagnostics.csv", "posterior_marginals.png", "posterior_pairs.png", "predictive.csv", "report.md"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    post = pd.read_parquet(out / "posterior.parquet")
    assert list(post.columns) == [PARAM, "weight"]
    assert len(post) == 12
    assert post["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (post["weight"] > 0).all()
    assert post[PARAM].between(0.2, 0.9).all()
    diag = pd.read_csv(out / "diagnostics.csv")
    assert list(diag.columns) == ["generation", "epsilon", "particles", "simulations", "acceptance_rate", "ess"]
    assert list(diag["generation"]) == [0, 1]
    assert diag["epsilon"].iloc[1] <= diag["epsilon"].iloc[0]
    assert ((diag["acceptance_rate"] > 0) & (diag["acceptance_rate"] <= 1)).all()
    assert (diag["ess"] <= 12 + 1e-9).all() and (diag["ess"] >= 1).all()
    report = (out / "report.md").read_text()
    assert "| fact 1: active_share |" in report and "pass share" in report
    assert f"`{PARAM}`" in report


def test_recovers_planted_parameter(runs):
    base, _, _ = runs
    post = pd.read_parquet(base / "full" / "posterior.parquet")
    x, w = post[PARAM].to_numpy(), post["weight"].to_numpy()
    lo, hi = weighted_quantile(x, w, 0.05), weighted_quantile(x, w, 0.95)
    assert lo - 0.03 <= PLANTED <= hi + 0.03
    assert hi - lo < 0.25 * (0.9 - 0.2)  # far narrower than the prior


def test_resume_continues_to_the_same_result(runs):
    base, _, one_gen = runs
    full = pd.read_parquet(base / "full" / "posterior.parquet")
    resumed = pd.read_parquet(base / "resumed" / "posterior.parquet")
    pd.testing.assert_frame_equal(full, resumed)
    assert len(pd.read_csv(base / "resumed" / "diagnostics.csv")) == 2
    assert not one_gen.equals(full)  # the second generation did run


def test_process_pool_matches_inline(runs):
    base, _, one_gen = runs
    pd.testing.assert_frame_equal(one_gen, pd.read_parquet(base / "pool" / "posterior.parquet"))


def test_rerun_of_another_spec_in_the_same_folder_is_refused(runs):
    base, target, _ = runs
    with make_executor("inline") as ex, pytest.raises(InputError, match="another spec"):
        calibrate(load_calibration_spec(_spec(target, root_seed=4)), base / "full", ex)


@pytest.mark.parametrize("change, message", [
    ({"popsize": 3}, "popsize: unknown key; did you mean 'population_size'?"),
    ({"priors": {PARAM: {"dist": "beta", "low": 0.2, "high": 0.9}}}, "priors[participation.intrinsic_mean].dist: 'beta' is not allowed; expected one of 'uniform'"),
    ({"priors": {PARAM: {"dist": "uniform", "low": 0.9, "high": 0.2}}}, "priors[participation.intrinsic_mean].high: 0.2 is not allowed"),
    ({"priors": {"participation.intrinsic_mea": {"dist": "uniform", "low": 0.2, "high": 0.9}}}, "is not a model parameter; did you mean 'participation.intrinsic_mean'?"),
    ({"priors": {PARAM: {"dist": "uniform", "low": 0.2, "high": 1.5}}}, "priors[participation.intrinsic_mean].high"),
    ({"priors": {PARAM: {"dist": "normal", "low": 0.2, "high": 0.9}}}, "normal prior needs mean and sd"),
    ({"facts": [{"statistic": "active_shares", "target": [0.4, 0.6]}]}, "facts[0].statistic: 'active_shares' is not allowed; did you mean 'active_share'?"),
    ({"facts": [{"statistic": "active_share", "target": [0.6, 0.4]}]}, "facts[0].target"),
])
def test_bad_spec_is_one_line(change, message):
    spec = _spec([0.4, 0.6]) | change
    with pytest.raises(InputError) as err:
        load_calibration_spec(spec)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_cli_bad_spec_exit_2_and_nothing_written(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("priors: {participation.intrinsic_mean: {dist: uniform, low: 0.2, high: 0.9}}\nfacts: [{statistic: active_share, target: [0.4, 0.6]}]\ngenerationz: 2\n")
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, "-m", "experiments.commands.cli", "calibrate", str(bad), "--out", str(out)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["error: generationz: unknown key; did you mean 'generations'? (allowed: " + proc.stderr.split("(allowed: ")[1].strip()]
    assert not out.exists()


def test_bundled_spec_is_valid():
    spec = load_calibration_spec(ROOT / "configs" / "calibrate.yaml")
    assert 3 <= len(spec.priors) <= 6
    assert {f.fact for f in spec.facts} >= {"1", "2", "3", "4", "5", "8"}
    assert spec.needs_counterfactual
    assert spec.predictive.facts == [6, 7]  # every fact in the predictive check


def test_predictive_comparison_fact_is_validates_check():
    """A draw's facts 6 and 7 are `safetysim validate`'s own checks on the draw's config and seeds."""
    from experiments.analysis.calibrate import _predict_one
    from experiments.analysis.validate import fraud_check, incentive_check

    cfg = load_config(str(ROOT / "configs" / "baseline.yaml")).with_overrides(TINY)
    sim = Simulator(cfg.canonical_json(), [PARAM], [FactSpec(statistic="active_share", target=[0, 1])], 1, False)
    stats = _predict_one(sim, {PARAM: 0.6}, 101, [6, 7])
    drawn = cfg.with_overrides({PARAM: 0.6})
    for fact, check in ((6, incentive_check(drawn, [101])), (7, fraud_check(drawn, [101]))):
        assert stats[f"f{fact}_pass"] == float(check.passed)
        assert {k: stats[f"f{fact}_{k}"] for k in check.values} == pytest.approx(check.values, rel=0, abs=0)
        assert (check.values["margin"] > 0) == check.passed or check.values["margin"] == 0
    assert stats["s0"] == sim.statistics({PARAM: 0.6}, 101)["s0"]


def test_predictive_check_covers_comparison_facts(runs, tmp_path):
    """Re-running a finished calibration with `predictive.facts: [6, 7]` rewrites the predictive check
    with facts 6 and 7 (pass share and median margin per fact) and leaves the posterior untouched."""
    import shutil

    base, target, _ = runs
    out = tmp_path / "full"
    shutil.copytree(base / "full", out)
    before = pd.read_parquet(out / "posterior.parquet")
    with make_executor("inline") as ex:
        res = calibrate(load_calibration_spec(_spec(target, predictive={"draws": 4, "facts": [6, 7]})), out, ex)
    pd.testing.assert_frame_equal(before, pd.read_parquet(out / "posterior.parquet"))
    pred = pd.read_csv(out / "predictive.csv")
    assert len(pred) == 4
    for col in ("s0", "f6_pass", "f6_margin", "f6_none", "f6_top_bonus", "f6_matched", "f6_top_bonus_large",
                "f7_pass", "f7_margin", "f7_targeted_cut", "f7_mass_cut"):
        assert col in pred.columns, col
    # the margin is the slack of the check's tightest condition
    m6 = np.minimum(pred["f6_none"] - pred["f6_top_bonus"], np.minimum(pred["f6_matched"], pred["f6_top_bonus_large"]) - pred["f6_none"])
    np.testing.assert_allclose(pred["f6_margin"], m6)
    assert ((pred["f6_margin"] > 0) == (pred["f6_pass"] == 1)).all()
    assert ((pred["f7_margin"] >= 0) == (pred["f7_pass"] == 1)).all()
    ptab = res["predictive"]
    assert list(ptab["fact"]) == ["fact 1: active_share", "fact 6: incentive_margin", "fact 7: warning_margin"]
    assert ptab["pass_share"].iloc[1] == pytest.approx(pred["f6_pass"].mean())
    assert ptab["median"].iloc[2] == pytest.approx(float(np.median(pred["f7_margin"])))
    facts = res["facts"]
    assert list(facts["fact"]) == ["1", "6", "7"]
    assert facts["holds_share"].iloc[2] == pytest.approx(pred["f7_pass"].mean())
    report = (out / "report.md").read_text()
    assert "| fact 6: incentive_margin |" in report and "| fact 7: warning_margin |" in report
    assert "## Facts reproduced" in report and "of 3**" in report


@pytest.mark.parametrize("facts, message", [
    ([5], "predictive.facts[0]: 5 is not allowed; expected one of 6 or 7"),
    ([6, 6], "predictive.facts: [6, 6] is not allowed; expected each fact at most once"),
])
def test_bad_predictive_facts_are_one_line(facts, message):
    with pytest.raises(InputError) as err:
        load_calibration_spec(_spec([0.4, 0.6], predictive={"draws": 3, "facts": facts}))
    assert str(err.value) == message


def test_finished_runs_are_freed():
    """A worker runs hundreds of particles: a finished model (not kept) must not stay in memory
    (Mesa 3.3 kept every model in ``Agent._ids``; simulation/mesa_compat.py lets it go)."""
    from simulation.mesa_compat import models_in_memory
    from simulation.model import CommunitySafetyModel
    from simulation.runner import run

    cfg = load_config(str(ROOT / "configs" / "baseline.yaml")).with_overrides(TINY)
    run(cfg, seed=1)
    before = models_in_memory(CommunitySafetyModel)
    for seed in (2, 3, 4):
        run(cfg, seed=seed)
    assert models_in_memory(CommunitySafetyModel) == before
    kept = run(cfg, seed=5, keep_model=True)
    assert kept.model is not None and len(kept.model.agents) > 0
