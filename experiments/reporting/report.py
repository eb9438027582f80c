"""The comparison report: ``report.md`` and a self-contained ``report.html``.

The report is for a reader who did not run the experiment (a researcher, a street-office
analyst, a teacher): tables of means and differences with intervals, the figures, and a short
plain-language reading generated from the numbers, saying which scenario ranks first on each
headline KPI, which differences from the reference are statistically significant and in which
direction that is good or bad, and which scenarios buy the most safety per extra CNY.

The HTML embeds its figures as base64 PNG and carries its own CSS, so it can be mailed or
archived as one file. Every file is written atomically (temporary file in the same folder, then
``os.replace``), so an interrupted run never leaves a half-written report.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.reporting.plots import atomic_path, kpi_label
from experiments.analysis.statistics import (
    ADJUST_NAMES,
    DEFAULT_ALPHA,
    DZ_NOTE,
    judge_differences,
    kpi_direction,
    rank_cost_effectiveness,
    rank_scenarios,
    reported_p,
    significance_stars,
)

DEFAULT_HEADLINE_KPIS: tuple[tuple[str, ...], ...] = (
    ("incidents_per_1000", "incidents_total", "incidents"),
    ("fraud_losses_cny", "fraud_losses_per_1000_cny"),
    ("satisfaction",),
    ("active_volunteers",),
    ("reporting_rate",),
    ("spending_cny",),
    ("response_hours", "response_time_hours"),
    ("annual_dropout", "dropout_rate"),
    ("participation_efficiency", "efficiency"),
)
"""Headline slots, most important first; each slot takes the first of its names that the data
has (the runs table reports incidents per 1,000 residents, the daily table raw counts)."""

TABLE_TITLES: dict[str, str] = {
    "scenario_summary": "Means by scenario (95% CI)",
    "paired_differences": "Difference vs reference, paired by replicate (95% CI; stars on the multiplicity-adjusted p: * p<0.05, ** p<0.01, *** p<0.001)",
    "tests": "Tests: raw and adjusted p-values, effect size d_z",
    "binding_constraints": "Binding constraints: what each lever delivered against what it asked for (mean over replicates)",
    "cost_effectiveness": "Cost-effectiveness vs reference (paired bootstrap 95% CI)",
}

FIGURE_CAPTIONS: dict[str, str] = {
    "kpi_bars": "KPIs by scenario: mean with 95% confidence interval.",
    "daily": "Daily KPIs: mean across replicates with the 2.5-97.5 percentile band of single runs (smoothing as stated in the figure title).",
    "cost_frontier": "Cost-effectiveness frontier: mean spending against gain vs the reference; Pareto-efficient scenarios joined.",
    "factors": "Five-factor diagnostics: index per restrictive factor (1 = healthy); outlined = the binding factor.",
    "satisfaction_groups": "Satisfaction of the mobile vs the registered population.",
}

CE_STATUS_TEXT: dict[str, str] = {
    "costlier_better": "costs more and does better",
    "dominated": "costs as much or more, no better",
    "dominant": "no extra cost and no worse",
    "equivalent": "same cost and same outcome",
    "cheaper_worse": "cheaper but worse",
    "undefined": "not enough paired runs",
}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans SC",sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #3c78b4;padding-bottom:.2em}h2{font-size:1.25em;margin-top:1.6em}
table{border-collapse:collapse;margin:.8em 0;font-size:.85em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}th{background:#eef3f8}
td:first-child,th:first-child{text-align:left}tr:nth-child(even) td{background:#fafafa}
figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #ddd}figcaption{font-size:.85em;color:#555}
.reading li{margin:.3em 0}.meta td{text-align:left}.scroll{overflow-x:auto}
"""


# --------------------------------------------------------------------------------------------
# Atomic writes
# --------------------------------------------------------------------------------------------


