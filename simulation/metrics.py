"""KPIs and the five-factor diagnostics, daily and end-of-run.

Counts of agents are multiplied by ``world.scale`` so totals refer to the real population; rates
per 1,000 residents are scale-free.  The five factor indices are each in [0, 1], higher meaning the
factor restricts participation *less*; the lowest one is the binding factor of a run:

* ``factor_subject``    — 1 − total-variation distance between the volunteer team's sector mix
  and the residents' (a team that looks like the community has a complete participant base);
* ``factor_culture``    — mean civic awareness over all residents, counting the uninformed as 0;
* ``factor_system``     — reporting rate of the last 30 days (channels and trust at work);
* ``factor_allocation`` — 1 − total-variation distance between where volunteer guardianship goes
  (30-day average) and where incidents are expected without it (place risk);
* ``factor_strategy``   — active share of registered volunteers × (1 − annualised dropout).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulation import kernels
from simulation.population import AgeGroup, Education, Sector, take_rows

FACTORS = ("subject", "culture", "system", "allocation", "strategy")
WINDOW = 30


def _tvd(p: np.ndarray, q: np.ndarray) -> float:
    ps, qs = p.sum(), q.sum()
    if ps <= 0 or qs <= 0:
        return 1.0
    return 0.5 * float(np.abs(p / ps - q / qs).sum())


def gini(x: np.ndarray) -> float:
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = x.size
    if n == 0 or x.sum() <= 0:
        return 0.0
    cum = np.cumsum(x)
    return float((n + 1 - 2 * (cum / cum[-1]).sum()) / n)


def _registered(model) -> np.ndarray:
    return model.registered_rows


def active_count(model, vols: np.ndarray | None = None) -> int:
    """Registered volunteers who served within the active window."""
    vols = _registered(model) if vols is None else vols
    window = model.cfg.participation.active_window_days
    if kernels.enabled(model):
        return int(kernels.loops().count_served_since(model.pop.last_served, vols, model.day - window + 1))
    return int(np.count_nonzero(model.day - model.pop.last_served[vols] < window))


def _mean_over(model, column: np.ndarray, rows: np.ndarray) -> float:
    """``column[rows].mean()``; large worlds gather a 1-D column's rows with a compiled loop into
    working memory (the same contiguous values, so the same mean; twice as fast as ``take``).  A
    2-D column's rows are taken whole (faster than either loop)."""
    if column.ndim == 2:
        return float(take_rows(column, rows).mean())
    if not kernels.enabled(model):
        return float(np.take(column, rows).mean())
    return float(model.scratch[:kernels.loops().gather(column, rows, model.scratch)].mean())


def _means_by_flag(model, column: np.ndarray, flag: np.ndarray, n_true: int) -> tuple[float, float]:
    """``(column[flag].mean(), column[~flag].mean())`` (NaN for an empty side).  Large worlds split
    the column with one compiled pass into working memory — the same values in the same order, so
    the same means — instead of keeping index arrays of both groups (8 MB at a million residents)."""
    n = column.size
    if not kernels.enabled(model):
        return (float(column[flag].mean()) if n_true else np.nan,
                float(column[~flag].mean()) if n_true < n else np.nan)
    kernels.loops().split_by_flag(column, flag, n_true, model.scratch)
    return (float(model.scratch[:n_true].mean()) if n_true else np.nan,
            float(model.scratch[n_true:n].mean()) if n_true < n else np.nan)


WINDOW_KEYS = ("reportable", "reports", "dropouts", "registered_volunteers")
"""Record keys summed over a trailing window every day (reporting rate, dropout)."""


