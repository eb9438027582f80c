"""Per-district outputs of a run folder and of a compare report.

``write_districts`` writes ``districts.parquet``, ``districts.csv`` and ``districts.png`` (one bar
chart per headline KPI, districts sorted by it) from the table of
:func:`simulation.district_metrics.district_table`.  ``district_markdown`` formats a small
per-district table (or one KPI broken down by district and scenario) for reports.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

PLOTTED = (
    ("incidents_per_1000", "Incidents per 1,000 residents/yr"),
    ("fraud_victims_per_1000", "Fraud victims per 1,000 residents/yr"),
    ("reporting_rate", "Reporting rate"),
    ("active_volunteers_per_1000", "Active volunteers per 1,000 residents"),
    ("satisfaction", "Satisfaction (0-1)"),
    ("response_hours", "Mean response time (hours)"),
)
URBAN_COLOURS = {"core": "#4c72b0", "suburban": "#dd8452", "rural_mountain": "#55a868"}

REPORT_COLUMNS = (
    ("residents", "residents", "{:,.0f}"),
    ("incidents_per_1000", "incidents /1,000", "{:.2f}"),
    ("fraud_victims_per_1000", "fraud victims /1,000", "{:.2f}"),
    ("reporting_rate", "reporting", "{:.1%}"),
    ("active_volunteers_per_1000", "active vol. /1,000", "{:.1f}"),
    ("satisfaction", "satisfaction", "{:.3f}"),
    ("response_hours", "response h", "{:.2f}"),
    ("binding_factor", "binding factor", "{}"),
)


def write_districts(table: pd.DataFrame, folder: Path, title: str = "") -> None:
    folder = Path(folder)
    table.to_parquet(folder / "districts.parquet", index=False)
    table.to_csv(folder / "districts.csv", index=False)
    plot_districts(table, folder / "districts.png", title=title)


def plot_districts(table: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Six horizontal bar charts, districts sorted by each KPI, coloured by urban type."""
    n = len(table)
    fig, axes = plt.subplots(2, 3, figsize=(15, 4 + 0.45 * n), constrained_layout=True)
    for ax, (col, label) in zip(axes.flat, PLOTTED):
        t = table.sort_values(col)
        ax.barh(t["district"], t[col], color=[URBAN_COLOURS.get(u, "grey") for u in t["urban_type"]])
        ax.set_title(label)
        ax.grid(axis="x", alpha=0.3)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in URBAN_COLOURS.values()]
    fig.legend(handles, list(URBAN_COLOURS), loc="upper center", ncol=3, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(f"{title} — per district" if title else "Per district")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def district_markdown(table: pd.DataFrame) -> str:
    """A Markdown table of the headline KPIs per district, in the table's order."""
    head = "| district | type | " + " | ".join(label for _, label, _ in REPORT_COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(REPORT_COLUMNS) + 2)]
    for _, r in table.iterrows():
        cells = [fmt.format(r[col]) for col, _, fmt in REPORT_COLUMNS]
        lines.append(f"| {r['district']} | {r['urban_type']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def breakdown_markdown(frame: pd.DataFrame, fmt: str = "{:.2f}") -> str:
    """A KPI broken down by district (rows) and scenario (columns), as from
    :func:`simulation.district_metrics.breakdown`."""
    cols = [str(c) for c in frame.columns]
    lines = ["| district | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for idx, row in frame.iterrows():
        lines.append(f"| {idx} | " + " | ".join(fmt.format(v) for v in row.tolist()) + " |")
    return "\n".join(lines)


def district_text(table: pd.DataFrame, limit: int = 20) -> str:
    """The per-district table as aligned text for the terminal (the headline KPIs and the binding
    factor), at most ``limit`` districts; empty for a world of one district."""
    if table is None or len(table) < 2:
        return ""
    rows = table.head(limit)
    show = pd.DataFrame({"district": rows["district"], "type": rows["urban_type"],
                         **{label: [fmt.format(v) for v in rows[col]] for col, label, fmt in REPORT_COLUMNS}})  # fmt: skip
    more = f"\n  ... and {len(table) - limit} more in districts.csv" if len(table) > limit else ""
    return "Per district (districts.csv, districts.png)\n" + show.to_string(index=False) + more