def atomic_write_text(target: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 text to ``target`` atomically and return its path."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


# --------------------------------------------------------------------------------------------
# Number and table formatting
# --------------------------------------------------------------------------------------------


def fmt_num(x: float | None) -> str:
    """A number short enough for a table cell: thousands separators for big values, three
    significant digits for small ones, "" for missing, "inf" spelled out."""
    if x is None:
        return ""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return ""
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def fmt_interval(mean: float, low: float, high: float) -> str:
    """``mean [low, high]``, or just the mean when the interval is unknown."""
    if not np.isfinite(low) or not np.isfinite(high):
        return fmt_num(mean)
    return f"{fmt_num(mean)} [{fmt_num(low)}, {fmt_num(high)}]"


def fmt_p(p: float) -> str:
    """p-value as a reader expects it: "p<0.001" or "p=0.012"."""
    if not np.isfinite(p):
        return "p n/a"
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def means_table(
    summary: pd.DataFrame, kpis: Sequence[str] | None = None, diffs: pd.DataFrame | None = None, reference: str | None = None
) -> pd.DataFrame:
    """Scenario x KPI table of "mean [lo, hi]" strings, with stars where the paired difference
    vs the reference is significant; the reference row is marked "(ref)"."""
    kpis = list(kpis) if kpis is not None else list(pd.unique(summary["kpi"]))
    rows = summary.loc[summary["kpi"].isin(kpis)]
    cells = rows.assign(cell=[fmt_interval(m, lo, hi) for m, lo, hi in zip(rows["mean"], rows["ci_low"], rows["ci_high"], strict=True)])
    if diffs is not None and not diffs.empty:
        stars = diffs.assign(_p=reported_p(diffs)).set_index(["scenario", "kpi"])["_p"].map(significance_stars)
        extra = pd.Series(list(zip(cells["scenario"], cells["kpi"], strict=True))).map(stars).fillna("").to_numpy()
        cells["cell"] = (cells["cell"] + " " + extra).str.strip()
    table = cells.pivot(index="scenario", columns="kpi", values="cell")
    table = table.reindex(index=list(pd.unique(rows["scenario"])), columns=[k for k in kpis if k in table.columns])
    if reference is not None:
        table.index = [f"{s} (ref)" if s == reference else s for s in table.index]
    table.index.name = "scenario"
    table.columns.name = None
    return table.fillna("")


def differences_table(diffs: pd.DataFrame, kpis: Sequence[str] | None = None) -> pd.DataFrame:
    """Scenario x KPI table of "diff [lo, hi] stars" strings for the paired differences."""
    kpis = list(kpis) if kpis is not None else list(pd.unique(diffs["kpi"]))
    rows = diffs.loc[diffs["kpi"].isin(kpis)]
    cell = [
        f"{fmt_interval(d, lo, hi)} {significance_stars(p)}".strip()
        for d, lo, hi, p in zip(rows["mean_diff"], rows["diff_ci_low"], rows["diff_ci_high"], reported_p(rows), strict=True)
    ]
    table = rows.assign(cell=cell).pivot(index="scenario", columns="kpi", values="cell")
    table = table.reindex(index=list(pd.unique(rows["scenario"])), columns=[k for k in kpis if k in table.columns])
    table.columns.name = None
    return table.fillna("")


def tests_table(diffs: pd.DataFrame) -> pd.DataFrame:
    """One row per (scenario, KPI) test: the difference, raw p, adjusted p, d_z and the verdict,
    so a reader sees both p-values and the effect size side by side."""
    adjusted = reported_p(diffs)
    return pd.DataFrame(
        {
            "scenario": diffs["scenario"].astype(str),
            "KPI": diffs["kpi"].astype(str),
            "difference": diffs["mean_diff"].map(fmt_num),
            "change %": diffs["rel_change_pct"].map(lambda v: f"{v:+.1f}" if np.isfinite(v) else ""),
            "raw p": diffs["p_value"].map(_p_cell),
            f"adjusted p ({diffs['adjust'].iloc[0] if 'adjust' in diffs.columns and len(diffs) else 'none'})": adjusted.map(_p_cell),
            "d_z": diffs["cohens_dz"].map(fmt_num),
            "significant": diffs["significant"].map(lambda b: "yes" if b else "no"),
            "verdict": diffs["verdict"] if "verdict" in diffs.columns else "",
        }
    )


def _p_cell(p: float) -> str:
    """A p-value for a table cell: "<0.001" or three decimals; "" when undefined."""
    if not np.isfinite(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def p_text(row: object) -> str:
    """"adjusted p=0.012, raw p=0.003, d_z=-1.4": what a sentence cites for one test."""
    raw = float(getattr(row, "p_value"))
    adj = getattr(row, "p_adjusted", None)
    dz = f", d_z={fmt_num(getattr(row, 'cohens_dz'))}" if hasattr(row, "cohens_dz") else ""
    if adj is None or getattr(row, "adjust", "none") == "none":
        return f"{fmt_p(raw)}{dz}"
    return f"adjusted {fmt_p(float(adj))}, raw {fmt_p(raw)}{dz}"


def ce_display_table(ce: pd.DataFrame) -> pd.DataFrame:
    """Cost-effectiveness in words and intervals, one row per scenario and outcome."""
    if ce.empty:
        return pd.DataFrame()
    per = fmt_num(ce["per_cny"].iloc[0])
    return pd.DataFrame(
        {
            "scenario": ce["scenario"],
            "outcome": ce["outcome"].map(kpi_label),
            "mean spending": ce["spending_mean"].map(fmt_num),
            "extra spending": [fmt_interval(*v) for v in ce[["extra_spending_mean", "extra_spending_ci_low", "extra_spending_ci_high"]].to_numpy()],
            "gain vs reference": [fmt_interval(*v) for v in ce[["gain_mean", "gain_ci_low", "gain_ci_high"]].to_numpy()],
            f"gain per {per} CNY extra": [fmt_interval(*v) for v in ce[["ratio", "ratio_ci_low", "ratio_ci_high"]].to_numpy()],
            "status": ce["status"].map(lambda s: CE_STATUS_TEXT.get(s, s)),
        }
    )


def display_table(name: str, table: pd.DataFrame, reference: str | None = None) -> pd.DataFrame:
    """The readable form of a table: the known analysis tables are pivoted (one row per KPI,
    one column per scenario: there are usually more KPIs than scenarios) and formatted; any
    other table is shown with its numbers formatted."""
    if name == "scenario_summary" and {"mean", "ci_low", "ci_high"} <= set(table.columns):
        return _kpi_rows(means_table(table, reference=reference))
    if name == "paired_differences" and "mean_diff" in table.columns:
        return _kpi_rows(differences_table(table))
    if name == "tests" and "p_value" in table.columns:
        return tests_table(table)
    if name == "cost_effectiveness" and "ratio" in table.columns:
        return ce_display_table(table)
    out = table.reset_index() if table.index.name is not None else table
    return out.map(lambda v: fmt_num(v) if isinstance(v, (float, np.floating)) else ("yes" if v is True else "" if v is False else v))


def _kpi_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Turn a scenario x KPI table into KPI rows with scenario columns."""
    flipped = table.T
    flipped.columns = [str(c) for c in flipped.columns]
    return flipped.rename_axis("KPI").reset_index()


def markdown_table(table: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (pipes in cells escaped), without extra dependencies."""
    if table.empty:
        return "_(no rows)_"
    cols = [str(c) for c in table.columns]

    def cell(v: object) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(cell, cols)) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Plain-language reading
# --------------------------------------------------------------------------------------------


def headline_kpis(available: Sequence[str], requested: Sequence[str] | None = None, limit: int | None = None) -> list[str]:
    """The headline KPIs: the requested ones present, else one per default slot that the data
    has, else the first available ones — so a report always leads with something. ``limit``
    caps the count (a terminal is narrow)."""
    if requested is not None:
        chosen = [k for k in requested if k in available]
    else:
        have = set(available)
        chosen = [next(k for k in slot if k in have) for slot in DEFAULT_HEADLINE_KPIS if have.intersection(slot)]
        chosen = chosen or list(available)[:6]
    return chosen[:limit] if limit is not None else chosen


def _ranking_sentence(summary: pd.DataFrame, diffs: pd.DataFrame | None, kpi: str, reference: str | None,
                      directions: Mapping[str, str] | None, labels: Mapping[str, str] | None) -> str | None:  # fmt: skip
    """One bullet: who ranks first on a KPI, with its interval and whether it beats the reference."""
    ranked = rank_scenarios(summary, kpi, directions)
    if ranked.empty:
        return None
    best = ranked.iloc[0]
    direction = kpi_direction(kpi, directions)
    text = (f"{kpi_label(kpi, labels)} ({direction} is better): '{best['scenario']}' ranks first "
            f"(mean {fmt_interval(best['mean'], best['ci_low'], best['ci_high'])})")  # fmt: skip
    if reference is not None and best["scenario"] == reference:
        return text + "; no scenario beats the reference on average."
    if diffs is not None and not diffs.empty:
        row = diffs.loc[(diffs["scenario"] == best["scenario"]) & (diffs["kpi"] == kpi)]
        if not row.empty:
            r = row.iloc[0]
            if r["significant"]:
                return text + f"; significantly better than the reference ({p_text(r)})."
            return text + "; the difference from the reference is not statistically significant."
    return text + "."


def _significance_sentence(scenario: str, rows: pd.DataFrame, alpha: float, headline: Sequence[str],
                           labels: Mapping[str, str] | None) -> str:  # fmt: skip
    """One bullet per scenario: its significant differences on the headline KPIs, better ones
    first, and how many other KPIs differ significantly (listing dozens would bury the point)."""
    sig = rows.loc[rows["significant"]]
    lead = sig.loc[sig["kpi"].isin(headline)]
    n_other = len(sig) - len(lead)
    if sig.empty:
        return f"'{scenario}': no KPI differs significantly from the reference at alpha = {alpha:g}."
    parts = []
    for verdict in ("better", "worse"):
        chosen = lead.loc[lead["verdict"] == verdict]
        items = [f"{kpi_label(r.kpi, labels)} {_signed_change(r)} ({p_text(r)})" for r in chosen.itertuples()]
        if items:
            parts.append(f"{verdict} on " + "; ".join(items))
    text = f"'{scenario}': " + (" — ".join(parts) if parts else "no headline KPI differs significantly from the reference")
    if n_other:
        text += f"; {n_other} other KPI{'s' if n_other > 1 else ''} differ{'' if n_other > 1 else 's'} significantly (see the difference table)"
    return text + "."


def _signed_change(row: object) -> str:
    """"-8.4%" when the relative change is visible at one decimal, else the signed difference."""
    rel = getattr(row, "rel_change_pct")
    if np.isfinite(rel) and abs(rel) >= 0.1:
        return f"{rel:+.1f}%"
    return f"{getattr(row, 'mean_diff'):+.3g}"


def _ce_sentence(ce: pd.DataFrame, outcome: str) -> str:
    """One bullet: the cost-effectiveness ranking for one outcome, and what is not ranked."""
    ranked = rank_cost_effectiveness(ce, outcome)
    per = fmt_num(ce["per_cny"].iloc[0])
    label = kpi_label(outcome)
    items = []
    for r in ranked.itertuples():
        if r.status == "dominant":
            items.append(f"'{r.scenario}' (dominant: no extra spending, gain {fmt_num(r.gain_mean)})")
        else:
            items.append(f"'{r.scenario}' ({fmt_interval(r.ratio, r.ratio_ci_low, r.ratio_ci_high)})")
    rest = ce.loc[(ce["outcome"] == outcome) & ~ce["scenario"].isin(ranked["scenario"])]
    text = f"{label}, per {per} CNY of extra spending (by mean; intervals in the table): "
    text += ", then ".join(items) if items else "no scenario gains at extra cost or for free"
    if not rest.empty:
        text += "; not ranked: " + ", ".join(f"'{r.scenario}' ({CE_STATUS_TEXT.get(r.status, r.status)})" for r in rest.itertuples())
    return text + "."


def build_reading(
    summary_tables: Mapping[str, pd.DataFrame],
    meta: Mapping[str, object],
    directions: Mapping[str, str] | None = None,
    kpis: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> list[str]:
    """Plain-language bullets generated from the analysis tables.

    Uses ``summary_tables["scenario_summary"]`` (rankings), ``["paired_differences"]``
    (significance, judged with each KPI's direction — lower is better for incidents, fraud,
    dropout, response time and spending, higher for satisfaction, volunteers, reporting,
    efficiency; see :func:`experiments.analysis.statistics.kpi_direction`) and ``["cost_effectiveness"]``;
    a missing table just leaves its part out. ``meta`` gives ``reference``, ``alpha``,
    ``n_replicates`` and ``common_random_numbers`` when known.
    """
    summary = summary_tables.get("scenario_summary")
    diffs = summary_tables.get("paired_differences")
    ce = summary_tables.get("cost_effectiveness")
    reference = meta.get("reference")
    alpha = float(meta.get("alpha", DEFAULT_ALPHA))
    bullets: list[str] = []
    if summary is not None and not summary.empty:
        n_s = summary["scenario"].nunique()
        reps = meta.get("n_replicates", int(summary["n"].max()))
        text = f"{n_s} scenarios compared, {reps} replicates each"
        text += f"; reference scenario: '{reference}'." if reference else "."
        crn = meta.get("common_random_numbers")
        if crn is True:
            text += " Replicate i of every scenario used the same seed, so differences are paired by replicate."
        elif crn is False:
            text += " Warning: replicates do not share seeds across scenarios, so pairing removes less noise."
        bullets.append(text)
        available = list(pd.unique(summary["kpi"]))
        for kpi in headline_kpis(available, kpis):
            sentence = _ranking_sentence(summary, diffs, kpi, reference, directions, labels)
            if sentence:
                bullets.append(sentence)
    if diffs is not None and not diffs.empty:
        judged = judge_differences(diffs, directions)
        lead = headline_kpis(list(pd.unique(diffs["kpi"])), kpis)
        bullets += [_significance_sentence(str(s), rows, alpha, lead, labels) for s, rows in judged.groupby("scenario", sort=False)]
    if ce is not None and not ce.empty:
        bullets += [_ce_sentence(ce, str(o)) for o in pd.unique(ce["outcome"])]
    bc = summary_tables.get("binding_constraints")
    if bc is not None and not bc.empty:
        bullets += constraint_bullets(bc)
    if diffs is not None and not diffs.empty:
        bullets.append(multiplicity_sentence(diffs, alpha))
        bullets.append(DZ_NOTE)
    return bullets


def constraint_bullets(table: pd.DataFrame) -> list[str]:
    """One bullet per scenario naming the levers whose capacity binds (in most replicates)."""
    bullets = []
    for scenario, rows in table.groupby("scenario", sort=False):
        binding = rows.loc[rows["binds_in"].map(lambda t: 2 * int(str(t).split()[0]) > int(str(t).split()[-1]))]
        if binding.empty:
            bullets.append(f"'{scenario}': no lever is held back by a capacity.")
        else:
            bullets.append(f"'{scenario}' binding constraints: " + " ".join(binding["message"]))
    return bullets


def multiplicity_sentence(diffs: pd.DataFrame, alpha: float) -> str:
    """How significance was judged: the test, alpha, the adjustment and the family size."""
    method = str(diffs["adjust"].iloc[0]) if "adjust" in diffs.columns else "none"
    n_tests = int(np.isfinite(diffs["p_value"].to_numpy(dtype=float)).sum())
    n_raw = int((diffs["p_value"].fillna(1.0) < alpha).sum())
    n_adj = int(diffs["significant"].sum())
    if method == "none":
        return (f"Significance is tested per comparison (paired t-test, alpha = {alpha:g}) without correction for "
                f"multiple comparisons: of {n_tests} tests, a few 'significant' results are expected by chance.")  # fmt: skip
    return (f"Significance: paired t-test per scenario and KPI, p-values adjusted for multiple comparisons over all "
            f"{n_tests} tests in the table with {ADJUST_NAMES.get(method, method)}, alpha = {alpha:g}; "
            f"{n_adj} test(s) significant after adjustment ({n_raw} on raw p). Raw p-values are shown beside the adjusted ones.")  # fmt: skip


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def _meta_rows(meta: Mapping[str, object]) -> list[tuple[str, str]]:
    """Meta entries as (key, text) pairs; structures shown as compact JSON."""
    rows = []
    for key, value in meta.items():
        if key in ("title",):
            continue
        text = json.dumps(value, default=str, ensure_ascii=False) if isinstance(value, (dict, list, tuple)) else str(value)
        rows.append((str(key), text))
    return rows


def _figure_items(figures: Mapping[str, str | os.PathLike[str] | None]) -> list[tuple[str, Path, str]]:
    """(name, path, caption) for figures that exist; missing ones (None) are skipped."""
    items = []
    for name, path in figures.items():
        if path is None or not Path(path).is_file():
            continue
        items.append((name, Path(path), FIGURE_CAPTIONS.get(name, name.replace("_", " ").capitalize())))
    return items


def render_markdown(out_dir: Path, title: str, reading: list[str], tables: list[tuple[str, pd.DataFrame]],
                    figures: list[tuple[str, Path, str]], meta: Mapping[str, object]) -> str:  # fmt: skip
    """The Markdown report; figures are linked by path relative to the report."""
    parts = [f"# {title}", "", "## Reading", ""]
    parts += [f"- {b}" for b in reading] or ["_(no results to read)_"]
    for heading, table in tables:
        parts += ["", f"## {heading}", "", markdown_table(table)]
    if figures:
        parts += ["", "## Figures"]
        for _, path, caption in figures:
            rel = os.path.relpath(path, out_dir).replace(os.sep, "/")
            parts += ["", f"![{caption}]({rel})", "", f"*{caption}*"]
    meta_rows = _meta_rows(meta)
    if meta_rows:
        parts += ["", "## Run information", "", markdown_table(pd.DataFrame(meta_rows, columns=["item", "value"]))]
    return "\n".join(parts) + "\n"


def render_html(title: str, reading: list[str], tables: list[tuple[str, pd.DataFrame]],
                figures: list[tuple[str, Path, str]], meta: Mapping[str, object]) -> str:  # fmt: skip
    """The self-contained HTML report: inline CSS, base64 figures, escaped text."""
    def esc(text: object) -> str:
        return html.escape(str(text), quote=False)

    body = [f"<h1>{esc(title)}</h1>", "<h2>Reading</h2>", '<ul class="reading">']
    body += [f"<li>{esc(b)}</li>" for b in reading]
    body.append("</ul>")
    for heading, table in tables:
        body += [f"<h2>{esc(heading)}</h2>", '<div class="scroll">', table.to_html(index=False, border=0, escape=True), "</div>"]
    if figures:
        body.append("<h2>Figures</h2>")
        for name, path, caption in figures:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            body.append(
                f'<figure id="fig-{html.escape(name)}"><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{esc(caption)}</figcaption></figure>"
            )
    meta_rows = _meta_rows(meta)
    if meta_rows:
        body += ["<h2>Run information</h2>", '<table class="meta">']
        body += [f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in meta_rows]
        body.append("</table>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(title)}</title>'
        f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_report(
    out_dir: str | os.PathLike[str],
    summary_tables: Mapping[str, pd.DataFrame],
    figures: Mapping[str, str | os.PathLike[str] | None],
    meta: Mapping[str, object],
    *,
    directions: Mapping[str, str] | None = None,
    headline: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    reading: list[str] | None = None,
) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into ``out_dir``; return their paths.

    ``summary_tables`` maps a name to a table, shown in order. The analysis tables of
    :mod:`experiments.analysis.statistics` under the names ``scenario_summary``, ``paired_differences``
    and ``cost_effectiveness`` are shown in readable form and feed the generated reading; any
    other table is shown as it is. ``figures`` maps a name (``kpi_bars``, ``daily``,
    ``cost_frontier``, ``factors``, ``satisfaction_groups`` or any other) to a PNG path; None
    entries are skipped. ``meta`` is shown as run information; ``meta["title"]`` titles the report
    and ``reference``/``alpha``/``n_replicates``/``common_random_numbers`` inform the reading.
    ``directions`` overrides which way is better per KPI; ``reading`` replaces the generated text.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    reference = meta.get("reference")
    title = str(meta.get("title", "Scenario comparison"))
    if reading is None:
        reading = build_reading(summary_tables, meta, directions, headline, labels)
    tables = [
        (TABLE_TITLES.get(name, name.replace("_", " ").capitalize()), display_table(name, table, reference))  # type: ignore[arg-type]
        for name, table in summary_tables.items()
        if table is not None
    ]
    figure_items = _figure_items(figures)
    md_path = atomic_write_text(out / "report.md", render_markdown(out, title, reading, tables, figure_items, meta))
    html_path = atomic_write_text(out / "report.html", render_html(title, reading, tables, figure_items, meta))
    return md_path, html_path
