"""Global sensitivity analysis of stored sweep results: Sobol (S1, ST) or Morris (mu*, sigma).

Why analysis is separate from running: the sweep is the expensive, resumable part; the indices
are recomputed in seconds from the Parquet shards. The design (SALib ``problem`` and sample
matrix) is re-generated from the spec -- it is deterministic -- and each design point's output is
the mean over its replicates (common random numbers make those means less noisy across points).
Every design point must be present: Sobol/Morris estimators use the sample's structure, so
a missing point cannot just be dropped.

Outputs in ``<out>/sensitivity/``: ``indices.csv`` (long table, one row per scenario x KPI x
factor), ``indices.md`` (one Markdown table per KPI), ``second_order.csv`` (Sobol with
``calc_second_order: true``), and a figure per KPI (``<kpi>.png``; ``<scenario>__<kpi>.png``
when the spec has several scenarios).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments.design.designs import Design, make_design
from experiments.execution.engine import plan_runs
from experiments.design.seeding import design_seed
from experiments.design.spec import ExperimentSpec
from experiments.execution.store import load_results
from simulation.errors import InputError

SENSITIVITY_DIR = "sensitivity"


class IncompleteResults(RuntimeError):
    """Some design points have no stored result (the sweep is unfinished or runs failed)."""


def _point_means(spec: ExperimentSpec, design: Design, results: pd.DataFrame, kpis: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Per scenario: a (points x KPIs) table of replicate means, rows in design order."""
    plan = pd.DataFrame([(p.scenario, p.point_index, p.key) for p in plan_runs(spec, design)], columns=["scenario", "point_index", "run_key"])
    values = results.set_index("run_key")[list(kpis)]
    merged = plan.join(values, on="run_key")
    out: dict[str, pd.DataFrame] = {}
    for scenario, group in merged.groupby("scenario", sort=False):
        have = group.dropna(subset=list(kpis), how="all")
        missing = len(design.points) - have["point_index"].nunique()
        if missing:
            raise IncompleteResults(f"scenario {scenario}: {missing} of {len(design.points)} design points have no result; finish the sweep (re-run to resume) first")
        out[str(scenario)] = group.groupby("point_index")[list(kpis)].mean().sort_index()
    return out


def numeric_kpis(results: pd.DataFrame) -> list[str]:
    kpis = results.attrs.get("kpis") or []
    return [k for k in kpis if pd.api.types.is_numeric_dtype(results[k]) and not pd.api.types.is_bool_dtype(results[k])]


def analyze(
    spec: ExperimentSpec,
    out_dir: str | Path,
    *,
    kpis: Sequence[str] | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 200,
    write: bool = True,
) -> pd.DataFrame:
    """Sobol or Morris indices per KPI from the stored runs of a sobol/morris design.

    Returns a long DataFrame: ``scenario, kpi, factor`` and ``S1, S1_conf, ST, ST_conf``
    (Sobol) or ``mu, mu_star, mu_star_conf, sigma`` (Morris). KPIs that do not vary across the
    design get NaN indices and a ``note``.
    """
    d = spec.design
    if d is None or d.kind not in ("sobol", "morris"):
        kind = d.kind if d is not None else None
        raise InputError(f"design.kind: {kind!r} is not allowed for sensitivity analysis; expected sobol or morris")
    design = make_design(d, spec.root_seed)
    results = load_results(out_dir, planned_only=False)
    if results.empty:
        raise IncompleteResults(f"{out_dir}: no stored runs; run the sweep first")
    available = numeric_kpis(results)
    if kpis is None:
        chosen = available
    else:
        unknown = [k for k in kpis if k not in available]
        if unknown:
            raise InputError(f"kpis: {unknown[0]!r} is not a numeric KPI of these results; expected one of {', '.join(available)}")
        chosen = list(kpis)
    means = _point_means(spec, design, results, chosen)
    seed = design_seed(spec.root_seed, "sensitivity-bootstrap")
    rows: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []
    for scenario, table in means.items():
        for kpi in chosen:
            y = table[kpi].to_numpy(dtype=float)
            rows.extend(_indices(d.kind, design, y, scenario, kpi, conf_level, num_resamples, seed, d.calc_second_order, d.num_levels, second))
    frame = pd.DataFrame(rows)
    if write:
        write_outputs(frame, pd.DataFrame(second), Path(out_dir) / SENSITIVITY_DIR, d.kind, multi_scenario=len(means) > 1)
    return frame