def _series(model) -> dict[str, list[float]]:
    """The daily values of :data:`WINDOW_KEYS` in the records so far, as one list per key, caught
    up with ``model.records`` on each call (rebuilt if the records were replaced).  Summing a slice
    of such a list is the same sequence of additions as summing the records' values, without a
    dict lookup per record and day (a year of windows was a quarter of a small world's day)."""
    recs = model.records
    series = model.__dict__.get("_window_series")
    if series is None or series["n"][0] > len(recs):
        series = {"n": [0], **{key: [] for key in WINDOW_KEYS}}
        model._window_series = series
    for r in recs[series["n"][0]:]:
        for key in WINDOW_KEYS:
            series[key].append(r.get(key, 0.0))
    series["n"][0] = len(recs)
    return series


def _recent(model, key: str, days: int = WINDOW) -> float:
    return float(sum(_series(model)[key][-days:]))


def factor_indices(model, vols: np.ndarray, active: int, reporting_rate: float, dropout_rate: float) -> dict[str, float]:
    """The five factor indices at the end of today (after :func:`update_guardian_average`)."""
    pop = model.pop
    n_sec = len(Sector)
    team = np.bincount(pop.sector[vols], minlength=n_sec).astype(float)
    residents = model.sector_counts
    subject = 1.0 - _tvd(team, residents) if vols.size else 0.0
    if kernels.enabled(model):
        kernels.loops().times_flag(pop.awareness, pop.informed, model.scratch)
        culture = float(np.mean(model.scratch))
    else:
        culture = float(np.mean(np.multiply(pop.awareness, pop.informed, out=model.scratch)))
    allocation = 1.0 - _tvd(model.guardian_ema, model.place_base_rate) if model.guardian_ema.sum() > 0 else 0.0
    active_share = active / vols.size if vols.size else 0.0
    strategy = active_share * max(0.0, 1.0 - dropout_rate)
    return {
        "factor_subject": subject,
        "factor_culture": culture,
        "factor_system": reporting_rate,
        "factor_allocation": allocation,
        "factor_strategy": strategy,
    }


def update_guardian_average(model) -> None:
    """Today's volunteer guardianship into its 30-day moving average (state, updated every
    recorded day whether or not the day's factor indices are computed)."""
    model.guardian_ema += (model.volunteer_guardians - model.guardian_ema) / WINDOW


STATE_KEYS = ("satisfaction", "mobile_satisfaction", "registered_satisfaction", "trust", "informed_share",
              "awareness", "fraud_literacy", "mean_motivation", "mean_skill") + tuple(f"factor_{f}" for f in FACTORS)
"""Record keys that describe the state at the end of a day (means over residents or volunteers,
the five factor indices) rather than counting what happened; a run asked for its summary only
computes them on its last day (:func:`daily_record` with ``state=False``)."""


def daily_record(model, state: bool = True) -> dict[str, Any]:
    """One row of the daily time series (today's counts and the state at the end of the day).

    ``state=False`` leaves out :data:`STATE_KEYS` (a dozen means over the population: a third of
    a small world's record) — for days whose state nobody reads: the summary takes state values
    from the last day only, so a run that keeps only its summary computes them on that day."""
    pop, t, k = model.pop, model.today, model.scale
    vols = _registered(model)
    active = active_count(model, vols)
    rec: dict[str, Any] = {"day": model.day - model.cfg.run.warmup_days + 1}
    rec["registered_volunteers"] = vols.size * k
    rec["active_volunteers"] = active * k
    rec["volunteers_on_duty"] = model.active_rows.size * k
    rec["registrations"] = t["registrations"] * k
    rec["dropouts"] = t["dropouts"] * k
    rec["volunteer_hours"] = t["shifts"] * model.cfg.participation.hours_per_shift * k
    for key in ("property_incidents", "public_order_incidents", "fraud_attempts", "fraud_victims", "disputes",
                "disputes_mediated", "disputes_escalated", "emergencies", "emergencies_first_response",
                "reports", "reportable", "reports_mobile", "reportable_mobile", "trainees", "residents_warned",
                "hotspot_incidents", "fraud_victims_older", "fraud_attempts_older", "disputes_mediated_escalated",
                "responses_satisfied", "routine_by_volunteers", "newly_informed"):
        rec[key] = t[key] * k
    for key in ("expected_property", "expected_public_order", "expected_property_no_volunteers",
                "expected_public_order_no_volunteers", "expected_property_no_guardians",
                "expected_public_order_no_guardians", "expected_hotspot", "expected_fraud_victims",
                "expected_fraud_victims_older"):
        rec[key] = t[key] * k
    rec["incidents"] = rec["property_incidents"] + rec["public_order_incidents"]
    rec["fraud_losses_cny"] = t["fraud_losses_cny"] * k
    rec["response_hours_sum"] = t["response_hours_sum"] * k
    rec["response_hours"] = t["response_hours_sum"] / t["reports"] if t["reports"] else np.nan
    rec["police_backlog"] = float(model.police.backlog.sum()) * k
    if state:
        rec.update(state_means(model, vols))
    costs = {key: t.get(key, 0.0) for key in model.per_run("cost_keys", cost_keys)}
    rec.update(costs)
    rec["spending_cny"] = float(sum(costs.values()))
    update_guardian_average(model)
    if state:
        rec.update(state_factors(model, vols, active, rec))
    return rec


