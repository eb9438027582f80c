"""Figures for the ``compare`` command, drawn from the tidy tables of :mod:`experiments.analysis.statistics`.

Every function takes already-computed statistics (never raw runs, so a figure shows exactly the
numbers in the summary table), writes one PNG atomically and returns its path, or returns None
when the KPIs it needs are not in the table: a model version without, say, the five-factor
diagnostics still gets every other figure.

Figures are built on :class:`matplotlib.figure.Figure` directly rather than through pyplot, so
they render with the Agg canvas whatever backend the calling process has chosen and leave no
global figure state behind (safe in worker threads and in the teaching app's process).
"""

from __future__ import annotations

import contextlib
import math
import os
import textwrap
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from experiments.analysis.statistics import kpi_direction, pareto_efficient, reported_p, significance_stars

FACTOR_KPIS: tuple[str, ...] = (
    "factor_subject",
    "factor_culture",
    "factor_system",
    "factor_allocation",
    "factor_strategy",
)
"""The five restrictive factors of the study, each an index in 0..1 (higher = healthier)."""

DEFAULT_LABELS: dict[str, str] = {
    "incidents": "Incidents (count per day)",
    "incidents_total": "Incidents (count)",
    "incidents_per_1000": "Incidents per 1,000 residents per year",
    "response_hours": "Response time (hours)",
    "annual_dropout": "Volunteer dropout (share per year)",
    "participation_efficiency": "Participation efficiency (incidents prevented per 1,000 volunteer-hours)",
    "volunteer_hours": "Volunteer-hours",
    "volunteer_hours_per_year": "Volunteer-hours per year",
    "fraud_losses_per_1000_cny": "Fraud losses per 1,000 residents per year (CNY)",
    "fraud_losses_cny": "Fraud losses (CNY)",
    "fraud_victims": "Fraud victims (count)",
    "spending_cny": "Spending (CNY)",
    "satisfaction": "Satisfaction",
    "mobile_satisfaction": "Satisfaction, mobile population",
    "registered_satisfaction": "Satisfaction, registered population",
    "dropout_rate": "Volunteer dropout (share per year)",
    "reporting_rate": "Reporting rate (share)",
    "response_time_hours": "Response time (hours)",
    "active_volunteers": "Active volunteers (count)",
    "registered_volunteers": "Registered volunteers (count)",
    "efficiency": "Participation efficiency",
    "factor_subject": "Subject factor (0-1)",
    "factor_culture": "Culture factor (0-1)",
    "factor_system": "System factor (0-1)",
    "factor_allocation": "Resource-allocation factor (0-1)",
    "factor_strategy": "Strategy factor (0-1)",
    "incidents_prevented": "Incidents prevented (count)",
    "fraud_losses_avoided_cny": "Fraud losses avoided (CNY)",
}

FACTOR_NAMES: dict[str, str] = {
    "factor_subject": "Subject",
    "factor_culture": "Culture",
    "factor_system": "System",
    "factor_allocation": "Resource allocation",
    "factor_strategy": "Strategy",
}
"""Short column names for the five-factor heatmap."""

_UNIT_TOKENS: tuple[tuple[str, str], ...] = (("cny", "CNY"), ("pct", "%"))
"""Name tokens that are units wherever they stand: ``spending_training_cny`` is in CNY."""

_TRAILING_UNITS = ("hours", "days", "minutes")
"""Last name tokens that are units: ``response_hours`` is in hours."""

DPI = 110