def _indices(
    kind: str,
    design: Design,
    y: np.ndarray,
    scenario: str,
    kpi: str,
    conf_level: float,
    num_resamples: int,
    seed: int,
    second_order: bool,
    num_levels: int,
    second: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    names = design.factors
    base = [{"scenario": scenario, "kpi": kpi, "factor": n} for n in names]
    metrics = ("S1", "S1_conf", "ST", "ST_conf") if kind == "sobol" else ("mu", "mu_star", "mu_star_conf", "sigma")
    if not np.all(np.isfinite(y)) or float(np.nanvar(y)) == 0.0:
        note = "constant across the design" if np.all(np.isfinite(y)) else "missing or non-finite values"
        return [{**b, **{m: np.nan for m in metrics}, "note": note} for b in base]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if kind == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(design.problem, y, calc_second_order=second_order, num_resamples=num_resamples, conf_level=conf_level, seed=seed)
            if second_order:
                for i, a in enumerate(names):
                    for j in range(i + 1, len(names)):
                        second.append({"scenario": scenario, "kpi": kpi, "factor_a": a, "factor_b": names[j], "S2": float(res["S2"][i, j]), "S2_conf": float(res["S2_conf"][i, j])})
        else:
            from SALib.analyze import morris

            res = morris.analyze(design.problem, design.samples, y, num_resamples=num_resamples, conf_level=conf_level, num_levels=num_levels, seed=seed)
    return [{**b, **{m: float(np.asarray(res[m])[i]) for m in metrics}, "note": ""} for i, b in enumerate(base)]


# -- outputs -------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "kpi"


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""
    def fmt(v: Any) -> str:
        if isinstance(v, (float, np.floating)):
            return "" if np.isnan(v) else f"{v:.{digits}f}"
        return str(v)

    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def write_outputs(frame: pd.DataFrame, second: pd.DataFrame, folder: Path, kind: str, multi_scenario: bool = False) -> list[Path]:
    """indices.csv, indices.md, second_order.csv (if any) and one figure per (scenario, KPI)."""
    from experiments.execution.store import atomic_write_bytes

    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "indices.csv", folder / "indices.md"]
    atomic_write_bytes(written[0], frame.to_csv(index=False).encode("utf-8"))
    title = "Sobol indices (S1 first order, ST total; ± = half-width of the confidence interval)" if kind == "sobol" else "Morris elementary effects (mu* = mean |effect|, sigma = spread)"
    parts = [f"# Sensitivity analysis\n\n{title}\n"]
    for (scenario, kpi), group in frame.groupby(["scenario", "kpi"], sort=False):
        heading = f"## {kpi}" + (f" ({scenario})" if multi_scenario else "")
        table = group.drop(columns=["scenario", "kpi"])
        if not table["note"].astype(bool).any():
            table = table.drop(columns=["note"])
        parts.append(f"{heading}\n\n{markdown_table(table)}\n")
    atomic_write_bytes(written[1], "\n".join(parts).encode("utf-8"))
    if not second.empty:
        written.append(folder / "second_order.csv")
        atomic_write_bytes(written[-1], second.to_csv(index=False).encode("utf-8"))
    for (scenario, kpi), group in frame.groupby(["scenario", "kpi"], sort=False):
        name = f"{_slug(str(scenario))}__{_slug(str(kpi))}.png" if multi_scenario else f"{_slug(str(kpi))}.png"
        path = folder / name
        (_sobol_figure if kind == "sobol" else _morris_figure)(group, f"{kpi}" + (f" ({scenario})" if multi_scenario else ""), path)
        written.append(path)
    return written


def _sobol_figure(group: pd.DataFrame, title: str, path: Path) -> None:
    names = list(group["factor"])
    y = np.arange(len(names))
    fig = Figure(figsize=(7, 1.2 + 0.45 * len(names)), layout="constrained")
    ax = fig.subplots()
    h = 0.38
    ax.barh(y - h / 2, group["S1"].fillna(0), h, xerr=group["S1_conf"].fillna(0), label="S1 (first order)", color="#4C72B0", capsize=3)
    ax.barh(y + h / 2, group["ST"].fillna(0), h, xerr=group["ST_conf"].fillna(0), label="ST (total)", color="#DD8452", capsize=3)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("Sobol index (share of output variance)")
    ax.set_title(f"Sobol sensitivity: {title}")
    ax.legend(loc="lower right", fontsize="small")
    fig.savefig(path, dpi=110)


def _morris_figure(group: pd.DataFrame, title: str, path: Path) -> None:
    fig = Figure(figsize=(6.5, 5), layout="constrained")
    ax = fig.subplots()
    ax.errorbar(group["mu_star"], group["sigma"], xerr=group["mu_star_conf"], fmt="o", color="#4C72B0", capsize=3)
    for _, row in group.iterrows():
        ax.annotate(str(row["factor"]), (row["mu_star"], row["sigma"]), textcoords="offset points", xytext=(5, 4), fontsize="small")
    top = float(np.nanmax(np.r_[group["mu_star"].to_numpy(dtype=float), group["sigma"].to_numpy(dtype=float), 0.0]))
    if np.isfinite(top) and top > 0:
        ax.plot([0, top], [0, top], linestyle="--", color="grey", linewidth=0.8, label="sigma = mu*")
        ax.legend(loc="upper left", fontsize="small")
    ax.set_xlabel("mu* (mean absolute elementary effect)")
    ax.set_ylabel("sigma (spread: non-linearity / interactions)")
    ax.set_title(f"Morris screening: {title}")
    fig.savefig(path, dpi=110)
