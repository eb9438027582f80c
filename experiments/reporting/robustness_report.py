"""What ``safetysim robustness`` writes: tables, figures (probability best, regret, PRIM box) and
report.md / report.html ending with a plain-language recommendation and its caveats.

Layout of the output folder::

    robustness.csv     per KPI and scenario: nominal value and rank, ensemble mean, P(best), regret
    flips.csv          per KPI: nominal best, share of parameter sets where the best / the ranking changes
    parameters.csv     every parameter set (point 0 = nominal) and whether the recommendation loses there
    prim_box.json      the PRIM box (limits, coverage, density), when there is one
    districts_robustness.csv  per district, KPI and scenario: P(best), regret (worlds of several districts)
    figures/*.png, report.md, report.html
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from experiments.reporting.plots import atomic_path, kpi_label, scenario_colors  # noqa: E402
from experiments.reporting.report import atomic_write_text, fmt_num, render_html, render_markdown  # noqa: E402


FIGURE_CAPTIONS = {
    "probability_best": "Probability each scenario is best, over the parameter ensemble (one panel per KPI).",
    "regret": "Expected regret: how far each scenario falls behind the best one, averaged over parameter sets (0 = always best).",
    "prim_box": "Scenario discovery: parameter sets where the recommended scenario loses (red) or wins (grey) on the primary KPI, with the PRIM box.",
}


class RobustnessOutputs(dict):
    """Written paths (name -> Path), plus ``.table`` (the terminal table) and ``.recommendation``."""

    table: pd.DataFrame
    recommendation: str


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def plot_bars(table: pd.DataFrame, column: str, path: Path, ylabel: str) -> Path:
    """One panel per KPI: a bar per scenario of ``column`` (p_best or expected_regret)."""
    kpis = list(pd.unique(table["kpi"]))
    scenarios = list(pd.unique(table["scenario"]))
    colors = scenario_colors(scenarios)
    fig, axes = plt.subplots(1, len(kpis), figsize=(4.2 * len(kpis), 3.6), squeeze=False)
    for ax, kpi in zip(axes[0], kpis, strict=True):
        rows = table.loc[table["kpi"] == kpi].set_index("scenario").reindex(scenarios)
        ax.bar(range(len(scenarios)), rows[column].to_numpy(float), color=[colors[s] for s in scenarios], edgecolor="black", linewidth=0.6)
        ax.set_xticks(range(len(scenarios)), scenarios, rotation=35, ha="right", fontsize=8)
        ax.set_title(kpi_label(kpi), fontsize=10)
        ax.set_ylabel(ylabel, fontsize=9)
        if column == "p_best":
            ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def plot_prim(params: pd.DataFrame, loses: pd.Series, box: Mapping[str, Any] | None, path: Path, recommended: str, kpi: str) -> Path | None:
    """Scatter of the ensemble on the two parameters the box restricts most (or the first two),
    losses in red, the box drawn; one parameter gives a strip."""
    if params.shape[1] == 0:
        return None
    dims = list(box["limits"]) if box else []
    dims += [c for c in params.columns if c not in dims]
    dims = dims[:2]
    x = params[dims[0]].to_numpy(float)
    y = params[dims[1]].to_numpy(float) if len(dims) > 1 else np.zeros_like(x)
    lose = loses.reindex(params.index).to_numpy(bool)
    fig, ax = plt.subplots(figsize=(5.6, 4.4))
    ax.scatter(x[~lose], y[~lose], c="0.6", s=28, label=f"'{recommended}' best")
    ax.scatter(x[lose], y[lose], c="#c0392b", s=34, marker="x", label=f"'{recommended}' loses")
    if box:
        b = box["bounds"]
        lim = {d: box["limits"].get(d, b[d]) for d in dims}
        x0, x1 = lim[dims[0]]
        y0, y1 = lim[dims[1]] if len(dims) > 1 else (-0.5, 0.5)
        ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="#c0392b", linewidth=1.6, linestyle="--"))
        ax.set_title(f"PRIM box: coverage {box['coverage']:.2f}, density {box['density']:.2f}", fontsize=10)
    else:
        ax.set_title(f"'{recommended}' never loses on {kpi_label(kpi)}" if not lose.any() else "no PRIM box", fontsize=10)
    ax.set_xlabel(dims[0], fontsize=9)
    ax.set_ylabel(dims[1] if len(dims) > 1 else "", fontsize=9)
    if len(dims) == 1:
        ax.set_yticks([])
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def _box_text(box: Mapping[str, Any] | None) -> str:
    if not box:
        return ""
    if not box["limits"]:
        return "PRIM found no parameter condition that concentrates the losses (they are spread over the ensemble)"
    conds = " and ".join(f"{p} in [{fmt_num(lo)}, {fmt_num(hi)}]" for p, (lo, hi) in box["limits"].items())
    return (f"it loses mostly when {conds} (PRIM box: {box['coverage']:.0%} of the losses fall inside it — coverage; "
            f"{box['density']:.0%} of the parameter sets inside it are losses — density)")  # fmt: skip


def reading(result: Mapping[str, Any]) -> tuple[list[str], str]:
    """The bullets of the report and the closing recommendation (plain language)."""
    table, flips = result["table"], result["flips"]
    rec, primary = result["recommended"], result["primary"]
    bullets = []
    for f in flips.itertuples():
        rows = table.loc[table["kpi"] == f.kpi].sort_values("p_best", ascending=False)
        top = rows.iloc[0]
        bullets.append(
            f"{kpi_label(f.kpi)} ({f.direction} is better): nominal best '{f.nominal_best}'; over {f.n_parameter_sets} parameter "
            f"sets '{top['scenario']}' is best with probability {top['p_best']:.0%}; the best scenario changes in "
            f"{f.best_changes:.0%} of the sets and the full ranking in {f.ranking_changes:.0%}."
        )  # fmt: skip
    prim = table.loc[(table["kpi"] == primary)].set_index("scenario")
    loses = result["loses"]
    share_lose = float(loses.mean()) if len(loses) else 0.0
    p_rec = float(prim.loc[rec, "p_best"])
    regret_rec = float(prim.loc[rec, "expected_regret"])
    least_regret = str(prim["expected_regret"].idxmin())
    text = (f"On {kpi_label(primary)}, '{rec}' is best in {p_rec:.0%} of the parameter sets (expected regret "
            f"{fmt_num(regret_rec)}; least expected regret: '{least_regret}').")  # fmt: skip
    if share_lose == 0:
        return bullets, text + f" It is never beaten across the ensemble: recommendation '{rec}', robust to these assumptions."
    else:
        discovered = _box_text(result["prim"])
        text += f" It loses in {share_lose:.0%} of the sets" + (f"; {discovered}." if discovered else ".")
    if least_regret != rec:
        text += f" Choosing '{least_regret}' instead minimises the expected shortfall; prefer it if those conditions are plausible."
    elif p_rec >= 0.8:
        text += f" Recommendation: '{rec}' — it stays the best choice under most plausible assumptions."
    else:
        text += f" Recommendation: '{rec}', with the least expected regret, but the margin is not safe; check the conditions above locally."
    return bullets, text


CAVEATS = [
    "The ensemble covers only the parameters and ranges in the spec (uniform within each range, or posterior draws); "
    "assumptions left at their defaults are not questioned.",
    "Each parameter set is summarised by the mean of a few replicates; with few replicates, near-ties between scenarios "
    "can flip by noise, which counts as a flip here (common random numbers keep that noise small).",
    "Budgets matched at the nominal parameters stay fixed across the ensemble; spending can drift where it depends on behaviour.",
    "PRIM boxes describe where losses concentrate in this sample; with few parameter sets, read them as hints to check, not as thresholds.",
]


def write_robustness_outputs(out_dir: Path, result: Mapping[str, Any], params: pd.DataFrame, meta: Mapping[str, Any]) -> RobustnessOutputs:
    out = Path(out_dir)
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    paths = RobustnessOutputs()
    for name, frame in (("robustness", result["table"]), ("flips", result["flips"])):
        with atomic_path(out / f"{name}.csv") as tmp:
            frame.to_csv(tmp, index=False)
        paths[f"{name}_csv"] = out / f"{name}.csv"
    p = params.assign(recommended_loses=params["point_index"].map(result["loses"]))
    with atomic_path(out / "parameters.csv") as tmp:
        p.to_csv(tmp, index=False)
    paths["parameters_csv"] = out / "parameters.csv"
    if result["prim"]:
        paths["prim_json"] = atomic_write_text(out / "prim_box.json", json.dumps(result["prim"], indent=2))
    figures = {
        "probability_best": plot_bars(result["table"], "p_best", fig_dir / "probability_best.png", "P(best)"),
        "regret": plot_bars(result["table"], "expected_regret", fig_dir / "regret.png", "expected regret"),
        "prim_box": plot_prim(result["params"], result["loses"], result["prim"], fig_dir / "prim_box.png", result["recommended"], result["primary"]),
    }  # fmt: skip
    items = [(n, pth, FIGURE_CAPTIONS[n]) for n, pth in figures.items() if pth is not None]
    by_district = result.get("districts")
    if by_district is not None:  # a world of several districts: which scenario is best where
        from experiments.reporting import district_robustness_report as dr

        written = dr.write_district_outputs(out, by_district)
        paths.update(written)
        items.append(("districts_p_best", written["figure_districts_p_best"], dr.CAPTION))
    paths.update({f"figure_{n}": pth for n, pth, _ in items})
    bullets, recommendation = reading(result)
    if by_district is not None:
        bullets.append(dr.district_bullet(by_district))
    bullets = bullets + [f"Recommendation: {recommendation}"] + [f"Caveat: {c}" for c in CAVEATS]
    show = result["table"].assign(p_best=result["table"]["p_best"].map(lambda v: f"{v:.2f}"))
    show = show.map(lambda v: fmt_num(v) if isinstance(v, float) else v)
    flips = result["flips"].map(lambda v: f"{v:.2f}" if isinstance(v, float) else v)
    tables = [("Per KPI and scenario: nominal, ensemble mean, probability best, regret", show), ("Ranking flips vs the nominal ranking", flips)]
    box = result["prim"]
    if box and box["limits"]:
        lims = pd.DataFrame([{"parameter": k, "box low": fmt_num(lo), "box high": fmt_num(hi), "ensemble range":
                              f"[{fmt_num(box['bounds'][k][0])}, {fmt_num(box['bounds'][k][1])}]"} for k, (lo, hi) in box["limits"].items()])  # fmt: skip
        heading = (f"Where '{result['recommended']}' loses on {kpi_label(result['primary'])}: PRIM box "
                   f"(coverage {box['coverage']:.2f}, density {box['density']:.2f}, {box['n_cases']} of {box['n_points']} sets lose)")  # fmt: skip
        tables.append((heading, lims))
    if by_district is not None:
        tables += dr.district_tables(by_district)
    title = f"Robustness: {meta.get('experiment', '')}"
    md = render_markdown(out, title, bullets, tables, items, meta)
    md += f"\n## Recommendation\n\n{recommendation}\n\nCaveats:\n\n" + "\n".join(f"- {c}" for c in CAVEATS) + "\n"
    paths["report_md"] = atomic_write_text(out / "report.md", md)
    ending = (f"<h2>Recommendation</h2>\n<p>{html.escape(recommendation)}</p>\n<p>Caveats:</p>\n<ul>"
              + "".join(f"<li>{html.escape(c)}</li>" for c in CAVEATS) + "</ul>\n</body>")  # fmt: skip
    page = render_html(title, bullets, tables, items, meta).replace("</body>", ending)
    paths["report_html"] = atomic_write_text(out / "report.html", page)
    paths.table = result["table"][["kpi", "scenario", "nominal", "p_best", "expected_regret"]]
    paths.recommendation = recommendation
    return paths