def kpi_label(kpi: str, labels: Mapping[str, str] | None = None) -> str:
    """A readable axis/title label with its unit: given labels, then defaults, then the column
    name turned into words, with a unit read from its tokens
    (``fraud_losses_cny`` -> "Fraud losses (CNY)", ``spending_cny_per_year`` -> "Spending per year (CNY)")."""
    merged = {**DEFAULT_LABELS, **(labels or {})}
    if kpi in merged:
        return merged[kpi]
    tokens = [t for t in kpi.split("_") if t]
    unit = next((u for token, u in _UNIT_TOKENS if token in tokens), None)
    if unit is None and tokens and tokens[-1] in _TRAILING_UNITS:
        unit = tokens.pop()
    words = " ".join(t for t in tokens if t not in dict(_UNIT_TOKENS)).replace("per 1000", "per 1,000")
    words = words[:1].upper() + words[1:]
    return f"{words} ({unit})" if unit else words


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success move it over ``target`` atomically.

    Same folder, so ``os.replace`` is a rename within one filesystem and a reader never sees a
    half-written file; on error the temporary file is removed and ``target`` is left as it was.
    The temporary file is created normally (not with mkstemp), so it gets the usual
    permissions from the umask. Shared by every writer of the compare outputs.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_figure(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write a figure as PNG atomically and return its path."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight")
    return Path(path)


def scenario_colors(scenarios: Sequence[str]) -> dict[str, tuple[float, ...]]:
    """One stable colour per scenario (in the given order), shared by all figures."""
    cmap = colormaps["tab10"] if len(scenarios) <= 10 else colormaps["tab20"]
    return {s: cmap(i % cmap.N) for i, s in enumerate(scenarios)}


def _scenarios(summary: pd.DataFrame, reference: str | None) -> list[str]:
    """Scenario order of the table, reference first."""
    order = [str(s) for s in pd.unique(summary["scenario"])]
    if reference in order:
        order.remove(reference)
        order.insert(0, reference)
    return order


def _present(summary: pd.DataFrame, kpis: Sequence[str]) -> list[str]:
    """The requested KPIs that have at least one value in the summary table."""
    have = set(summary.loc[summary["mean"].notna(), "kpi"])
    return [k for k in kpis if k in have]


def _grid(n_panels: int, ncols: int, panel_size: tuple[float, float]) -> tuple[Figure, list[Axes]]:
    """A figure with n panels laid out in rows of ``ncols``; unused cells are hidden."""
    ncols = max(1, min(ncols, n_panels))
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows), layout="constrained")
    axes = list(np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel())
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]


def _err(mean: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Asymmetric error-bar lengths from an interval (0 where the interval is unknown)."""
    return np.nan_to_num(np.vstack([mean - low, high - mean]), nan=0.0).clip(min=0.0)


def _thousands(ax: Axes, axis: str = "y") -> None:
    """Thousands separators on an axis whose values are large (CNY), instead of 1e5 offsets."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    if max(abs(lo), abs(hi)) >= 10_000:
        target.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))


def _wrap(text: str, width: int = 40) -> str:
    """Break a long label over lines so panel titles do not run into each other."""
    return textwrap.fill(text, width)


def _unit(label: str) -> str:
    """The unit of a label ("Fraud losses (CNY)" -> "CNY"), or the label when it has none:
    the axis says the unit, the panel title says what is measured."""
    if label.endswith(")") and "(" in label:
        return label[label.rindex("(") + 1 : -1]
    return label


def _direction_note(kpi: str, directions: Mapping[str, str] | None) -> str:
    return "lower is better" if kpi_direction(kpi, directions) == "lower" else "higher is better"