def cost_keys(model) -> tuple[str, ...]:
    """``cost_<lever>`` for each lever, in the levers' order (the record's spending columns)."""
    return tuple(f"cost_{name}" for name in model.levers)


def state_means(model, vols: np.ndarray) -> dict[str, Any]:
    """The means of :data:`STATE_KEYS`: over residents, mobile and registered residents, volunteers."""
    pop = model.pop
    out: dict[str, Any] = {}
    out["satisfaction"] = float(pop.satisfaction.mean())
    out["mobile_satisfaction"], out["registered_satisfaction"] = _means_by_flag(model, pop.satisfaction, pop.mobile, model.n_mobile)
    out["trust"] = float(pop.trust.mean())
    out["informed_share"] = np.count_nonzero(pop.informed) / pop.n  # = informed.mean(), without a float64 copy
    out["awareness"] = float(pop.awareness.mean())
    out["fraud_literacy"] = float(pop.fraud_literacy.mean())
    out["mean_motivation"] = _mean_over(model, pop.motivation, vols) if vols.size else np.nan
    out["mean_skill"] = _mean_over(model, pop.skills, vols) if vols.size else np.nan
    return out


def state_factors(model, vols: np.ndarray, active: int, rec: dict[str, Any]) -> dict[str, float]:
    """The five factor indices of :data:`STATE_KEYS` for today's record ``rec`` (its counts in)."""
    reportable = _recent(model, "reportable") + rec["reportable"]
    reporting_rate = (_recent(model, "reports") + rec["reports"]) / reportable if reportable else 0.0
    days = len(model.records) + 1
    mean_reg = (sum(_series(model)["registered_volunteers"][-365:]) + rec["registered_volunteers"]) / min(days, 366)
    dropout_rate = (_recent(model, "dropouts", 365) + rec["dropouts"]) / max(mean_reg, 1e-9) * 365.0 / min(days, 366)
    return factor_indices(model, vols, active, reporting_rate, min(dropout_rate, 1.0))


def _total(records: list[dict], key: str) -> float:
    return float(np.nansum([r[key] for r in records]))


