"""Statistics for comparing scenarios run with common random numbers (CRN).

Input is a tidy table ``runs`` with one row per run: ``scenario``, ``replicate``, optionally
``seed``, then numeric KPI columns. Replicate *i* of every scenario uses the same seed, so the
natural comparison against a reference scenario is *paired by replicate*: the noise shared by
the two runs cancels in their difference, which makes paired confidence intervals much narrower
than two-sample ones for the same number of runs.

Everything here is a pure function of DataFrames (no files, no plotting) and returns tidy
("long") DataFrames, one row per (scenario, KPI) or (scenario, outcome), so that plots, reports
and tests can all read the same numbers.

Conventions
-----------
* Confidence intervals are two-sided, ``confidence`` = 0.95 by default, t-based for means and
  paired differences, percentile bootstrap for cost-effectiveness ratios.
* Differences are ``scenario - reference``; relative change is ``100 * diff / reference mean``.
* Missing KPI values (NaN, e.g. a failed run) are dropped per KPI; a pair needs both runs.
* Multiple comparisons: every (scenario, KPI) difference in one table is one test of one family.
  The ``significant`` flag uses the *adjusted* p-value (``p_adjusted``; Holm by default, which
  controls the family-wise error rate; Benjamini-Hochberg controls the false discovery rate;
  ``none`` keeps the raw p). The raw ``p_value`` stays beside it.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from simulation.errors import InputError

ID_COLUMNS: tuple[str, ...] = ("scenario", "replicate", "seed", "day")
"""Columns that identify a run (or a day of a run) and are never treated as KPIs."""

NON_KPI_COLUMNS: tuple[str, ...] = (
    "days", "real_residents", "scale", "point_index", "elapsed_s", "wall_seconds", "build_seconds",
)  # fmt: skip
"""Numeric run descriptors (model size, design point, timings) stored beside the KPIs; left out
of the default KPI set, still usable by naming them in ``kpis``."""

CONSTRAINT_PREFIX = "constraint_"
"""Columns of lever asked/delivered counters (simulation.constraints): reported, not tested."""

DEFAULT_ALPHA = 0.05
DEFAULT_CONFIDENCE = 0.95

AdjustMethod = Literal["holm", "bh", "none"]
ADJUST_METHODS: dict[str, str] = {"holm": "holm", "bh": "fdr_bh", "none": ""}
"""Allowed ``adjust`` settings -> the method name of ``statsmodels.stats.multitest.multipletests``."""
ADJUST_NAMES: dict[str, str] = {
    "holm": "Holm (family-wise error rate)",
    "bh": "Benjamini-Hochberg (false discovery rate)",
    "none": "none (raw p-values)",
}
DEFAULT_ADJUST: AdjustMethod = "holm"
DZ_NOTE = (
    "Effect size d_z = mean paired difference / SD of the paired differences (Cohen's d for paired data). "
    "Under common random numbers the shared noise cancels, so d_z is larger than the between-group d "
    "of the same change: it says how reliably the change shows in one replicate pair, not how large the "
    "change is in practice (read the difference and % change for that). Rough guide: 0.2 small, 0.5 medium, 0.8 large."
)

Direction = Literal["lower", "higher"]

DEFAULT_DIRECTIONS: dict[str, Direction] = {
    "incidents": "lower",
    "incidents_total": "lower",
    "incidents_per_1000": "lower",
    "disputes_per_1000": "lower",
    "police_backlog": "lower",
    "satisfaction_range_communities": "lower",
    "response_hours": "lower",
    "annual_dropout": "lower",
    "emergency_first_response_share": "higher",
    "response_satisfaction": "higher",
    "guardianship_reduction": "higher",
    "equity_index": "higher",
    "participation_efficiency": "higher",
    "property_incidents": "lower",
    "public_order_incidents": "lower",
    "fraud_victims": "lower",
    "fraud_losses_cny": "lower",
    "disputes_escalated": "lower",
    "dropout_rate": "lower",
    "response_time_hours": "lower",
    "response_time_days": "lower",
    "spending_cny": "lower",
    "satisfaction": "higher",
    "mobile_satisfaction": "higher",
    "registered_satisfaction": "higher",
    "trust": "higher",
    "registered_volunteers": "higher",
    "active_volunteers": "higher",
    "volunteer_hours": "higher",
    "reporting_rate": "higher",
    "efficiency": "higher",
    "factor_subject": "higher",
    "factor_culture": "higher",
    "factor_system": "higher",
    "factor_allocation": "higher",
    "factor_strategy": "higher",
}
"""Which way is better for the KPIs the model is expected to report (exact column names)."""

_DIRECTION_KEYWORDS: tuple[tuple[str, Direction], ...] = (
    # Checked in order, so the specific words come before the generic ones:
    # "incidents_prevented" is good although it contains "incident", "volunteer_dropout" bad.
    ("prevented", "higher"),
    ("avoided", "higher"),
    ("literacy", "higher"),
    ("awareness", "higher"),
    ("satisfaction", "higher"),
    ("trust", "higher"),
    ("reporting", "higher"),
    ("efficiency", "higher"),
    ("factor_", "higher"),
    ("dropout", "lower"),
    ("lapse", "lower"),
    ("incident", "lower"),
    ("crime", "lower"),
    ("fraud", "lower"),
    ("loss", "lower"),
    ("victim", "lower"),
    ("escalat", "lower"),
    ("first_response", "higher"),
    ("response", "lower"),
    ("backlog", "lower"),
    ("delay", "lower"),
    ("queue", "lower"),
    ("spending", "lower"),
    ("cost", "lower"),
    ("volunteer", "higher"),
    ("hours", "higher"),
)

DEFAULT_CE_OUTCOMES: dict[str, str] = {
    "incidents_prevented": "incidents_total",
    "fraud_losses_avoided_cny": "fraud_losses_cny",
}
"""Cost-effectiveness outcomes: label -> KPI whose *reduction* against the reference is the gain."""


# --------------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------------


def kpi_columns(frame: pd.DataFrame, kpis: Sequence[str] | None = None) -> list[str]:
    """The KPI columns to analyse: the requested ones that exist, else every numeric non-id column.

    Requested names that are absent are dropped silently so that a report can ask for the
    standard KPIs of any model version; callers that need a KPI check for it themselves.
    """
    if kpis is not None:
        return [k for k in kpis if k in frame.columns and k not in ID_COLUMNS]
    numeric = frame.select_dtypes(include=["number", "bool"]).columns
    return [c for c in numeric if c not in ID_COLUMNS and c not in NON_KPI_COLUMNS and not c.startswith(CONSTRAINT_PREFIX)
            and not c.startswith("district__")]


def validate_runs(runs: pd.DataFrame, reference: str | None = None) -> None:
    """Fail early, with one readable line, on a runs table the paired analysis cannot use.

    Pairing by replicate is only meaningful if each (scenario, replicate) occurs once.
    """
    missing = [c for c in ("scenario", "replicate") if c not in runs.columns]
    if missing:
        raise InputError(f"runs: missing column(s) {', '.join(missing)}; expected scenario, replicate and KPI columns")
    if runs.empty:
        raise InputError("runs: the table is empty; expected at least one finished run")
    dup = runs.duplicated(["scenario", "replicate"])
    if dup.any():
        first = runs.loc[dup, ["scenario", "replicate"]].iloc[0]
        raise InputError(
            f"runs: scenario {first['scenario']!r} has replicate {first['replicate']!r} more than once; "
            "expected one row per (scenario, replicate)"
        )
    if reference is not None and reference not in set(runs["scenario"]):
        known = ", ".join(map(str, pd.unique(runs["scenario"])))
        raise InputError(f"reference: {reference!r} is not a scenario in the runs; expected one of {known}")


def validate_daily(daily: pd.DataFrame) -> None:
    """Fail early on a daily table without the columns the bands are grouped by."""
    missing = [c for c in ("scenario", "replicate", "day") if c not in daily.columns]
    if missing:
        raise InputError(f"daily: missing column(s) {', '.join(missing)}; expected scenario, replicate, day and KPI columns")


def scenario_order(runs: pd.DataFrame, reference: str | None = None) -> list[str]:
    """Scenarios in order of first appearance, the reference first: the order used everywhere."""
    order = [str(s) for s in pd.unique(runs["scenario"])]
    if reference is not None and reference in order:
        order.remove(reference)
        order.insert(0, reference)
    return order


def uses_common_random_numbers(runs: pd.DataFrame) -> bool | None:
    """True if every replicate has one seed across scenarios (CRN); None if there is no seed column.

    The paired analysis is still computed without CRN, but its gain in precision is then lost,
    which the report says.
    """
    if "seed" not in runs.columns:
        return None
    return bool(runs.groupby("replicate")["seed"].nunique(dropna=False).le(1).all())


def _to_long(frame: pd.DataFrame, kpis: Sequence[str], keys: Sequence[str]) -> pd.DataFrame:
    """Melt KPI columns into (keys..., kpi, value) rows, dropping missing values."""
    long = frame.melt(id_vars=list(keys), value_vars=list(kpis), var_name="kpi", value_name="value")
    long["value"] = pd.to_numeric(long["value"], errors="coerce").astype(float)
    long["scenario"] = long["scenario"].astype(str)
    return long.dropna(subset=["value"])


def _sort_like(frame: pd.DataFrame, scenarios: Sequence[str], kpis: Sequence[str], kpi_col: str = "kpi") -> pd.DataFrame:
    """Sort rows by the given scenario and KPI order (not alphabetically) and renumber them."""
    s_rank = {s: i for i, s in enumerate(scenarios)}
    k_rank = {k: i for i, k in enumerate(kpis)}
    keys = frame["scenario"].map(s_rank).fillna(len(s_rank)) * (len(k_rank) + 1) + frame[kpi_col].map(k_rank).fillna(
        len(k_rank)
    )
    return frame.assign(_order=keys.to_numpy()).sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Means and confidence intervals
# --------------------------------------------------------------------------------------------


def t_half_width(sd: np.ndarray | pd.Series, n: np.ndarray | pd.Series, confidence: float = DEFAULT_CONFIDENCE) -> np.ndarray:
    """Half-width of the t confidence interval of a mean: t_{1-a/2, n-1} * sd / sqrt(n).

    NaN where n < 2 (no spread can be estimated from a single run).
    """
    n_arr = np.asarray(n, dtype=float)
    sd_arr = np.asarray(sd, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = stats.t.ppf(0.5 + confidence / 2.0, df=np.where(n_arr >= 2, n_arr - 1, np.nan))
        return np.where(n_arr >= 2, q * sd_arr / np.sqrt(n_arr), np.nan)


def mean_ci(values: Sequence[float] | np.ndarray, confidence: float = DEFAULT_CONFIDENCE) -> tuple[float, float, float]:
    """(mean, low, high) of a sample with a t-based interval; NaNs are ignored."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (np.nan, np.nan, np.nan)
    m = float(x.mean())
    sd = float(x.std(ddof=1)) if x.size > 1 else np.nan
    h = float(t_half_width(np.array([sd]), np.array([x.size]), confidence)[0])
    return (m, m - h, m + h)