def plot_kpi_bars(
    summary: pd.DataFrame,
    path: str | os.PathLike[str],
    kpis: Sequence[str] | None = None,
    reference: str | None = None,
    diffs: pd.DataFrame | None = None,
    ncols: int = 3,
    labels: Mapping[str, str] | None = None,
    directions: Mapping[str, str] | None = None,
) -> Path | None:
    """Grid of bar charts, one panel per KPI: scenario means with 95% CI error bars.

    The reference bar is hatched; with ``diffs`` (paired differences) a star marks a scenario
    whose difference from the reference is significant, so the eye does not have to judge
    overlapping intervals (which understate paired significance under CRN).
    """
    kpis = _present(summary, kpis if kpis is not None else list(pd.unique(summary["kpi"])))
    if not kpis:
        return None
    scenarios = _scenarios(summary, reference)
    colors = scenario_colors(scenarios)
    stars = {}
    if diffs is not None and not diffs.empty:
        stars = {(s, k): significance_stars(p) for s, k, p in zip(diffs["scenario"], diffs["kpi"], reported_p(diffs), strict=True)}
    fig, axes = _grid(len(kpis), ncols, (4.2, 3.4))
    x = np.arange(len(scenarios))
    for ax, kpi in zip(axes, kpis, strict=True):
        rows = summary.loc[summary["kpi"] == kpi].set_index("scenario").reindex(scenarios)
        mean = rows["mean"].to_numpy(dtype=float)
        bars = ax.bar(x, np.nan_to_num(mean), color=[colors[s] for s in scenarios], edgecolor="black", linewidth=0.6)
        ax.errorbar(x, mean, yerr=_err(mean, rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)),
                    fmt="none", ecolor="black", capsize=3, linewidth=1)  # fmt: skip
        for i, s in enumerate(scenarios):
            if s == reference:
                bars[i].set_hatch("//")
            star = stars.get((s, kpi), "")
            if star and np.isfinite(mean[i]):
                top = rows["ci_high"].iloc[i] if np.isfinite(rows["ci_high"].iloc[i]) else mean[i]
                ax.annotate(star, (x[i], top), ha="center", va="bottom", fontsize=10, xytext=(0, 2), textcoords="offset points")
        ax.set_title(f"{_wrap(kpi_label(kpi, labels))}\n({_direction_note(kpi, directions)})", fontsize=10)
        ax.set_xticks(x, scenarios, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(_wrap(_unit(kpi_label(kpi, labels))), fontsize=8)
        ax.margins(y=0.15)
        ax.grid(axis="y", alpha=0.3)
        _thousands(ax)
    ref_note = f"hatched = reference ({reference}); " if reference else ""
    fig.suptitle(f"KPIs by scenario: mean and 95% CI ({ref_note}* p<0.05 vs reference, paired)", fontsize=11)
    return save_figure(fig, path)


def plot_daily_bands(
    bands: pd.DataFrame,
    path: str | os.PathLike[str],
    kpis: Sequence[str] | None = None,
    ncols: int = 2,
    labels: Mapping[str, str] | None = None,
    reference: str | None = None,
    smooth_days: int = 1,
) -> Path | None:
    """Daily KPI trajectories: mean across replicates (line) and 2.5-97.5 percentile band.

    Takes the output of :func:`experiments.analysis.statistics.daily_bands`; ``smooth_days`` is the
    rolling window used there, stated in the title.
    """
    if bands is None or bands.empty:
        return None
    kpis = _present(bands, kpis if kpis is not None else list(pd.unique(bands["kpi"])))
    if not kpis:
        return None
    scenarios = _scenarios(bands, reference)
    colors = scenario_colors(scenarios)
    fig, axes = _grid(len(kpis), ncols, (5.2, 3.2))
    for ax, kpi in zip(axes, kpis, strict=True):
        panel = bands.loc[bands["kpi"] == kpi]
        for scenario, rows in panel.groupby("scenario", sort=False):
            rows = rows.sort_values("day")
            c = colors.get(str(scenario), "grey")
            ax.fill_between(rows["day"], rows["low"], rows["high"], color=c, alpha=0.18, linewidth=0)
            ax.plot(rows["day"], rows["mean"], color=c, linewidth=1.4, label=str(scenario))
        ax.set_title(_wrap(kpi_label(kpi, labels), 50), fontsize=10)
        ax.set_xlabel("Day", fontsize=8)
        ax.set_ylabel(_wrap(_unit(kpi_label(kpi, labels))), fontsize=8)
        ax.grid(alpha=0.3)
        _thousands(ax)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside right upper", fontsize=8, frameon=False, title="Scenario")
    smoothing = f"\n{smooth_days}-day rolling mean within each run" if smooth_days > 1 else ""
    fig.suptitle(f"Daily KPIs: mean across replicates, band = 2.5-97.5 percentile of single runs{smoothing}", fontsize=11)
    return save_figure(fig, path)


def _frontier_points(
    summary: pd.DataFrame, diffs: pd.DataFrame, kpi: str, spending: str, reference: str, sign: float
) -> pd.DataFrame:
    """Per scenario: mean spending (with CI) and gain vs reference (sign * paired diff, with CI);
    the reference sits at gain 0."""
    spend = summary.loc[summary["kpi"] == spending].set_index("scenario")[["mean", "ci_low", "ci_high"]]
    d = diffs.loc[diffs["kpi"] == kpi].set_index("scenario")
    lo, hi = sign * d["diff_ci_low"], sign * d["diff_ci_high"]
    gain = pd.DataFrame({"gain": sign * d["mean_diff"], "gain_low": np.fmin(lo, hi), "gain_high": np.fmax(lo, hi)})
    gain.loc[reference] = 0.0
    pts = spend.rename(columns={"mean": "cost", "ci_low": "cost_low", "ci_high": "cost_high"}).join(gain, how="inner")
    pts["efficient"] = pareto_efficient(pts["cost"], pts["gain"])
    return pts


def _annotate_points(ax: Axes, pts: pd.DataFrame) -> None:
    """Name each point; scenarios sitting on the same spot share one label instead of overprinting."""
    spots = pts.assign(name=pts.index.astype(str)).groupby([pts["cost"].round(6), pts["gain"].round(9)], sort=False)["name"]
    for (cost, gain), names in spots:
        ax.annotate(", ".join(names), (cost, gain), xytext=(5, 5), textcoords="offset points", fontsize=8)


def plot_cost_frontier(
    summary: pd.DataFrame,
    diffs: pd.DataFrame,
    path: str | os.PathLike[str],
    reference: str,
    kpis: Sequence[str] = ("incidents_total", "fraud_losses_cny"),
    spending: str = "spending_cny",
    labels: Mapping[str, str] | None = None,
    directions: Mapping[str, str] | None = None,
) -> Path | None:
    """Cost-effectiveness frontier, one panel per KPI: x = mean spending, y = gain vs reference.

    Gain is the paired difference turned so that up is better (a reduction for lower-is-better
    KPIs), with its 95% CI; Pareto-efficient scenarios (none cheaper and at least as good) are
    joined by a line, the others are the ones a budget holder should not choose.
    """
    if diffs is None or diffs.empty or spending not in set(summary["kpi"]):
        return None
    kpis = [k for k in _present(summary, kpis) if k in set(diffs["kpi"])]
    if not kpis:
        return None
    colors = scenario_colors(_scenarios(summary, reference))
    fig, axes = _grid(len(kpis), 2, (5.4, 4.0))
    for ax, kpi in zip(axes, kpis, strict=True):
        lower = kpi_direction(kpi, directions) == "lower"
        pts = _frontier_points(summary, diffs, kpi, spending, reference, -1.0 if lower else 1.0)
        for name, p in pts.iterrows():
            ax.errorbar(p["cost"], p["gain"],
                        xerr=_err(np.array([p["cost"]]), np.array([p["cost_low"]]), np.array([p["cost_high"]])),
                        yerr=_err(np.array([p["gain"]]), np.array([p["gain_low"]]), np.array([p["gain_high"]])),
                        fmt="o", color=colors.get(str(name), "grey"), markeredgecolor="black",
                        markersize=8 if p["efficient"] else 6, capsize=3)  # fmt: skip
        _annotate_points(ax, pts)
        front = pts.loc[pts["efficient"]].sort_values("cost")
        ax.plot(front["cost"], front["gain"], color="black", linestyle="--", linewidth=1, label="Pareto frontier")
        ax.axhline(0, color="grey", linewidth=0.8)
        what = "reduction in" if lower else "increase in"
        ax.set_title(f"{kpi_label(kpi, labels)}", fontsize=10)
        ax.set_xlabel(f"Mean {kpi_label(spending, labels)}", fontsize=8)
        ax.set_ylabel(f"Gain vs {reference}: {what}\n{kpi_label(kpi, labels)}", fontsize=8)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        _thousands(ax, "x")
        _thousands(ax, "y")
        ax.legend(fontsize=8, frameon=False, loc="best")
    fig.suptitle("Cost-effectiveness frontier (95% CI; up = better, left = cheaper)", fontsize=11)
    return save_figure(fig, path)


def plot_factor_diagnostics(
    summary: pd.DataFrame,
    path: str | os.PathLike[str],
    factors: Sequence[str] = FACTOR_KPIS,
    reference: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> Path | None:
    """Heatmap of the five-factor diagnostics (scenario x factor, mean index 0..1).

    The lowest factor of each scenario, the one that binds, is outlined and printed in bold,
    because "which factor restricts participation" is the study's question.
    """
    factors = _present(summary, factors)
    if not factors:
        return None
    scenarios = _scenarios(summary, reference)
    rows = summary.loc[summary["kpi"].isin(factors)]
    grid = rows.pivot_table(index="scenario", columns="kpi", values="mean", sort=False).reindex(index=scenarios, columns=factors)
    values = grid.to_numpy(dtype=float)
    fig = Figure(figsize=(1.4 * len(factors) + 2.5, 0.5 * len(scenarios) + 1.8), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(values, cmap="RdYlGn", vmin=0.0, vmax=1.0, aspect="auto")
    binding = np.nanargmin(np.where(np.isnan(values), np.inf, values), axis=1)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            text = "" if np.isnan(values[i, j]) else f"{values[i, j]:.2f}"
            weight = "bold" if j == binding[i] else "normal"
            ax.text(j, i, text, ha="center", va="center", fontsize=9, fontweight=weight)
        ax.add_patch(_outline(binding[i], i))
    ax.set_xticks(range(len(factors)), [(labels or {}).get(f, FACTOR_NAMES.get(f, kpi_label(f))) for f in factors], rotation=20, ha="right", fontsize=9)
    ax.set_yticks(range(len(scenarios)), scenarios, fontsize=9)
    fig.colorbar(image, ax=ax, label="Index (0 = restrictive, 1 = healthy)")
    ax.set_title("Five-factor diagnostics: mean index per scenario (outlined = binding factor)", fontsize=10)
    return save_figure(fig, path)


def _outline(col: int, row: int):
    """A rectangle around one heatmap cell."""
    from matplotlib.patches import Rectangle

    return Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=2)


def plot_satisfaction_groups(
    summary: pd.DataFrame,
    path: str | os.PathLike[str],
    mobile: str = "mobile_satisfaction",
    registered: str = "registered_satisfaction",
    reference: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> Path | None:
    """Grouped bars: satisfaction of the mobile vs the registered population per scenario, 95% CI.

    The study's "equal dialogue" path is about putting the mobile population on the agenda;
    this shows whether a scenario narrows the gap or only lifts the average.
    """
    if len(_present(summary, [mobile, registered])) < 2:
        return None
    scenarios = _scenarios(summary, reference)
    x = np.arange(len(scenarios))
    width = 0.38
    fig = Figure(figsize=(max(5.0, 1.1 * len(scenarios) + 2), 3.8), layout="constrained")
    ax = fig.subplots()
    groups = ((-width / 2, mobile, "#e08a3c", "Mobile population"), (width / 2, registered, "#3c78b4", "Registered population"))
    for offset, kpi, color, name in groups:
        rows = summary.loc[summary["kpi"] == kpi].set_index("scenario").reindex(scenarios)
        mean = rows["mean"].to_numpy(dtype=float)
        ax.bar(x + offset, np.nan_to_num(mean), width, color=color, edgecolor="black", linewidth=0.6, label=(labels or {}).get(kpi, name))
        ax.errorbar(x + offset, mean, yerr=_err(mean, rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)),
                    fmt="none", ecolor="black", capsize=3, linewidth=1)  # fmt: skip
    ax.set_xticks(x, scenarios, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("Satisfaction (mean)")
    ax.set_title("Satisfaction: mobile vs registered population (mean, 95% CI)", fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", alpha=0.3)
    return save_figure(fig, path)