def summary(model) -> dict[str, Any]:
    """End-of-run KPIs over the recorded days (annualised where it says per year)."""
    recs = model.records
    if not recs:
        return {}
    pop, k = model.pop, model.scale
    days = len(recs)
    per_year = 365.0 / days
    real = model.real_residents
    per_1000 = 1000.0 / real * per_year
    last = recs[-1]
    vols = _registered(model)

    def rate(key: str) -> float:
        return _total(recs, key) * per_1000

    s: dict[str, Any] = {"days": days, "real_residents": real, "scale": k, "seed": model.seed_value}
    s["incidents_per_1000"] = rate("incidents")
    s["property_incidents_per_1000"] = rate("property_incidents")
    s["public_order_incidents_per_1000"] = rate("public_order_incidents")
    s["incidents_total"] = _total(recs, "incidents")
    exp = _total(recs, "expected_property") + _total(recs, "expected_public_order")
    exp_novol = _total(recs, "expected_property_no_volunteers") + _total(recs, "expected_public_order_no_volunteers")
    s["expected_incidents_per_1000"] = exp * per_1000
    s["incidents_prevented_by_volunteers"] = exp_novol - exp
    s["guardianship_reduction"] = (exp_novol - exp) / exp_novol if exp_novol > 0 else 0.0
    s["fraud_victims_per_1000"] = rate("fraud_victims")
    n_older = float(np.count_nonzero(pop.age == AgeGroup.OLDER)) * k
    s["fraud_victims_older_per_1000"] = _total(recs, "fraud_victims_older") / n_older * 1000.0 * per_year if n_older else 0.0
    s["expected_fraud_victims_older_per_1000"] = _total(recs, "expected_fraud_victims_older") / n_older * 1000.0 * per_year if n_older else 0.0
    s["expected_fraud_victims_per_1000"] = rate("expected_fraud_victims")
    s["fraud_losses_cny"] = _total(recs, "fraud_losses_cny")
    s["fraud_losses_per_1000_cny"] = s["fraud_losses_cny"] * per_1000
    att = _total(recs, "fraud_attempts")
    s["fraud_success_rate"] = _total(recs, "fraud_victims") / att if att else 0.0
    disputes = _total(recs, "disputes")
    s["disputes_per_1000"] = rate("disputes")
    s["dispute_escalation_rate"] = _total(recs, "disputes_escalated") / disputes if disputes else 0.0
    med = _total(recs, "disputes_mediated")
    s["mediation_success"] = 1.0 - _total(recs, "disputes_mediated_escalated") / med if med else 0.0
    s["disputes_mediated_share"] = _total(recs, "disputes_mediated") / disputes if disputes else 0.0
    em = _total(recs, "emergencies")
    s["emergency_first_response_share"] = _total(recs, "emergencies_first_response") / em if em else 0.0
    reportable = _total(recs, "reportable")
    s["reporting_rate"] = _total(recs, "reports") / reportable if reportable else 0.0
    rm = _total(recs, "reportable_mobile")
    s["mobile_reporting_rate"] = _total(recs, "reports_mobile") / rm if rm else 0.0
    reports = _total(recs, "reports")
    s["response_hours"] = _total(recs, "response_hours_sum") / reports if reports else 0.0
    s["response_satisfaction"] = _total(recs, "responses_satisfied") / reports if reports else 0.0
    s["registered_volunteers"] = last["registered_volunteers"]
    s["active_volunteers"] = last["active_volunteers"]
    s["active_share"] = last["active_volunteers"] / last["registered_volunteers"] if last["registered_volunteers"] else 0.0
    mean_reg = float(np.mean([r["registered_volunteers"] for r in recs]))
    s["annual_dropout"] = _total(recs, "dropouts") / mean_reg * per_year if mean_reg else 0.0
    s["registrations_per_year"] = _total(recs, "registrations") * per_year
    s["volunteers_per_1000"] = last["registered_volunteers"] / real * 1000.0
    s["volunteer_hours"] = _total(recs, "volunteer_hours")
    s["volunteer_hours_per_year"] = s["volunteer_hours"] * per_year
    s.update(composition(model, vols))
    for key in ("satisfaction", "mobile_satisfaction", "registered_satisfaction", "trust", "informed_share",
                "awareness", "fraud_literacy", "mean_motivation", "mean_skill"):
        s[key] = last[key]
    s["spending_cny"] = _total(recs, "spending_cny")
    s["spending_cny_per_year"] = s["spending_cny"] * per_year
    for name in model.levers:
        s[f"spending_{name}_cny"] = _total(recs, f"cost_{name}")
    per_capita = model.community_incidents / model.community_size
    s["incident_gini_communities"] = gini(per_capita)
    comm_sat = community_sums(model, pop.satisfaction) / model.community_size
    s["satisfaction_range_communities"] = float(comm_sat.max() - comm_sat.min())
    s["equity_index"] = 1.0 - s["incident_gini_communities"]
    hours = s["volunteer_hours"]
    s["participation_efficiency"] = s["incidents_prevented_by_volunteers"] / hours * 1000.0 if hours else 0.0
    s["incident_concentration_top5"] = top_share(model.place_incidents, 0.05)
    s["expected_concentration_top5"] = top_share(model.place_expected, 0.05)
    s["expected_hotspot_per_1000"] = _total(recs, "expected_hotspot") * per_1000
    s["hotspot_incident_share"] = _total(recs, "hotspot_incidents") / s["incidents_total"] if s["incidents_total"] else 0.0
    for f in FACTORS:
        s[f"factor_{f}"] = last[f"factor_{f}"]
    s["binding_factor"] = min(FACTORS, key=lambda f: s[f"factor_{f}"])
    return s


