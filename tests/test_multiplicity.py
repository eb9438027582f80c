"""Multiple-comparison adjustment in `safetysim compare`: Holm by default, BH or none on request,
raw p beside adjusted p, significance judged on the adjusted p, d_z in the report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from experiments.reporting.compare_outputs import write_compare_outputs
from experiments.analysis.statistics import adjust_p_values, check_adjust, paired_differences
from simulation.errors import InputError

P = np.array([0.01, 0.04, 0.03, 0.005, 0.20])


def test_holm_matches_hand_computed_values() -> None:
    # Holm by hand: sort 0.005, 0.01, 0.03, 0.04, 0.20; multiply by 5, 4, 3, 2, 1; running max; cap 1.
    expected = np.array([0.04, 0.09, 0.09, 0.025, 0.20])
    np.testing.assert_allclose(adjust_p_values(P, "holm"), expected)


def test_bh_matches_hand_computed_values_and_scipy() -> None:
    # BH by hand: p_(i) * m / i from the top, running min: 0.20, 0.05, 0.05, 0.025, 0.025.
    expected = np.array([0.025, 0.05, 0.05, 0.025, 0.20])
    np.testing.assert_allclose(adjust_p_values(P, "bh"), expected)
    from scipy.stats import false_discovery_control

    np.testing.assert_allclose(adjust_p_values(P, "bh"), false_discovery_control(P, method="bh"))


def test_adjustment_matches_reference_implementation_on_random_p_values() -> None:
    p = np.random.default_rng(5).uniform(0, 0.2, 40)
    np.testing.assert_allclose(adjust_p_values(p, "holm"), multipletests(p, method="holm")[1])
    np.testing.assert_allclose(adjust_p_values(p, "bh"), multipletests(p, method="fdr_bh")[1])
    np.testing.assert_array_equal(adjust_p_values(p, "none"), p)


def test_nan_p_values_are_not_counted_in_the_family() -> None:
    adj = adjust_p_values(np.array([0.01, np.nan, 0.02]), "holm")
    assert np.isnan(adj[1])
    np.testing.assert_allclose(adj[[0, 2]], [0.02, 0.02])


def test_unknown_method_is_an_input_error() -> None:
    with pytest.raises(InputError, match="adjust: 'bonferonni' is not allowed; expected one of holm, bh, none"):
        check_adjust("bonferonni")


def _runs(n: int = 10, k: int = 12) -> pd.DataFrame:
    """Reference plus one scenario whose KPIs y0..y{k-1} shift by a growing amount; y0 has a
    raw p just under 0.05 that Holm over 12 tests cannot keep."""
    rng = np.random.default_rng(11)
    noise = rng.normal(0, 1, (n, k))
    base = pd.DataFrame({f"y{j}": rng.normal(50, 5, n) for j in range(k)}).assign(scenario="ref", replicate=range(n))
    shifted = base.copy().assign(scenario="alt")
    for j in range(k):
        shifted[f"y{j}"] = base[f"y{j}"] + noise[:, j] + 0.25 * j
    return pd.concat([base, shifted], ignore_index=True)


def test_significance_uses_adjusted_p_and_raw_p_is_kept() -> None:
    runs = _runs()
    raw = paired_differences(runs, "ref", adjust="none")
    holm = paired_differences(runs, "ref")
    assert (holm["adjust"] == "holm").all()
    np.testing.assert_allclose(holm["p_value"], raw["p_value"])
    np.testing.assert_allclose(holm["p_adjusted"], multipletests(raw["p_value"], method="holm")[1])
    assert (holm["significant"] == (holm["p_adjusted"] < 0.05)).all()
    assert (holm["p_adjusted"] >= holm["p_value"]).all()
    # Some raw-significant result does not survive Holm (the point of the correction).
    assert int(raw["significant"].sum()) > int(holm["significant"].sum())


def test_compare_outputs_report_raw_and_adjusted_p_and_dz(tmp_path) -> None:
    runs = _runs()
    out = write_compare_outputs(tmp_path / "holm", runs, None, "ref", n_boot=50)
    summary = pd.read_csv(out["summary_csv"])
    assert {"p_value", "p_adjusted", "adjust", "cohens_dz", "significant"} <= set(summary.columns)
    alt = summary.loc[summary["scenario"] == "alt"]
    assert (alt["adjust"] == "holm").all()
    np.testing.assert_allclose(alt["p_adjusted"], multipletests(alt["p_value"], method="holm")[1])
    report = out["report_md"].read_text()
    assert "without correction" not in report
    assert "Holm (family-wise error rate)" in report and "over all 12 tests" in report
    assert "adjusted p (holm)" in report and "raw p" in report and "d_z" in report
    md = out["summary_md"].read_text()
    assert "Tests: raw and adjusted p-values, effect size d_z" in md
    bh = write_compare_outputs(tmp_path / "bh", runs, None, "ref", n_boot=50, adjust="bh")
    s_bh = pd.read_csv(bh["summary_csv"])
    assert (s_bh.loc[s_bh["scenario"] == "alt", "adjust"] == "bh").all()
    assert "Benjamini-Hochberg" in bh["report_md"].read_text()
