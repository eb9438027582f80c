"""Everything ``safetysim compare`` writes once the runs are in: tables, figures and the report.

One entry point, :func:`write_compare_outputs`, so the CLI only gathers the runs and prints the
compact table this returns. Layout of ``out_dir``::

    runs.parquet, runs.csv        the tidy runs table as given (one row per run)
    summary.csv                   tidy statistics, one row per (scenario, KPI)
    summary.md                    the same, readable: means, paired differences, cost-effectiveness
    cost_effectiveness.csv        cost-effectiveness in full detail (when spending is recorded)
    figures/*.png                 KPI bars, daily bands, frontier, five factors, satisfaction groups
    report.md, report.html        the report (HTML self-contained)

Every file is written atomically, so an interrupted command leaves either the previous file or
the new one, never a torn one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from experiments.reporting import plots
from experiments.reporting.report import (
    atomic_path,
    atomic_write_text,
    ce_display_table,
    differences_table,
    headline_kpis,
    markdown_table,
    means_table,
    tests_table,
    write_report,
)
from experiments.analysis.statistics import (
    ADJUST_NAMES,
    DEFAULT_ADJUST,
    DEFAULT_ALPHA,
    DZ_NOTE,
    adjust_differences,
    check_adjust,
    DEFAULT_CONFIDENCE,
    cost_effectiveness,
    daily_bands,
    judge_differences,
    kpi_columns,
    paired_differences,
    scenario_order,
    scenario_summary,
    uses_common_random_numbers,
    validate_daily,
    validate_runs,
)

DIFF_COLUMNS = [
    "n_pairs", "mean_diff", "diff_ci_low", "diff_ci_high", "t_stat", "p_value", "p_adjusted", "adjust",
    "significant", "cohens_dz", "rel_change_pct", "direction", "verdict",
]  # fmt: skip


class CompareOutputs(dict):
    """A dict of written paths (name -> Path) that also carries the terminal table as ``.table``.

    Keys: ``runs_parquet``, ``runs_csv``, ``summary_csv``, ``summary_md``,
    ``cost_effectiveness_csv`` (if spending was recorded), ``figure_<name>`` for each figure
    drawn (``kpi_bars``, ``daily``, ``cost_frontier``, ``factors``, ``satisfaction_groups``),
    ``report_md``, ``report_html``.
    """

    table: pd.DataFrame


def _per_label(per: float) -> str:
    """Column-name suffix for the budget unit: 10,000 CNY -> "per_10k_cny"."""
    return "per_10k_cny" if per == 10_000 else f"per_{per:g}_cny"


def tidy_summary(summary: pd.DataFrame, diffs: pd.DataFrame, ce: pd.DataFrame) -> pd.DataFrame:
    """One long table for summary.csv: per (scenario, KPI) the mean and CI, the paired
    difference vs the reference (empty for the reference itself), plus one row per scenario and
    cost-effectiveness outcome (``kpi`` = e.g. ``incidents_prevented_per_10k_cny``, ``mean`` =
    the ratio, ``note`` = its status)."""
    table = summary.merge(diffs[["scenario", "kpi", *DIFF_COLUMNS]], on=["scenario", "kpi"], how="left")
    table["note"] = ""
    if ce.empty:
        return table
    ce_rows = pd.DataFrame(
        {
            "scenario": ce["scenario"],
            "kpi": ce["outcome"] + "_" + ce["per_cny"].map(_per_label),
            "n": ce["n_pairs"],
            "mean": ce["ratio"],
            "ci_low": ce["ratio_ci_low"],
            "ci_high": ce["ratio_ci_high"],
            "note": ce["status"],
        }
    )
    return pd.concat([table, ce_rows], ignore_index=True)


def summary_markdown(
    summary: pd.DataFrame, diffs: pd.DataFrame, ce: pd.DataFrame, reference: str, title: str, confidence: float
) -> str:
    """summary.md: the three readable tables (KPI rows, scenario columns) and a legend."""
    pct = f"{100 * confidence:g}%"
    means = means_table(summary, diffs=diffs, reference=reference).T.rename_axis("KPI").reset_index()
    parts = [
        f"# {title}: summary",
        "",
        f"Cells are `mean [{pct} CI]`; stars mark a significant paired difference vs the reference "
        f"'{reference}' on the multiplicity-adjusted p ({_adjust_name(diffs)}; * p<0.05, ** p<0.01, *** p<0.001).",
        "",
        f"## Means by scenario ({pct} CI)",
        "",
        markdown_table(means),
    ]
    if not diffs.empty:
        d = differences_table(diffs).T.rename_axis("KPI").reset_index()
        parts += ["", f"## Difference vs '{reference}' (scenario - reference, paired by replicate, {pct} CI)", "", markdown_table(d)]
        parts += ["", "## Tests: raw and adjusted p-values, effect size d_z", "", markdown_table(tests_table(diffs)), "", DZ_NOTE]
    if not ce.empty:
        parts += ["", f"## Cost-effectiveness vs '{reference}' (paired bootstrap {pct} CI)", "", markdown_table(ce_display_table(ce))]
    return "\n".join(parts) + "\n"


def constraints_table(runs: pd.DataFrame, reference: str | None = None) -> pd.DataFrame:
    """Per scenario and lever: mean asked and delivered over replicates, share, in how many
    replicates a capacity binds, and the sentence saying what binds and what lifts it (from the
    ``constraint_<lever>_asked/_delivered/_binds`` columns the model runs store)."""
    from simulation.constraints import constraint_sentence

    levers = [c[len("constraint_"):-len("_asked")] for c in runs.columns if c.startswith("constraint_") and c.endswith("_asked")]
    rows = []
    for scenario in scenario_order(runs, reference):
        grp = runs.loc[runs["scenario"].astype(str) == scenario]
        for lever in levers:
            cols = [f"constraint_{lever}_{f}" for f in ("asked", "delivered", "binds")]
            if not set(cols) <= set(grp.columns):
                continue
            g = grp[cols].dropna()
            if g.empty:
                continue
            asked, done = float(g[cols[0]].mean()), float(g[cols[1]].mean())
            n_bind = int((g[cols[2]] > 0).sum())
            rows.append({"scenario": scenario, "lever": lever, "asked": asked, "delivered": done,
                         "share": done / asked if asked > 0 else 1.0, "binds_in": f"{n_bind} of {len(g)}",
                         "message": constraint_sentence(lever, asked, done, n_bind * 2 > len(g))})  # fmt: skip
    return pd.DataFrame(rows, columns=["scenario", "lever", "asked", "delivered", "share", "binds_in", "message"])


def _adjust_name(diffs: pd.DataFrame) -> str:
    """The adjustment used in a differences table, in words."""
    method = str(diffs["adjust"].iloc[0]) if "adjust" in diffs.columns and not diffs.empty else "none"
    return ADJUST_NAMES.get(method, method)


def write_runs(out: Path, runs: pd.DataFrame) -> dict[str, Path]:
    """The tidy runs table as Parquet (typed, for re-analysis) and CSV (for a spreadsheet)."""
    with atomic_path(out / "runs.parquet") as tmp:
        runs.to_parquet(tmp, index=False)
    with atomic_path(out / "runs.csv") as tmp:
        runs.to_csv(tmp, index=False)
    return {"runs_parquet": out / "runs.parquet", "runs_csv": out / "runs.csv"}


def write_figures(
    fig_dir: Path,
    summary: pd.DataFrame,
    diffs: pd.DataFrame,
    daily: pd.DataFrame | None,
    reference: str,
    bar_kpis: Sequence[str],
    daily_kpis: Sequence[str] | None,
    spending: str,
    frontier_kpis: Sequence[str],
    labels: Mapping[str, str] | None,
    directions: Mapping[str, str] | None,
    smooth_days: int = 7,
) -> dict[str, Path]:
    """Draw every figure the data allows; figures whose KPIs are missing are left out."""
    bands = daily_bands(daily, daily_kpis, window=smooth_days) if daily is not None and not daily.empty else None
    drawn = {
        "kpi_bars": plots.plot_kpi_bars(summary, fig_dir / "kpi_bars.png", bar_kpis, reference, diffs, labels=labels, directions=directions),
        "daily": plots.plot_daily_bands(bands, fig_dir / "daily.png", labels=labels, reference=reference, smooth_days=smooth_days) if bands is not None else None,
        "cost_frontier": plots.plot_cost_frontier(summary, diffs, fig_dir / "cost_frontier.png", reference, frontier_kpis, spending, labels, directions),
        "factors": plots.plot_factor_diagnostics(summary, fig_dir / "factors.png", reference=reference, labels=labels),
        "satisfaction_groups": plots.plot_satisfaction_groups(summary, fig_dir / "satisfaction_groups.png", reference=reference, labels=labels),
    }  # fmt: skip
    return {name: path for name, path in drawn.items() if path is not None}


def _daily_kpis(daily: pd.DataFrame | None, requested: Sequence[str] | None, limit: int = 4) -> list[str] | None:
    """Daily panels: the requested headline KPIs recorded daily, else the default headline
    slots resolved against the daily columns, else the first few daily KPIs."""
    if daily is None:
        return None
    available = kpi_columns(daily)
    chosen = headline_kpis(available, requested, limit) if requested is not None else []
    return chosen or headline_kpis(available, None, limit)


def write_compare_outputs(
    out_dir: str | os.PathLike[str],
    runs: pd.DataFrame,
    daily: pd.DataFrame | None,
    reference: str,
    kpis: list[str] | None = None,
    meta: Mapping[str, object] | None = None,
    *,
    headline: Sequence[str] | None = None,
    directions: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    spending: str = "spending_cny",
    ce_outcomes: Mapping[str, str] | None = None,
    frontier_kpis: Sequence[str] = ("incidents_total", "fraud_losses_cny"),
    alpha: float = DEFAULT_ALPHA,
    confidence: float = DEFAULT_CONFIDENCE,
    n_boot: int = 2000,
    seed: int = 0,
    terminal_kpis: int = 6,
    smooth_days: int = 7,
    adjust: str = DEFAULT_ADJUST,
) -> CompareOutputs:
    """Write the runs, statistics, figures and report of a comparison; return the paths and
    the compact terminal table (``result.table``: scenario x headline KPI, "mean [lo, hi]" with
    significance stars vs the reference).

    ``runs``: one row per run with ``scenario``, ``replicate``, optionally ``seed``, and numeric
    KPI columns; the statistics use ``kpis`` if given, else every numeric column. Recognised
    columns: ``spending_cny``, ``incidents_total``, ``fraud_losses_cny`` (cost-effectiveness and
    frontier), ``factor_subject|culture|system|allocation|strategy`` (five-factor figure),
    ``mobile_satisfaction``/``registered_satisfaction`` (satisfaction figure); missing ones
    just drop their figure or table. ``daily``: optional, ``scenario, replicate, day`` and KPI
    columns, drawn as a ``smooth_days`` rolling mean within each run. ``meta`` is shown in the
    report (``meta["title"]`` titles it). ``headline`` picks the KPIs the bars, reading and
    terminal table lead with (default: incidents, fraud losses, satisfaction, active volunteers,
    reporting rate, spending, ... whichever exist); the terminal table shows the first
    ``terminal_kpis`` of them.
    ``adjust`` (holm, bh, none) corrects the p-values for multiple comparisons over every
    (scenario, KPI) difference reported (the ``kpis`` shown); significance uses the adjusted p.
    Raises :class:`simulation.errors.InputError` on a table that cannot be analysed (missing
    columns, duplicate (scenario, replicate) — e.g. several design points under one scenario
    name — unknown reference) before writing anything.
    """
    validate_runs(runs, reference)
    adjust = check_adjust(adjust)
    if daily is not None:
        validate_daily(daily)
    out = Path(out_dir)
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    shown = kpi_columns(runs, kpis)
    # Figures need their own columns (factors, satisfaction, spending) even if ``kpis`` omits them.
    analysed = list(dict.fromkeys([*shown, *kpi_columns(runs, [spending, *frontier_kpis, *plots.FACTOR_KPIS,
                                                               "mobile_satisfaction", "registered_satisfaction"])]))  # fmt: skip
    lead = headline_kpis(shown, headline)

    summary_all = scenario_summary(runs, analysed, confidence, reference)
    # One family = the differences reported (the KPIs shown); figure-only KPIs are adjusted apart.
    raw_all = paired_differences(runs, reference, analysed, confidence, alpha, adjust="none")
    in_shown = raw_all["kpi"].isin(shown)
    adjusted = pd.concat([adjust_differences(raw_all.loc[in_shown], adjust, alpha),
                          adjust_differences(raw_all.loc[~in_shown], adjust, alpha)]).sort_index()  # fmt: skip
    diffs_all = judge_differences(adjusted, directions)
    ce = cost_effectiveness(runs, reference, spending, ce_outcomes, n_boot=n_boot, confidence=confidence, seed=seed)
    summary = summary_all.loc[summary_all["kpi"].isin(shown)].reset_index(drop=True)
    diffs = diffs_all.loc[diffs_all["kpi"].isin(shown)].reset_index(drop=True)

    meta_full: dict[str, object] = {
        "title": "Scenario comparison",
        "reference": reference,
        "scenarios": ", ".join(scenario_order(runs, reference)),
        "n_replicates": _replicate_count(runs),
        "common_random_numbers": uses_common_random_numbers(runs),
        "alpha": alpha,
        "multiple_comparisons": ADJUST_NAMES[adjust],
        "confidence": confidence,
        "bootstrap": f"{n_boot} paired resamples, seed {seed}",
        **(meta or {}),
    }
    title = str(meta_full["title"])

    result = CompareOutputs(write_runs(out, runs))
    result["summary_csv"] = _write_csv(out / "summary.csv", tidy_summary(summary, diffs, ce))
    result["summary_md"] = atomic_write_text(out / "summary.md", summary_markdown(summary, diffs, ce, reference, title, confidence))
    if not ce.empty:
        result["cost_effectiveness_csv"] = _write_csv(out / "cost_effectiveness.csv", ce)
    figures = write_figures(fig_dir, summary_all, diffs_all, daily, reference, lead, _daily_kpis(daily, headline),
                            spending, frontier_kpis, labels, directions, smooth_days)  # fmt: skip
    result.update({f"figure_{name}": path for name, path in figures.items()})
    tables = {"scenario_summary": summary, "paired_differences": diffs, "tests": diffs, "cost_effectiveness": ce}
    constraints = constraints_table(runs, reference)
    if not constraints.empty:
        tables["binding_constraints"] = constraints
        result["constraints_csv"] = _write_csv(out / "constraints.csv", constraints)
    by_district = district_breakdown(runs, scenario_order(runs, reference))
    if by_district is not None:  # worlds of several districts: one small table per district
        tables["incidents_per_1000_by_district"] = by_district
        result["districts_csv"] = _write_csv(out / "districts.csv", by_district.reset_index())
        binding = district_binding(runs, scenario_order(runs, reference))
        if binding is not None:
            tables["binding_factor_by_district"] = binding
            result["district_binding_csv"] = _write_csv(out / "district_binding.csv", binding.reset_index())
    md, html_path = write_report(out, tables, figures, meta_full, directions=directions, headline=lead, labels=labels)
    result["report_md"], result["report_html"] = md, html_path
    result.table = terminal_table(summary, diffs, lead[:terminal_kpis], reference)
    return result


def district_breakdown(runs: pd.DataFrame, order: Sequence[str], kpi: str = "incidents_per_1000") -> pd.DataFrame | None:
    """``kpi`` by district (rows) and scenario (columns), mean over replicates; None for a world
    of one district (the runs carry no ``district__*`` columns)."""
    from simulation.district_metrics import breakdown, long_from_run_rows

    long = long_from_run_rows(runs)
    if long.empty or kpi not in long.columns:
        return None
    table = breakdown(long, kpi)
    return table[[s for s in order if s in table.columns]]


def district_binding(runs: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame | None:
    """The binding restrictive factor by district (rows) and scenario (columns): the lowest of the
    five factor indices averaged over replicates; None without per-district factor columns."""
    from simulation.district_metrics import binding_factors, long_from_run_rows

    long = long_from_run_rows(runs)
    table = binding_factors(long) if not long.empty else None
    if table is None:
        return None
    return table[[s for s in order if s in table.columns]]


def terminal_table(summary: pd.DataFrame, diffs: pd.DataFrame, kpis: Sequence[str], reference: str) -> pd.DataFrame:
    """Scenario x headline KPI, "mean [lo, hi]" plus stars vs the reference: what the CLI prints."""
    return means_table(summary, kpis, diffs, reference)


def _replicate_count(runs: pd.DataFrame) -> int | str:
    """Replicates per scenario: one number, or "min-max" when failures left them unequal."""
    counts = runs.groupby("scenario")["replicate"].nunique()
    lo, hi = int(counts.min()), int(counts.max())
    return lo if lo == hi else f"{lo}-{hi}"


def _write_csv(path: Path, table: pd.DataFrame) -> Path:
    """A CSV written atomically."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
    return path