def top_share(counts: np.ndarray, share: float) -> float:
    """Share of all events at the top ``share`` of units (e.g. incidents at the top 5% of places)."""
    total = counts.sum()
    if total == 0:
        return 0.0
    k = max(1, int(np.floor(share * counts.size)))
    return float(np.sort(counts)[::-1][:k].sum() / total)


def composition(model, vols: np.ndarray) -> dict[str, float]:
    """Who the volunteer team is, next to who the residents are."""
    pop = model.pop
    out: dict[str, float] = {}
    groups = {  # one mask at a time (a million residents: a megabyte each)
        "older": lambda: pop.age == AgeGroup.OLDER,
        "young": lambda: pop.age == AgeGroup.YOUNG,
        "edu_mid": lambda: pop.education == Education.MID,
        "university": lambda: pop.education == Education.UNIVERSITY,
        "students": lambda: pop.sector == Sector.STUDENT,
        "professionals": lambda: np.isin(pop.sector, (Sector.LAW, Sector.COUNSELLING, Sector.MEDICAL)),
        "merchants": lambda: pop.sector == Sector.MERCHANT,
        "retired": lambda: pop.sector == Sector.RETIRED,
        "mobile": lambda: pop.mobile,
    }
    for name, group in groups.items():
        mask = group()
        out[f"team_share_{name}"] = float(mask[vols].mean()) if vols.size else 0.0
        out[f"resident_share_{name}"] = float(mask.mean())
    return out


def community_sums(model, values: np.ndarray) -> np.ndarray:
    """``np.bincount(pop.community, weights=values)`` — large worlds add in the same order with a
    compiled loop (the same sums) instead of making float64 and int64 copies of two columns."""
    pop = model.pop
    if not kernels.enabled(model):
        return np.bincount(pop.community, weights=values, minlength=model.n_communities)
    out = np.zeros(model.n_communities, dtype=np.float64)
    kernels.loops().add_by_group(pop.community, values, out)
    return out


MODEL_REPORTERS = {
    "registered_volunteers": lambda m: m.last_record.get("registered_volunteers", 0),
    "active_volunteers": lambda m: m.last_record.get("active_volunteers", 0),
    "incidents": lambda m: m.last_record.get("incidents", 0),
    "fraud_victims": lambda m: m.last_record.get("fraud_victims", 0),
    "satisfaction": lambda m: m.last_record.get("satisfaction", np.nan),
    "spending_cny": lambda m: m.last_record.get("spending_cny", 0.0),
}
"""Model reporters for Mesa's DataCollector (and so for ``mesa.batch_run``)."""