def scenario_summary(
    runs: pd.DataFrame,
    kpis: Sequence[str] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    reference: str | None = None,
) -> pd.DataFrame:
    """Per scenario and KPI: n, mean, sd and the t-based confidence interval of the mean.

    Returns columns ``scenario, kpi, n, mean, sd, ci_low, ci_high``, scenarios in run order
    (reference first if given), KPIs in the requested order.
    """
    validate_runs(runs, reference)
    kpis = kpi_columns(runs, kpis)
    scenarios = scenario_order(runs, reference)
    long = _to_long(runs, kpis, ["scenario", "replicate"])
    out = long.groupby(["scenario", "kpi"], sort=False)["value"].agg(n="count", mean="mean", sd="std").reset_index()
    half = t_half_width(out["sd"], out["n"], confidence)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    return _sort_like(out, scenarios, kpis)


# --------------------------------------------------------------------------------------------
# Paired differences against a reference
# --------------------------------------------------------------------------------------------


def _paired_pairs(runs: pd.DataFrame, reference: str, kpis: Sequence[str]) -> pd.DataFrame:
    """Rows (scenario, replicate, kpi, value, ref_value, diff) for every non-reference run
    whose replicate also has a reference value for that KPI."""
    long = _to_long(runs, kpis, ["scenario", "replicate"])
    ref = long.loc[long["scenario"] == reference, ["replicate", "kpi", "value"]].rename(columns={"value": "ref_value"})
    pairs = long.loc[long["scenario"] != reference].merge(ref, on=["replicate", "kpi"], how="inner")
    pairs["diff"] = pairs["value"] - pairs["ref_value"]
    return pairs


