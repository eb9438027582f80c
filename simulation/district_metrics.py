"""Results per district: the KPIs of a run broken down by district, without random numbers.

:class:`DistrictTally` is updated once per recorded day (from the model's record phase) with what
the day's processes left behind — the incident places, fraud victims, reporters and response
times — and counts lapsed volunteers as they lapse.  :func:`district_table` turns the tally and the
end state into one row per district.  Nothing here draws random numbers, so a run's results do not
depend on whether the per-district results are looked at.

Rates per 1,000 are per real resident per year (counts × ``world.scale`` / real residents,
annualised), like the city-wide KPIs of :mod:`simulation.metrics`, so the district rows add up:
the districts' incidents sum to the run's ``incidents_total``.  Lever spending is city-wide; it is
attributed to districts in proportion to their registered volunteers (mean over the run) — an
attribution rule, not a ledger.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd

from simulation.metrics import FACTORS, WINDOW
from simulation.population import Sector

COLUMNS = (
    "district", "urban_type", "residents", "agents", "communities", "incidents", "incidents_per_1000",
    "fraud_victims", "fraud_victims_per_1000", "reporting_rate", "registered_volunteers", "active_volunteers",
    "active_volunteers_per_1000", "satisfaction", "response_hours", "spending_cny", "spending_cny_per_1000",
    *(f"factor_{f}" for f in FACTORS), "binding_factor",
)


class DistrictTally:
    """Per-district counters over the recorded days."""

    def __init__(self, model) -> None:
        nd = model.layout.n_districts
        self.district_of_comm = model.layout.district_of_comm
        self.nd = nd
        self.days = 0
        self.fraud_victims = np.zeros(nd)
        self.reportable = np.zeros(nd)
        self.reports = np.zeros(nd)
        self.response_hours_sum = np.zeros(nd)
        self.dropouts = np.zeros(nd)
        self.registered_sum = np.zeros(nd)
        self.recent: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=WINDOW)

    def _count(self, model, rows) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return np.zeros(self.nd)
        if self.nd == 1:  # one district: every row is in it (the same float count as bincount's)
            return np.array([float(rows.size)])
        return np.bincount(self.district_of_comm[model.pop.community[rows]], minlength=self.nd).astype(np.float64)

    def note_lapsed(self, model, rows: np.ndarray) -> None:
        self.dropouts += self._count(model, rows)

    def record(self, model) -> None:
        """Add today's events (called after the day's processes, on recorded days)."""
        self.days += 1
        for rows in model.events_today.get("fraud", []):
            self.fraud_victims += self._count(model, rows)
        reportable = np.zeros(self.nd)
        reports = np.zeros(self.nd)
        if model.switches.reporting and model.events_reporters:
            reportable = self._count(model, np.concatenate([e[0] for e in model.events_reporters]))
            reporters = model.reporters_today[0]
            reports = self._count(model, reporters)
            if reporters.size:
                comm = model.pop.community[reporters]
                self.response_hours_sum += np.bincount(self.district_of_comm[comm], weights=model.response_hours_today[comm], minlength=self.nd)
        self.reportable += reportable
        self.reports += reports
        self.recent.append((reports, reportable))
        self.registered_sum += self._count_registered(model)

    def _count_registered(self, model) -> np.ndarray:
        """Registered volunteers per district, from where each community's block of rows starts in
        the ascending registered rows (residents are stored community by community): the same
        counts as :meth:`_count` without gathering a row per volunteer."""
        vols = model.registered_rows
        if self.nd == 1:
            return np.array([float(vols.size)])
        starts = np.searchsorted(vols, model.community_start)
        per_community = np.diff(starts, append=vols.size)
        return np.bincount(self.district_of_comm, weights=per_community, minlength=self.nd)


def _tvd(p: np.ndarray, q: np.ndarray) -> float:
    ps, qs = p.sum(), q.sum()
    if ps <= 0 or qs <= 0:
        return 1.0
    return 0.5 * float(np.abs(p / ps - q / qs).sum())


def district_table(model) -> pd.DataFrame:
    """One row per district: residents, rates per 1,000 per year, reporting, volunteers,
    satisfaction, response time, attributed spending, the five factor indices and the binding one."""
    lay, tally, pop, k = model.layout, model.district_tally, model.pop, model.scale
    nd = lay.n_districts
    days = max(tally.days, 1)
    per_year = 365.0 / days
    dist_row = lay.district_of_comm[pop.community]
    agents = np.bincount(dist_row, minlength=nd).astype(np.float64)
    real = agents * k
    per_1000 = 1000.0 / np.maximum(real, 1e-9) * per_year
    incidents = np.bincount(lay.district_of_comm, weights=model.community_incidents, minlength=nd) * k
    fraud = tally.fraud_victims * k
    vols = model.registered_rows
    vol_d = np.bincount(dist_row[vols], minlength=nd).astype(np.float64)
    window = model.cfg.participation.active_window_days
    last_day = model.day - 1  # the day of the last record (the clock has moved on since)
    active_rows = vols[last_day - pop.last_served[vols] < window]
    active_d = np.bincount(dist_row[active_rows], minlength=nd).astype(np.float64)
    satisfaction = np.bincount(dist_row, weights=pop.satisfaction, minlength=nd) / np.maximum(agents, 1)
    reporting = np.divide(tally.reports, tally.reportable, out=np.zeros(nd), where=tally.reportable > 0)
    response = np.divide(tally.response_hours_sum, tally.reports, out=np.zeros(nd), where=tally.reports > 0)
    spending_total = float(sum(r.get("spending_cny", 0.0) for r in model.records))
    reg_mean = tally.registered_sum / days
    spending = spending_total * reg_mean / reg_mean.sum() if reg_mean.sum() > 0 else np.zeros(nd)

    # Five factor indices per district (same definitions as the city's, on the district's rows).
    n_sec = len(Sector)
    team = np.bincount(dist_row[vols] * n_sec + pop.sector[vols], minlength=nd * n_sec).reshape(nd, n_sec).astype(float)
    people = np.bincount(dist_row * n_sec + pop.sector, minlength=nd * n_sec).reshape(nd, n_sec).astype(float)
    culture = np.bincount(dist_row, weights=pop.awareness * pop.informed, minlength=nd) / np.maximum(agents, 1)
    rec_reports = sum((r for r, _ in tally.recent), np.zeros(nd))
    rec_reportable = sum((q for _, q in tally.recent), np.zeros(nd))
    system = np.divide(rec_reports, rec_reportable, out=np.zeros(nd), where=rec_reportable > 0)
    place_district = lay.district_of_comm[model.places.community]
    rows = []
    for d in range(nd):
        at = place_district == d
        g = model.guardian_ema[at]
        allocation = 1.0 - _tvd(g, model.place_base_rate[at]) if g.sum() > 0 else 0.0
        dropout = min(1.0, tally.dropouts[d] / reg_mean[d] * per_year) if reg_mean[d] > 0 else 0.0
        active_share = active_d[d] / vol_d[d] if vol_d[d] else 0.0
        factors = {
            "factor_subject": 1.0 - _tvd(team[d], people[d]) if vol_d[d] else 0.0,
            "factor_culture": float(culture[d]),
            "factor_system": float(system[d]),
            "factor_allocation": allocation,
            "factor_strategy": active_share * max(0.0, 1.0 - dropout),
        }
        rows.append({
            "district": lay.names[d], "urban_type": lay.urban_type[d], "residents": float(real[d]), "agents": int(agents[d]),
            "communities": int(np.count_nonzero(lay.district_of_comm == d)),
            "incidents": float(incidents[d]), "incidents_per_1000": float(incidents[d] * per_1000[d]),
            "fraud_victims": float(fraud[d]), "fraud_victims_per_1000": float(fraud[d] * per_1000[d]),
            "reporting_rate": float(reporting[d]),
            "registered_volunteers": float(vol_d[d] * k), "active_volunteers": float(active_d[d] * k),
            "active_volunteers_per_1000": float(active_d[d] * k / max(real[d], 1e-9) * 1000.0),
            "satisfaction": float(satisfaction[d]), "response_hours": float(response[d]),
            "spending_cny": float(spending[d]), "spending_cny_per_1000": float(spending[d] * per_1000[d]),
            **factors,
            "binding_factor": min(FACTORS, key=lambda f: factors[f"factor_{f}"]),
        })
    return pd.DataFrame(rows, columns=list(COLUMNS))


def breakdown(table: pd.DataFrame, kpi: str, by: str = "district") -> pd.DataFrame:
    """One KPI by district (rows) and, if the table has it, by scenario (columns): the mean over
    replicates.  ``table`` is a concatenation of :func:`district_table` frames with extra id
    columns such as ``scenario`` and ``replicate``.  Used by reports to break a KPI down."""
    if kpi not in table.columns:
        raise KeyError(f"{kpi}: not a per-district KPI; expected one of {', '.join(c for c in COLUMNS if c not in ('district', 'urban_type', 'binding_factor'))}")
    order = list(dict.fromkeys(table[by]))
    if "scenario" in table.columns:
        out = table.pivot_table(index=by, columns="scenario", values=kpi, aggfunc="mean", sort=False)
        out = out[list(dict.fromkeys(table["scenario"]))]
    else:
        out = table.groupby(by, sort=False)[[kpi]].mean()
    return out.reindex(order)


# Per-district KPIs carried in an experiment's run rows (worlds of more than one district), as
# columns ``district__<name>__<kpi>``; statistics skip them, reports break KPIs down with them.
PREFIX = "district__"
RUN_ROW_KPIS = ("incidents_per_1000", "fraud_victims_per_1000", "reporting_rate", "active_volunteers_per_1000",
                "satisfaction", "response_hours")
# The five factor indices ride along, so reports can name each district's binding factor
# (the lowest mean index over replicates; see :func:`binding_factors`).
RUN_ROW_FACTORS = tuple(f"factor_{f}" for f in FACTORS)


def run_row_columns(table: pd.DataFrame | None) -> dict[str, float]:
    """The per-district KPIs of one run as flat columns (nothing for a one-district world)."""
    if table is None or len(table) < 2:
        return {}
    keys = [k for k in RUN_ROW_KPIS + RUN_ROW_FACTORS if k in table.columns]
    return {f"{PREFIX}{r['district']}__{k}": float(r[k]) for _, r in table.iterrows() for k in keys}


def long_from_run_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """Run rows with ``district__*`` columns -> one row per (run, district) with the KPIs as
    columns (plus ``scenario``/``replicate``/``point_index`` when present), ready for :func:`breakdown`."""
    cols = [c for c in runs.columns if c.startswith(PREFIX)]
    if not cols:
        return pd.DataFrame()
    ids = [c for c in ("scenario", "replicate", "point_index") if c in runs.columns]
    long = runs[ids + cols].melt(id_vars=ids, var_name="column", value_name="value")
    parts = long["column"].str[len(PREFIX):].str.rsplit("__", n=1, expand=True)
    long["district"], long["kpi"] = parts[0], parts[1]
    wide = long.pivot_table(index=ids + ["district"], columns="kpi", values="value", aggfunc="first", sort=False)
    wide.columns.name = None
    return wide.reset_index()


def binding_factors(long: pd.DataFrame, by: str = "district") -> pd.DataFrame | None:
    """The binding restrictive factor per district (rows) and scenario (columns): the factor whose
    index, averaged over the runs, is lowest — the city rule of :mod:`simulation.metrics` applied
    to each district's mean indices.  None when the rows carry no factor indices."""
    cols = [c for c in RUN_ROW_FACTORS if c in long.columns]
    if not cols:
        return None
    keys = [by] + (["scenario"] if "scenario" in long.columns else [])
    means = long.groupby(keys, sort=False)[cols].mean()
    names = means.idxmin(axis=1).str[len("factor_"):]
    if "scenario" not in long.columns:
        return names.to_frame("binding_factor")
    out = names.unstack("scenario")
    return out.reindex(index=list(dict.fromkeys(long[by])), columns=list(dict.fromkeys(long["scenario"])))
