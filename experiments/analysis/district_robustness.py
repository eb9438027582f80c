"""``safetysim robustness`` broken down by district: which scenario is best *where*.

A world of several districts (a district table such as Hangzhou's 13 divisions) can rank the
scenarios differently in different districts — one path best in the dense core, another in the
mountain counties.  Every run of the ensemble already carries its per-district KPIs
(``district__<name>__<kpi>`` columns written by :func:`simulation.district_metrics.run_row_columns`);
this module applies the city-wide statistics of :mod:`experiments.analysis.robustness`
(:func:`~experiments.analysis.robustness.probability_best`,
:func:`~experiments.analysis.robustness.regret`) to each district's columns.  No KPI is computed
here, nothing is drawn at random, and the input is the resumable store's run table, so a resumed
or re-run command gives the same table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from experiments.analysis.robustness import _signed, probability_best, regret
from simulation.district_metrics import RUN_ROW_KPIS, long_from_run_rows
from simulation.errors import InputError

COLUMNS = ("district", "urban_type", "kpi", "direction", "scenario", "nominal", "ensemble_mean", "p_best",
           "expected_regret", "nominal_best", "most_likely_best", "n_parameter_sets")  # fmt: skip


def district_kpis(kpis: Sequence[str], chosen: Sequence[str] | None = None) -> list[str]:
    """The KPIs to break down: ``chosen`` (the spec's ``district_kpis``, checked) or the spec's
    KPIs that exist per district, else incidents per 1,000 (the primary per-district KPI)."""
    if chosen:
        bad = [k for k in chosen if k not in RUN_ROW_KPIS]
        if bad:
            raise InputError(f"district_kpis: {bad[0]!r} is not a per-district KPI; expected one of {', '.join(RUN_ROW_KPIS)}")
        return list(dict.fromkeys(chosen))
    return [k for k in kpis if k in RUN_ROW_KPIS] or ["incidents_per_1000"]


def analyse_districts(runs: pd.DataFrame, kpis: Sequence[str], urban_types: Mapping[str, str] | None = None,
                      directions: Mapping[str, str] | None = None) -> pd.DataFrame | None:  # fmt: skip
    """Per district, KPI and scenario: nominal value, ensemble mean, probability best and expected
    regret over the parameter sets (point 0, the nominal model, excluded as in the city table),
    from the mean over replicates per point.  None when the runs carry no per-district columns
    (a world of one district)."""
    from experiments.analysis.statistics import kpi_direction

    long = long_from_run_rows(runs)
    if long.empty or "point_index" not in long.columns:
        return None
    kpis = [k for k in kpis if k in long.columns]
    if not kpis:
        return None
    scenarios = [str(s) for s in pd.unique(runs["scenario"])]
    districts = list(dict.fromkeys(long["district"]))
    means = long.groupby(["district", "point_index", "scenario"], sort=False)[kpis].mean()
    types = dict(urban_types or {})
    rows = []
    for district in districts:
        per = means.loc[district]
        for kpi in kpis:
            direction = kpi_direction(kpi, directions)
            wide = per[kpi].unstack("scenario").reindex(columns=scenarios)
            nominal = wide.loc[0] if 0 in wide.index else pd.Series(float("nan"), index=scenarios)
            ens = wide.drop(index=0, errors="ignore").dropna()
            if ens.empty:
                continue
            pb, rg = probability_best(ens, direction), regret(ens, direction)
            good_nom = _signed(nominal.to_frame().T, direction).iloc[0]
            nominal_best = str(good_nom.idxmax()) if good_nom.notna().any() else ""
            most_likely = " = ".join(str(s) for s in pb.index[pb == pb.max()])  # a tie names every scenario in it
            for s in scenarios:
                rows.append({"district": district, "urban_type": types.get(district, ""), "kpi": kpi, "direction": direction,
                             "scenario": s, "nominal": float(nominal[s]), "ensemble_mean": float(ens[s].mean()),
                             "p_best": float(pb[s]), "expected_regret": float(rg[s].mean()), "nominal_best": nominal_best,
                             "most_likely_best": most_likely, "n_parameter_sets": len(ens)})  # fmt: skip
    return pd.DataFrame(rows, columns=list(COLUMNS)) if rows else None


def p_best_matrix(table: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """District (rows, table order) x scenario (columns) probability best for one KPI."""
    rows = table.loc[table["kpi"] == kpi]
    wide = rows.pivot_table(index="district", columns="scenario", values="p_best", aggfunc="first", sort=False)
    return wide.reindex(index=list(dict.fromkeys(rows["district"])), columns=list(dict.fromkeys(rows["scenario"])))


def winners_text(table: pd.DataFrame, kpi: str) -> str:
    """Plain language: which scenario is most likely best in which districts (grouped, with the
    urban type), e.g. "'a' in Xihu, Binjiang (core), Fuyang (suburban); 'b' in Chun'an (rural_mountain)"."""
    rows = table.loc[table["kpi"] == kpi].drop_duplicates("district")
    parts = []
    for scenario, group in rows.groupby("most_likely_best", sort=False):
        names = []
        for utype, g in group.groupby("urban_type", sort=False):
            label = ", ".join(g["district"])
            names.append(f"{label} ({utype})" if utype else label)
        parts.append(f"'{scenario}' in " + ", ".join(names))
    return "; ".join(parts)