def _paired_t(agg: pd.DataFrame, confidence: float, alpha: float) -> pd.DataFrame:
    """Add CI, t statistic, p-value, significance and Cohen's dz to aggregated paired differences.

    Fallbacks, chosen so a degenerate comparison never raises nor prints a spurious result:
    * n < 2: CI, t and p are NaN and the difference is not significant;
    * all differences equal (sd = 0): CI is [d, d]; if d = 0 the scenarios are
      indistinguishable, so t = 0, p = 1, dz = 0; if d != 0 the shift is deterministic,
      so t = dz = ±inf and p = 0.
    """
    n = agg["n_pairs"].to_numpy(dtype=float)
    m = agg["mean_diff"].to_numpy(dtype=float)
    sd = agg["sd_diff"].to_numpy(dtype=float)
    half = t_half_width(sd, n, confidence)
    enough = n >= 2
    zero_sd = enough & (sd == 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_stat = np.where(enough & ~zero_sd, m / (sd / np.sqrt(n)), np.nan)
        t_stat = np.where(zero_sd, np.where(m == 0, 0.0, np.sign(m) * np.inf), t_stat)
        p = np.where(enough & ~zero_sd, 2.0 * stats.t.sf(np.abs(t_stat), df=np.maximum(n - 1, 1)), np.nan)
        p = np.where(zero_sd, np.where(m == 0, 1.0, 0.0), p)
        dz = np.where(enough & ~zero_sd, m / sd, np.nan)
        dz = np.where(zero_sd, np.where(m == 0, 0.0, np.sign(m) * np.inf), dz)
        ref = agg["ref_mean"].to_numpy(dtype=float)
        rel = np.where(ref != 0, 100.0 * m / ref, np.nan)
    return agg.assign(
        diff_ci_low=m - half,
        diff_ci_high=m + half,
        t_stat=t_stat,
        p_value=p,
        significant=np.nan_to_num(p, nan=1.0) < alpha,
        cohens_dz=dz,
        rel_change_pct=rel,
    )


def check_adjust(method: str, field: str = "adjust") -> AdjustMethod:
    """The adjustment method, validated: ``holm``, ``bh`` or ``none`` (case-insensitive)."""
    value = str(method).strip().lower()
    if value not in ADJUST_METHODS:
        raise InputError(f"{field}: {method!r} is not allowed; expected one of {', '.join(ADJUST_METHODS)}")
    return value  # type: ignore[return-value]


def adjust_p_values(p_values: Sequence[float] | np.ndarray, method: str = DEFAULT_ADJUST) -> np.ndarray:
    """Multiplicity-adjusted p-values for one family of tests (statsmodels' ``multipletests``).

    ``holm``: Holm's step-down adjustment (family-wise error rate, valid under any dependence
    between the tests, uniformly more powerful than Bonferroni); ``bh``: Benjamini-Hochberg
    step-up (false discovery rate; valid for independent or positively dependent tests);
    ``none``: the p-values unchanged. NaN p-values (too few pairs) are not tests: they stay NaN
    and do not count in the family size.
    """
    method = check_adjust(method)
    p = np.asarray(p_values, dtype=float)
    out = p.copy()
    ok = np.isfinite(p)
    if method == "none" or not ok.any():
        return out
    from statsmodels.stats.multitest import multipletests

    out[ok] = multipletests(p[ok], method=ADJUST_METHODS[method])[1]
    return out


def adjust_differences(diffs: pd.DataFrame, method: str = DEFAULT_ADJUST, alpha: float = DEFAULT_ALPHA) -> pd.DataFrame:
    """Set ``p_adjusted``, ``adjust`` and ``significant`` (adjusted p < alpha) on a paired-differences
    table, treating all its rows as one family. Call it on exactly the comparisons reported."""
    method = check_adjust(method)
    adjusted = adjust_p_values(diffs["p_value"].to_numpy(dtype=float), method)
    return diffs.assign(p_adjusted=adjusted, adjust=method, significant=np.nan_to_num(adjusted, nan=1.0) < alpha)


def reported_p(diffs: pd.DataFrame) -> pd.Series:
    """The p-value significance is judged on: adjusted if the table has it, else raw."""
    return diffs["p_adjusted"] if "p_adjusted" in diffs.columns else diffs["p_value"]


def paired_differences(
    runs: pd.DataFrame,
    reference: str,
    kpis: Sequence[str] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
    alpha: float = DEFAULT_ALPHA,
    adjust: str = DEFAULT_ADJUST,
) -> pd.DataFrame:
    """Each scenario against the reference, paired by replicate (paired t-test).

    Returns one row per (non-reference scenario, KPI) with columns
    ``scenario, kpi, n_pairs, mean, ref_mean, mean_diff, sd_diff, diff_ci_low, diff_ci_high,
    t_stat, p_value, significant, cohens_dz, rel_change_pct, p_adjusted, adjust``. ``mean`` and
    ``ref_mean`` are over the paired replicates only, so ``mean_diff == mean - ref_mean`` exactly.
    Cohen's dz = mean difference / sd of differences (the paired-data effect size, see DZ_NOTE).
    ``p_value`` is the raw paired-t p; ``p_adjusted`` adjusts it over all rows returned (one
    family: every scenario x KPI) with ``adjust``; ``significant`` is ``p_adjusted < alpha``.
    """
    validate_runs(runs, reference)
    kpis = kpi_columns(runs, kpis)
    scenarios = [s for s in scenario_order(runs, reference) if s != reference]
    pairs = _paired_pairs(runs, reference, kpis)
    agg = pairs.groupby(["scenario", "kpi"], sort=False).agg(
        n_pairs=("diff", "count"),
        mean=("value", "mean"),
        ref_mean=("ref_value", "mean"),
        mean_diff=("diff", "mean"),
        sd_diff=("diff", "std"),
    )
    full = pd.MultiIndex.from_product([scenarios, kpis], names=["scenario", "kpi"])
    agg = agg.reindex(full).reset_index()
    agg["n_pairs"] = agg["n_pairs"].fillna(0).astype(int)
    return adjust_differences(_sort_like(_paired_t(agg, confidence, alpha), scenarios, kpis), adjust, alpha)


def kpi_direction(kpi: str, directions: Mapping[str, str] | None = None) -> Direction:
    """Whether lower or higher values of a KPI are better.

    Looked up, in order: the ``directions`` given, ``DEFAULT_DIRECTIONS``, keywords in the name
    (``prevented``/``avoided``/``satisfaction``... -> higher; ``incident``/``fraud``/
    ``dropout``/``response_time``/``spending``... -> lower), and finally "higher".
    """
    return known_direction(kpi, directions) or "higher"


def known_direction(kpi: str, directions: Mapping[str, str] | None = None) -> Direction | None:
    """:func:`kpi_direction` without its last resort: None when neither the names nor the
    keywords say which way is better (an EMA outcome is then INFO, not an objective)."""
    merged = {**DEFAULT_DIRECTIONS, **(directions or {})}
    if kpi in merged:
        value = str(merged[kpi]).lower()
        if value not in ("lower", "higher"):
            raise InputError(f"directions.{kpi}: {merged[kpi]!r} is not allowed; expected lower or higher")
        return value  # type: ignore[return-value]
    name = kpi.lower()
    for word, direction in _DIRECTION_KEYWORDS:
        if word in name:
            return direction
    return None


def judge_differences(diffs: pd.DataFrame, directions: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Add ``direction`` and ``verdict`` ("better", "worse", "no significant change") columns.

    Significance alone does not say whether a change is welcome; this uses the KPI's direction.
    """
    direction = diffs["kpi"].map(lambda k: kpi_direction(k, directions))
    sign = np.where(direction == "lower", -1.0, 1.0)
    good = sign * diffs["mean_diff"].to_numpy(dtype=float) > 0
    verdict = np.where(~diffs["significant"].to_numpy(dtype=bool), "no significant change", np.where(good, "better", "worse"))
    return diffs.assign(direction=direction.to_numpy(), verdict=verdict)


def significance_stars(p: float | None) -> str:
    """Conventional stars: *** p<0.001, ** p<0.01, * p<0.05, '' otherwise or unknown."""
    if p is None or not np.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def rank_scenarios(summary: pd.DataFrame, kpi: str, directions: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Scenarios ordered best first on one KPI by their mean, using the KPI's direction."""
    rows = summary.loc[summary["kpi"] == kpi].dropna(subset=["mean"])
    ascending = kpi_direction(kpi, directions) == "lower"
    return rows.sort_values("mean", ascending=ascending, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Cost-effectiveness
# --------------------------------------------------------------------------------------------


def _bootstrap_means(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Means of ``values`` over each row of resampling indices ``idx`` (shape: n_boot x n)."""
    return values[idx].mean(axis=1)


def _percentile_ci(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    """Percentile interval of the finite bootstrap samples (NaN if there are none)."""
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return (np.nan, np.nan)
    lo, hi = np.percentile(finite, [50 * (1 - confidence), 50 * (1 + confidence)])
    return (float(lo), float(hi))


def ce_status(extra_spending: float, gain: float) -> str:
    """Classify a scenario against the reference by mean extra spending and mean gain.

    The rule (a ratio "gain per extra CNY" only means something when the extra spending is
    positive; the ratio is reported whenever it is, NaN otherwise):
    * extra > 0, gain > 0   -> "costlier_better": ratio ranked, highest first;
    * extra = 0, gain = 0   -> "equivalent";
    * extra >= 0, gain <= 0 -> "dominated": pays as much or more for no gain; not ranked;
    * extra <= 0, gain >= 0 -> "dominant": no extra cost and no worse; ranked above every
      costlier scenario (by gain);
    * extra < 0, gain < 0   -> "cheaper_worse": saves money and loses safety, a trade-off no
      "per extra CNY" ratio describes; not ranked.
    The status uses the means: a gain whose CI covers 0 still counts by its sign, so read the
    status together with the intervals. NaN inputs give "undefined".
    """
    if not (np.isfinite(extra_spending) and np.isfinite(gain)):
        return "undefined"
    if extra_spending > 0 and gain > 0:
        return "costlier_better"
    if extra_spending == 0 and gain == 0:
        return "equivalent"
    if extra_spending >= 0 and gain <= 0:
        return "dominated"
    if gain >= 0:
        return "dominant"
    return "cheaper_worse"


def _ce_one(
    gain: np.ndarray, extra: np.ndarray, per: float, n_boot: int, confidence: float, rng: np.random.Generator
) -> dict[str, float | str]:
    """Point estimates and paired-bootstrap CIs for one scenario and outcome.

    The ratio is a ratio of means (mean gain / mean extra spending), which is stable where
    a mean of per-replicate ratios is not. Pairs (gain_i, extra_i) are resampled together,
    keeping the CRN pairing; resamples whose extra spending is <= 0 have no ratio and are
    left out of its interval (their share is reported as ``boot_share_costlier``).
    """
    n = gain.size
    g_mean, e_mean = float(gain.mean()), float(extra.mean())
    status = ce_status(e_mean, g_mean)
    idx = rng.integers(0, n, size=(n_boot, n))
    g_boot, e_boot = _bootstrap_means(gain, idx), _bootstrap_means(extra, idx)
    costlier = e_boot > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        r_boot = np.where(costlier, per * g_boot / e_boot, np.nan)
    has_ratio = e_mean > 0
    r_lo, r_hi = _percentile_ci(r_boot, confidence) if has_ratio else (np.nan, np.nan)
    g_lo, g_hi = _percentile_ci(g_boot, confidence)
    e_lo, e_hi = _percentile_ci(e_boot, confidence)
    return {
        "n_pairs": n,
        "extra_spending_mean": e_mean,
        "extra_spending_ci_low": e_lo,
        "extra_spending_ci_high": e_hi,
        "gain_mean": g_mean,
        "gain_ci_low": g_lo,
        "gain_ci_high": g_hi,
        "ratio": per * g_mean / e_mean if has_ratio else np.nan,
        "ratio_ci_low": r_lo,
        "ratio_ci_high": r_hi,
        "status": status,
        "boot_share_costlier": float(costlier.mean()),
    }


def _scenario_rng(seed: int, scenario: str, outcome: str) -> np.random.Generator:
    """A generator keyed by (seed, scenario, outcome): results do not depend on which other
    scenarios are in the table or on the order they are processed."""
    return np.random.default_rng([int(seed), zlib.crc32(scenario.encode()), zlib.crc32(outcome.encode())])


CE_COLUMNS = [
    "scenario", "outcome", "kpi", "n_pairs", "spending_mean", "extra_spending_mean", "extra_spending_ci_low",
    "extra_spending_ci_high", "gain_mean", "gain_ci_low", "gain_ci_high", "ratio", "ratio_ci_low",
    "ratio_ci_high", "per_cny", "status", "boot_share_costlier",
]  # fmt: skip


def cost_effectiveness(
    runs: pd.DataFrame,
    reference: str,
    spending: str = "spending_cny",
    outcomes: Mapping[str, str] | None = None,
    per: float = 10_000.0,
    n_boot: int = 2000,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> pd.DataFrame:
    """Gain against the reference per ``per`` CNY of extra spending, with paired-bootstrap CIs.

    ``outcomes`` maps a label to a KPI whose *reduction* is the gain (defaults: incidents
    prevented from ``incidents_total``, fraud losses avoided from ``fraud_losses_cny``): per
    replicate, gain = reference KPI - scenario KPI and extra = scenario spending - reference
    spending. ``ratio`` = per * mean(gain) / mean(extra); see :func:`ce_status` for what is
    reported when extra spending is <= 0 ("dominant", "cheaper_worse", "equivalent").
    Outcomes whose KPI is missing are skipped; no spending column gives an empty table.
    The bootstrap is deterministic given ``seed``.
    """
    validate_runs(runs, reference)
    outcomes = dict(DEFAULT_CE_OUTCOMES if outcomes is None else outcomes)
    present = {label: kpi for label, kpi in outcomes.items() if kpi in runs.columns}
    if spending not in runs.columns or not present:
        return pd.DataFrame(columns=CE_COLUMNS)
    kpis = [spending, *dict.fromkeys(present.values())]
    wide = runs[["scenario", "replicate", *kpis]].assign(scenario=runs["scenario"].astype(str))
    ref = wide.loc[wide["scenario"] == reference].drop(columns="scenario")
    pairs = wide.loc[wide["scenario"] != reference].merge(ref, on="replicate", suffixes=("", "_ref"))
    spend_mean = wide.groupby("scenario", sort=False)[spending].mean()
    rows = []
    for scenario in [s for s in scenario_order(runs, reference) if s != reference]:
        grp = pairs.loc[pairs["scenario"] == scenario]
        for label, kpi in present.items():
            ok = grp[[spending, f"{spending}_ref", kpi, f"{kpi}_ref"]].notna().all(axis=1)
            g = grp.loc[ok]
            base = {"scenario": scenario, "outcome": label, "kpi": kpi, "spending_mean": spend_mean.get(scenario, np.nan)}
            if g.empty:
                rows.append({**base, "n_pairs": 0, "status": "undefined"})
                continue
            gain = (g[f"{kpi}_ref"] - g[kpi]).to_numpy(dtype=float)
            extra = (g[spending] - g[f"{spending}_ref"]).to_numpy(dtype=float)
            rng = _scenario_rng(seed, scenario, label)
            rows.append({**base, **_ce_one(gain, extra, per, n_boot, confidence, rng)})
    return pd.DataFrame(rows, columns=CE_COLUMNS).assign(per_cny=per)


def rank_cost_effectiveness(ce: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Rank scenarios on one outcome: "dominant" first (largest gain first), then
    "costlier_better" by ratio, highest first. Other statuses are not ranked (left out)."""
    rows = ce.loc[ce["outcome"] == outcome]
    dominant = rows.loc[rows["status"] == "dominant"].sort_values("gain_mean", ascending=False)
    costlier = rows.loc[rows["status"] == "costlier_better"].sort_values("ratio", ascending=False)
    return pd.concat([dominant, costlier]).reset_index(drop=True)


def pareto_efficient(cost: Sequence[float] | np.ndarray, gain: Sequence[float] | np.ndarray) -> np.ndarray:
    """Boolean mask of points no other point beats: nothing at lower-or-equal cost with
    higher-or-equal gain, strictly better in one. NaN points are never efficient."""
    c = np.asarray(cost, dtype=float)
    g = np.asarray(gain, dtype=float)
    valid = np.isfinite(c) & np.isfinite(g)
    c_j, g_j = c[None, :], g[None, :]
    c_i, g_i = c[:, None], g[:, None]
    dominates = (c_j <= c_i) & (g_j >= g_i) & ((c_j < c_i) | (g_j > g_i)) & valid[None, :]
    return valid & ~dominates.any(axis=1)


# --------------------------------------------------------------------------------------------
# Daily time series
# --------------------------------------------------------------------------------------------


def daily_bands(
    daily: pd.DataFrame,
    kpis: Sequence[str] | None = None,
    low: float = 2.5,
    high: float = 97.5,
    window: int = 1,
) -> pd.DataFrame:
    """Per scenario, KPI and day: mean across replicates and the low/high percentiles.

    The "low / best / high" presentation of epidemic simulators: the band shows the spread of
    single runs (not a CI of the mean), which is what a reader should expect from one run.
    ``window`` > 1 first takes a trailing rolling mean over that many days within each run, so
    that sparse daily counts (a few incidents a day) show a trend rather than spikes.
    Returns columns ``scenario, kpi, day, n, mean, low, high``.
    """
    validate_daily(daily)
    kpis = kpi_columns(daily, kpis)
    scenarios = [str(s) for s in pd.unique(daily["scenario"])]
    if window > 1:
        daily = _rolling_within_runs(daily, kpis, window)
    long = _to_long(daily, kpis, ["scenario", "replicate", "day"])
    g = long.groupby(["scenario", "kpi", "day"], sort=False)["value"]
    out = g.agg(n="count", mean="mean")
    out["low"] = g.quantile(low / 100.0)
    out["high"] = g.quantile(high / 100.0)
    out = out.reset_index()
    return _sort_like(out.sort_values("day", kind="stable"), scenarios, kpis)


def _rolling_within_runs(daily: pd.DataFrame, kpis: Sequence[str], window: int) -> pd.DataFrame:
    """Trailing rolling mean of the KPI columns over ``window`` days, separately for each run."""
    ordered = daily.sort_values(["scenario", "replicate", "day"], kind="stable")
    rolled = ordered.groupby(["scenario", "replicate"], sort=False)[list(kpis)].rolling(window, min_periods=1).mean()
    rolled.index = rolled.index.droplevel([0, 1])
    return ordered.assign(**{k: rolled[k] for k in kpis})
