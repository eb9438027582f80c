"""Statistics for `safetysim compare`, checked against answers known by construction or by scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments.analysis.statistics import (
    ce_status,
    cost_effectiveness,
    daily_bands,
    judge_differences,
    kpi_direction,
    mean_ci,
    paired_differences,
    pareto_efficient,
    rank_cost_effectiveness,
    rank_scenarios,
    scenario_summary,
    significance_stars,
    uses_common_random_numbers,
)
from simulation.errors import InputError

N = 20


def make_runs(n: int = N) -> pd.DataFrame:
    """Four scenarios on common random numbers: replicate i shares its noise across scenarios.

    * ``twin`` is an exact copy of ``base`` (same seed, same outcome);
    * ``shifted`` has 10 fewer incidents (plus small own noise) and costs 20,000 CNY more;
    * ``cheap`` costs 1,000 CNY less and prevents exactly 2 incidents per replicate.
    """
    rng = np.random.default_rng(7)
    common = rng.normal(0.0, 5.0, n)
    own = rng.normal(0.0, 0.5, n)
    base = pd.DataFrame(
        {
            "replicate": np.arange(n),
            "seed": 1000 + np.arange(n),
            "incidents_total": 100.0 + common,
            "fraud_losses_cny": 40_000.0 + 300.0 * common,
            "satisfaction": 0.90 + common / 500.0,
            "spending_cny": 100_000.0,
        }
    )
    shifted = base.assign(
        incidents_total=base["incidents_total"] - 10.0 + own,
        fraud_losses_cny=base["fraud_losses_cny"] - 1_000.0,
        spending_cny=120_000.0,
    )
    cheap = base.assign(incidents_total=base["incidents_total"] - 2.0, spending_cny=99_000.0)
    frames = {"base": base, "twin": base.copy(), "shifted": shifted, "cheap": cheap}
    return pd.concat([f.assign(scenario=s) for s, f in frames.items()], ignore_index=True)


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    return make_runs()


def row(table: pd.DataFrame, scenario: str, kpi: str, key: str = "kpi") -> pd.Series:
    found = table.loc[(table["scenario"] == scenario) & (table[key] == kpi)]
    assert len(found) == 1, (scenario, kpi)
    return found.iloc[0]


# ---------------------------------------------------------------------------- means and CIs


def test_mean_ci_matches_scipy_t_by_hand() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    m, sd, n = x.mean(), x.std(ddof=1), x.size
    half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
    assert mean_ci(x) == pytest.approx((4.0, 4.0 - half, 4.0 + half))
    assert mean_ci(x) == pytest.approx((m, *stats.t.interval(0.95, n - 1, loc=m, scale=stats.sem(x))))
    runs = pd.DataFrame({"scenario": "a", "replicate": range(n), "kpi_x": x})
    r = scenario_summary(runs).iloc[0]
    assert (r["scenario"], r["kpi"], r["n"]) == ("a", "kpi_x", 5)
    assert r["mean"] == pytest.approx(4.0)
    assert r["sd"] == pytest.approx(sd)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((4.0 - half, 4.0 + half))


def test_mean_ci_of_single_value_has_no_interval() -> None:
    m, lo, hi = mean_ci([3.0, np.nan])
    assert m == 3.0 and np.isnan(lo) and np.isnan(hi)


def test_summary_orders_reference_first_and_ignores_id_columns(runs: pd.DataFrame) -> None:
    summary = scenario_summary(runs.assign(point_index=0, elapsed_s=1.5, run_key="k"), reference="shifted")
    assert list(pd.unique(summary["scenario"])) == ["shifted", "base", "twin", "cheap"]
    assert set(summary["kpi"]) == {"incidents_total", "fraud_losses_cny", "satisfaction", "spending_cny"}
    assert (summary["n"] == N).all()


# ---------------------------------------------------------------------------- paired differences


def test_identical_scenarios_have_exactly_zero_difference(runs: pd.DataFrame) -> None:
    diffs = paired_differences(runs, "base")
    twin = diffs.loc[diffs["scenario"] == "twin"]
    assert len(twin) == 4
    assert (twin["mean_diff"] == 0.0).all()
    assert (twin["diff_ci_low"] <= 0.0).all() and (twin["diff_ci_high"] >= 0.0).all()
    assert (twin["p_value"] == 1.0).all()
    assert not twin["significant"].any()
    assert (twin["cohens_dz"] == 0.0).all()
    assert (twin["n_pairs"] == N).all()


def test_large_shift_is_significant_with_the_right_sign(runs: pd.DataFrame) -> None:
    r = row(paired_differences(runs, "base"), "shifted", "incidents_total")
    base = runs.loc[runs["scenario"] == "base", "incidents_total"].to_numpy()
    shifted = runs.loc[runs["scenario"] == "shifted", "incidents_total"].to_numpy()
    d = shifted - base
    assert r["mean_diff"] == pytest.approx(d.mean())
    assert -11.0 < r["mean_diff"] < -9.0
    assert r["significant"]
    assert r["p_value"] < 1e-10
    assert r["diff_ci_high"] < 0.0
    assert r["cohens_dz"] == pytest.approx(d.mean() / d.std(ddof=1))
    assert r["rel_change_pct"] == pytest.approx(100.0 * d.mean() / base.mean())
    ref = stats.ttest_rel(shifted, base)
    assert r["t_stat"] == pytest.approx(ref.statistic)
    assert r["p_value"] == pytest.approx(ref.pvalue, rel=1e-6)
    lo, hi = stats.t.interval(0.95, d.size - 1, loc=d.mean(), scale=stats.sem(d))
    assert (r["diff_ci_low"], r["diff_ci_high"]) == pytest.approx((lo, hi))


def test_paired_test_matches_scipy_on_noisy_small_effect() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(10, 2, 8)
    b = a + rng.normal(0.3, 1.0, 8)
    runs = pd.concat(
        [pd.DataFrame({"scenario": "a", "replicate": range(8), "y": a}), pd.DataFrame({"scenario": "b", "replicate": range(8), "y": b})]
    )
    r = paired_differences(runs, "a").iloc[0]
    ref = stats.ttest_rel(b, a)
    assert r["p_value"] == pytest.approx(ref.pvalue)
    assert r["significant"] == (ref.pvalue < 0.05)


def test_pairing_uses_replicate_not_row_order(runs: pd.DataFrame) -> None:
    shuffled = runs.sample(frac=1.0, random_state=1)
    a = paired_differences(runs, "base").set_index(["scenario", "kpi"]).sort_index()
    b = paired_differences(shuffled, "base").set_index(["scenario", "kpi"]).sort_index()
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    twin = row(paired_differences(shuffled, "base"), "twin", "incidents_total")
    assert twin["mean_diff"] == 0.0


def test_unmatched_replicates_are_dropped_from_pairs(runs: pd.DataFrame) -> None:
    failed = runs.drop(runs.index[(runs["scenario"] == "shifted") & (runs["replicate"] < 3)])
    r = row(paired_differences(failed, "base"), "shifted", "incidents_total")
    assert r["n_pairs"] == N - 3
    kept = failed.loc[failed["scenario"] == "shifted", "replicate"]
    assert r["ref_mean"] == pytest.approx(runs.loc[(runs["scenario"] == "base") & runs["replicate"].isin(kept), "incidents_total"].mean())


def test_constant_nonzero_shift_is_deterministic(runs: pd.DataFrame) -> None:
    r = row(paired_differences(runs, "base"), "cheap", "incidents_total")
    assert r["mean_diff"] == pytest.approx(-2.0)
    assert (r["diff_ci_low"], r["diff_ci_high"]) == pytest.approx((-2.0, -2.0))
    assert r["p_value"] == 0.0 and r["significant"]
    assert r["cohens_dz"] == -np.inf


def test_single_pair_falls_back_without_error() -> None:
    runs = pd.DataFrame({"scenario": ["a", "b"], "replicate": [0, 0], "y": [1.0, 3.0]})
    r = paired_differences(runs, "a").iloc[0]
    assert r["mean_diff"] == 2.0 and r["n_pairs"] == 1
    assert np.isnan(r["p_value"]) and np.isnan(r["diff_ci_low"])
    assert not r["significant"]


def test_bad_inputs_raise_input_error(runs: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="reference"):
        paired_differences(runs, "nope")
    with pytest.raises(InputError, match="more than once"):
        scenario_summary(pd.concat([runs, runs.iloc[:1]]))
    with pytest.raises(InputError, match="replicate"):
        scenario_summary(runs.drop(columns="replicate"))


def test_crn_detection(runs: pd.DataFrame) -> None:
    assert uses_common_random_numbers(runs) is True
    broken = runs.assign(seed=np.where(runs["scenario"] == "twin", runs["seed"] + 1, runs["seed"]))
    assert uses_common_random_numbers(broken) is False
    assert uses_common_random_numbers(runs.drop(columns="seed")) is None


# ---------------------------------------------------------------------------- directions


def test_kpi_direction_defaults_keywords_override_and_fallback() -> None:
    assert kpi_direction("incidents_total") == "lower"
    assert kpi_direction("satisfaction") == "higher"
    assert kpi_direction("incidents_prevented") == "higher"
    assert kpi_direction("volunteer_dropout_share") == "lower"
    assert kpi_direction("fraud_literacy_mean") == "higher"
    assert kpi_direction("mean_response_time_min") == "lower"
    assert kpi_direction("something_else") == "higher"
    assert kpi_direction("incidents_total", {"incidents_total": "higher"}) == "higher"
    with pytest.raises(InputError, match="directions.x"):
        kpi_direction("x", {"x": "up"})


def test_judge_and_rank_use_direction(runs: pd.DataFrame) -> None:
    judged = judge_differences(paired_differences(runs, "base"))
    assert row(judged, "shifted", "incidents_total")["verdict"] == "better"
    assert row(judged, "shifted", "spending_cny")["verdict"] == "worse"
    assert row(judged, "twin", "incidents_total")["verdict"] == "no significant change"
    summary = scenario_summary(runs, reference="base")
    assert rank_scenarios(summary, "incidents_total").iloc[0]["scenario"] == "shifted"
    assert rank_scenarios(summary, "incidents_total", {"incidents_total": "higher"}).iloc[0]["scenario"] in {"base", "twin"}
    assert [significance_stars(p) for p in (0.0001, 0.005, 0.03, 0.2, np.nan)] == ["***", "**", "*", "", ""]


# ---------------------------------------------------------------------------- cost-effectiveness


def test_cost_effectiveness_known_ratios(runs: pd.DataFrame) -> None:
    ce = cost_effectiveness(runs, "base", n_boot=500, seed=1)
    fraud = row(ce, "shifted", "fraud_losses_avoided_cny", key="outcome")
    # 1,000 CNY avoided in every replicate for 20,000 CNY extra: 500 CNY per 10,000 CNY, no spread.
    assert fraud["status"] == "costlier_better"
    assert fraud["ratio"] == pytest.approx(500.0)
    assert (fraud["ratio_ci_low"], fraud["ratio_ci_high"]) == pytest.approx((500.0, 500.0))
    assert fraud["spending_mean"] == 120_000.0 and fraud["extra_spending_mean"] == 20_000.0
    inc = row(ce, "shifted", "incidents_prevented", key="outcome")
    gain = (runs.loc[runs["scenario"] == "base", "incidents_total"].to_numpy() - runs.loc[runs["scenario"] == "shifted", "incidents_total"].to_numpy())
    assert inc["ratio"] == pytest.approx(10_000.0 * gain.mean() / 20_000.0)
    assert inc["ratio_ci_low"] < inc["ratio"] < inc["ratio_ci_high"]
    assert inc["boot_share_costlier"] == 1.0


def test_cost_effectiveness_statuses_when_extra_spending_is_not_positive(runs: pd.DataFrame) -> None:
    ce = cost_effectiveness(runs, "base", n_boot=200)
    cheap = row(ce, "cheap", "incidents_prevented", key="outcome")
    assert cheap["status"] == "dominant" and np.isnan(cheap["ratio"]) and cheap["gain_mean"] == pytest.approx(2.0)
    assert row(ce, "twin", "incidents_prevented", key="outcome")["status"] == "equivalent"
    assert row(ce, "cheap", "fraud_losses_avoided_cny", key="outcome")["status"] == "dominant"  # cheaper, same losses
    assert ce_status(100.0, 1.0) == "costlier_better"
    assert ce_status(100.0, -1.0) == "dominated"
    assert ce_status(0.0, -1.0) == "dominated"
    assert ce_status(-100.0, 0.0) == "dominant"
    assert ce_status(0.0, 0.0) == "equivalent"
    assert ce_status(-100.0, -1.0) == "cheaper_worse"
    assert ce_status(np.nan, 1.0) == "undefined"
    ranked = rank_cost_effectiveness(ce, "incidents_prevented")
    assert list(ranked["scenario"]) == ["cheap", "shifted"]


def test_bootstrap_is_deterministic_given_seed(runs: pd.DataFrame) -> None:
    a = cost_effectiveness(runs, "base", n_boot=300, seed=5)
    b = cost_effectiveness(runs, "base", n_boot=300, seed=5)
    pd.testing.assert_frame_equal(a, b)
    c = cost_effectiveness(runs, "base", n_boot=300, seed=6)
    inc = lambda t: row(t, "shifted", "incidents_prevented", key="outcome")["ratio_ci_low"]  # noqa: E731
    assert inc(a) != inc(c)
    # A scenario's interval does not depend on which other scenarios are in the table.
    alone = cost_effectiveness(runs.loc[runs["scenario"].isin(["base", "shifted"])], "base", n_boot=300, seed=5)
    assert inc(alone) == inc(a)


def test_cost_effectiveness_without_spending_is_empty(runs: pd.DataFrame) -> None:
    assert cost_effectiveness(runs.drop(columns="spending_cny"), "base").empty
    only_inc = cost_effectiveness(runs.drop(columns="fraud_losses_cny"), "base", n_boot=50)
    assert set(only_inc["outcome"]) == {"incidents_prevented"}


def test_pareto_efficient() -> None:
    cost = [0.0, 10.0, 10.0, 20.0, 5.0, np.nan]
    gain = [0.0, 5.0, 3.0, 4.0, -1.0, 9.0]
    assert pareto_efficient(cost, gain).tolist() == [True, True, False, False, False, False]


# ---------------------------------------------------------------------------- daily bands


def test_daily_bands_percentiles() -> None:
    values = np.arange(11.0)  # replicates 0..10 -> values 0..10 on each day, doubled on day 1
    daily = pd.concat(
        [pd.DataFrame({"scenario": "a", "replicate": np.arange(11), "day": d, "y": values * (d + 1)}) for d in (0, 1)]
    )
    bands = daily_bands(daily)
    assert list(bands.columns) == ["scenario", "kpi", "day", "n", "mean", "low", "high"]
    assert bands["day"].tolist() == [0, 1]
    day1 = bands.iloc[1]
    assert day1["mean"] == pytest.approx(10.0)
    assert day1["low"] == pytest.approx(np.percentile(values * 2, 2.5))
    assert day1["high"] == pytest.approx(np.percentile(values * 2, 97.5))
    assert day1["n"] == 11
    with pytest.raises(InputError, match="day"):
        daily_bands(daily.drop(columns="day"))


def test_daily_bands_rolling_window_smooths_within_each_run() -> None:
    days = np.arange(6)
    daily = pd.concat(
        [pd.DataFrame({"scenario": "a", "replicate": r, "day": days, "y": np.where(days % 2 == 0, 0.0, 2.0) + r}) for r in (0, 1)]
    ).sample(frac=1.0, random_state=0)  # row order must not matter
    bands = daily_bands(pd.concat([daily.assign(scenario="z"), daily]), window=2)
    assert list(pd.unique(bands["scenario"])) == ["z", "a"]  # order of appearance, not alphabetical
    bands = bands.loc[bands["scenario"] == "a"]
    assert bands["day"].tolist() == list(days)
    assert bands["mean"].tolist() == pytest.approx([0.5, 1.5, 1.5, 1.5, 1.5, 1.5])  # day 0: only itself
    assert bands.loc[bands["day"] == 3, ["low", "high"]].to_numpy().ravel() == pytest.approx([1.025, 1.975])
