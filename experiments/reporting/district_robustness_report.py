"""The per-district part of the robustness report: ``districts_robustness.csv``, one table per
district KPI (probability each scenario is best, most likely best, least expected regret), a
heat map of the probabilities and a plain-language line of which scenario wins where.  The
numbers come from :func:`experiments.analysis.district_robustness.analyse_districts`."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from experiments.analysis.district_robustness import p_best_matrix, winners_text  # noqa: E402
from experiments.reporting.plots import atomic_path, kpi_label  # noqa: E402
from experiments.reporting.report import fmt_num  # noqa: E402

CAPTION = ("Probability each scenario is best, per district, over the parameter ensemble (one panel per "
           "per-district KPI; darker = more often best).")  # fmt: skip


def district_tables(table: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """One report table per KPI: district, urban type, P(best) per scenario, most likely best and
    the scenario of least expected regret (with that regret)."""
    out = []
    for kpi in dict.fromkeys(table["kpi"]):
        rows = table.loc[table["kpi"] == kpi]
        wide = p_best_matrix(table, kpi).map(lambda v: f"{v:.2f}")
        first = rows.drop_duplicates("district").set_index("district")
        least = rows.loc[rows.groupby("district", sort=False)["expected_regret"].idxmin()].set_index("district")
        show = pd.DataFrame({"district": wide.index, "type": first["urban_type"].reindex(wide.index).to_numpy()})
        for s in wide.columns:
            show[f"P(best) {s}"] = wide[s].to_numpy()
        show["most likely best"] = first["most_likely_best"].reindex(wide.index).to_numpy()
        show["least regret"] = [f"{least.at[d, 'scenario']} ({fmt_num(least.at[d, 'expected_regret'])})" for d in wide.index]
        n = int(rows["n_parameter_sets"].max())
        direction = rows["direction"].iloc[0]
        out.append((f"By district — {kpi_label(kpi)} ({direction} is better): probability best over {n} parameter sets", show))
    return out


def plot_district_p_best(table: pd.DataFrame, path: Path) -> Path:
    """Heat maps district x scenario of P(best), one per KPI."""
    kpis = list(dict.fromkeys(table["kpi"]))
    first = p_best_matrix(table, kpis[0])
    n_d, n_s = first.shape
    fig, axes = plt.subplots(1, len(kpis), figsize=(1.2 + (1.6 + 0.9 * n_s) * len(kpis), 1.2 + 0.32 * n_d), squeeze=False)
    image = None
    for k, (ax, kpi) in enumerate(zip(axes[0], kpis, strict=True)):
        m = p_best_matrix(table, kpi)
        image = ax.imshow(m.to_numpy(float), vmin=0, vmax=1, cmap="Blues", aspect="auto")
        ax.set_xticks(range(m.shape[1]), [str(c) for c in m.columns], rotation=35, ha="right", fontsize=8)
        ax.set_yticks(range(m.shape[0]), [str(i) for i in m.index] if k == 0 else [], fontsize=8)  # names once, on the left
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                v = float(m.iat[i, j])
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white" if v > 0.6 else "black")
        ax.set_title(kpi_label(kpi), fontsize=10)
    if image is not None:
        fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label="P(best)")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def district_bullet(table: pd.DataFrame) -> str:
    """Which scenario is most likely best where, on the first per-district KPI."""
    kpi = str(table["kpi"].iloc[0])
    return f"By district, on {kpi_label(kpi)}, the most likely best: {winners_text(table, kpi)}."


def write_district_outputs(out: Path, table: pd.DataFrame) -> dict[str, Path]:
    """Write ``districts_robustness.csv`` and ``figures/districts_p_best.png``."""
    with atomic_path(out / "districts_robustness.csv") as tmp:
        table.to_csv(tmp, index=False)
    return {"districts_csv": out / "districts_robustness.csv",
            "figure_districts_p_best": plot_district_p_best(table, out / "figures" / "districts_p_best.png")}  # fmt: skip
