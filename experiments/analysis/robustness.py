"""``safetysim robustness``: do the scenario rankings survive uncertainty about the model's assumptions?

A compare file (scenarios, base config, optional budget matching) is run over an *ensemble of
parameter sets*: a Latin hypercube over "assumption" parameters (ranges in the spec, or the
documented default of +-50% of the parameter's default, clipped to its allowed range) and/or
draws from a posterior sample (a Parquet file with one column per dotted parameter and an
optional ``weight`` column, as ``safetysim calibrate`` writes ``posterior.parquet``). Point 0 is
the nominal model (every ensemble parameter at its base value). Every scenario at every parameter
set uses the same replicate seeds (common random numbers), through the experiment engine and its
resumable store.

Per KPI, over the ensemble points (mean over replicates per point and scenario):

* probability each scenario is best (the share of parameter sets where it ranks first);
* expected regret: mean over parameter sets of how far the scenario falls behind the best one
  there (>= 0; 0 for a scenario that is best everywhere);
* how often the ranking flips against the nominal ranking (the best changes; the full order changes).

Scenario discovery: for the primary KPI, the parameter sets where the recommended scenario (the
nominal best, or ``recommended`` in the spec) is *not* best are cases of interest; PRIM
(EMA Workbench) finds the box of parameter conditions where it loses, with coverage (share of
all losses inside the box) and density (share of the box's points that are losses).

Spec (YAML, relative paths against the spec's folder)::

    name: robustness_paths
    compare: compare_paths_equal_budget.yaml   # scenarios, base, reference, budget_match
    overrides: {run.days: 365}                 # optional, applied to every run (e.g. a smaller district)
    kpis: [incidents_per_1000, fraud_losses_cny, satisfaction]   # first = primary KPI
    recommended: null                          # default: the nominal best on the primary KPI
    replicates: 2
    root_seed: 7
    ensemble:
      lhs:
        n: 16
        seed: 1
        parameters:                            # dotted path -> {low, high}, or null for the default range
          participation.crowding_out: {low: 0.1, high: 0.6}
          response.cases_per_officer_per_day: null
      posterior: {path: posterior.parquet, n: 16, seed: 2}
    prim: {density: 0.8}                        # the box chosen: highest coverage with density >= this
    executor: {kind: process, workers: 2}
    district_kpis: [incidents_per_1000]         # optional; worlds of several districts only

In a world of several districts the same statistics are also computed per district
(:mod:`experiments.analysis.district_robustness`), on ``district_kpis`` (default: the spec's KPIs
that exist per district).
"""

from __future__ import annotations

import inspect

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.errors import InputError

SPEC_KEYS = {"name", "description", "compare", "overrides", "kpis", "recommended", "replicates", "root_seed",
             "ensemble", "prim", "executor", "district_kpis"}  # fmt: skip
DEFAULT_KPIS = ("incidents_per_1000", "fraud_losses_cny", "satisfaction")
DEFAULT_RANGE = 0.5
"""Default LHS range of a parameter given without one: default x (1 -+ 0.5), clipped to its bounds."""
DEFAULT_DENSITY = 0.8


# --------------------------------------------------------------------------------------------
# Parameters and the ensemble
# --------------------------------------------------------------------------------------------


def parameter_field(path: str) -> Any:
    """The pydantic field of a dotted model parameter; InputError if there is none."""
    from pydantic import BaseModel

    from simulation.config import ModelConfig

    cls: Any = ModelConfig
    parts = path.split(".")
    for i, name in enumerate(parts):
        fields = cls.model_fields
        if name not in fields:
            raise InputError(f"ensemble: {path!r} is not a model parameter; see `safetysim params`")
        field = fields[name]
        if i < len(parts) - 1:
            if not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
                raise InputError(f"ensemble: {path!r} is not a model parameter; see `safetysim params`")
            cls = field.annotation
    return field


def _bounds(field: Any) -> tuple[float, float]:
    lo, hi = -math.inf, math.inf
    for m in field.metadata:
        for key in ("ge", "gt"):
            if getattr(m, key, None) is not None:
                lo = max(lo, float(getattr(m, key)))
        if getattr(m, "le", None) is not None:
            hi = min(hi, float(m.le))
        elif getattr(m, "lt", None) is not None:
            hi = min(hi, float(m.lt))
    return lo, hi


def parameter_range(path: str, given: Mapping[str, Any] | None, base_value: float) -> tuple[float, float, bool]:
    """(low, high, integer) of one LHS parameter. Without a range the parameter must be an
    assumption (its source in simulation/config.py says so) and gets base x (1 -+ 0.5), clipped."""
    field = parameter_field(path)
    is_int = field.annotation is int
    if field.annotation not in (int, float):
        raise InputError(f"ensemble.lhs.parameters.{path}: a {getattr(field.annotation, '__name__', field.annotation)} parameter; expected a numeric one")
    lo_ok, hi_ok = _bounds(field)
    if given:
        unknown = set(given) - {"low", "high"}
        if unknown:
            raise InputError(f"ensemble.lhs.parameters.{path}.{sorted(unknown)[0]}: unknown key; expected low, high")
        try:
            lo, hi = float(given["low"]), float(given["high"])
        except (KeyError, TypeError, ValueError):
            raise InputError(f"ensemble.lhs.parameters.{path}: {dict(given)!r} is not allowed; expected {{low: number, high: number}}") from None
        if not lo < hi:
            raise InputError(f"ensemble.lhs.parameters.{path}: low {lo:g} >= high {hi:g}; expected low < high")
        if lo < lo_ok or hi > hi_ok:
            raise InputError(f"ensemble.lhs.parameters.{path}: [{lo:g}, {hi:g}] is out of range; allowed [{lo_ok:g}, {hi_ok:g}]")
        return lo, hi, is_int
    source = str((field.json_schema_extra or {}).get("source", ""))
    if not source.startswith("assumption"):
        raise InputError(f"ensemble.lhs.parameters.{path}: its source is {source!r}, not an assumption; expected an explicit {{low, high}}")
    lo, hi = base_value * (1 - DEFAULT_RANGE), base_value * (1 + DEFAULT_RANGE)
    lo, hi = max(lo, lo_ok), min(hi, hi_ok)
    if not lo < hi:
        raise InputError(f"ensemble.lhs.parameters.{path}: default {base_value:g} gives no range; expected an explicit {{low, high}}")
    return lo, hi, is_int


def lhs_points(ranges: Mapping[str, tuple[float, float, bool]], n: int, seed: int) -> list[dict[str, float]]:
    """``n`` Latin hypercube points (scipy.stats.qmc) over the ranges; integers rounded."""
    from scipy.stats import qmc

    names = list(ranges)
    unit = qmc.LatinHypercube(d=len(names), seed=seed).random(n)
    points = []
    for row in unit:
        point: dict[str, float] = {}
        for name, u in zip(names, row, strict=True):
            lo, hi, is_int = ranges[name]
            v = lo + u * (hi - lo)
            point[name] = int(round(v)) if is_int else float(v)
        points.append(point)
    return points


def posterior_points(path: Path, n: int | None, seed: int) -> list[dict[str, float]]:
    """Draws from a posterior sample: ``n`` rows resampled by ``weight`` (if the column exists;
    seeded), or every row when ``n`` is not given and there are no weights."""
    if not path.is_file():
        raise InputError(f"ensemble.posterior.path: {str(path)!r} not found; expected a Parquet file (e.g. posterior.parquet)")
    try:
        table = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any reader error is bad input
        raise InputError(f"ensemble.posterior.path: {path.name} is not a readable Parquet file ({type(exc).__name__})") from None
    params = [c for c in table.columns if c != "weight"]
    if table.empty or not params:
        raise InputError(f"ensemble.posterior.path: {path.name} has no draws; expected one column per dotted parameter and optional weight")
    for p in params:
        parameter_field(p)
    weights = table["weight"].to_numpy(dtype=float) if "weight" in table.columns else None
    if weights is not None and (not np.all(np.isfinite(weights)) or (weights < 0).any() or weights.sum() <= 0):
        raise InputError("ensemble.posterior.weight: weights must be finite, >= 0 and not all 0")
    if n is None and weights is None:
        rows = np.arange(len(table))
    else:
        k = n if n is not None else len(table)
        p = weights / weights.sum() if weights is not None else None
        rows = np.random.default_rng(seed).choice(len(table), size=k, replace=True, p=p)
    return [{c: table[c].iloc[int(i)].item() for c in params} for i in rows]


# --------------------------------------------------------------------------------------------
# Analysis (pure functions of a points x scenarios table of KPI means)
# --------------------------------------------------------------------------------------------


def _signed(values: pd.DataFrame, direction: str) -> pd.DataFrame:
    """Values turned so that higher is better."""
    return values if direction == "higher" else -values


def probability_best(values: pd.DataFrame, direction: str) -> pd.Series:
    """Share of rows (parameter sets) where each column (scenario) is best; ties share the win.
    Sums to 1 over scenarios."""
    good = _signed(values, direction)
    best = good.eq(good.max(axis=1), axis=0)
    share = best.div(best.sum(axis=1), axis=0)
    return share.mean(axis=0)


def regret(values: pd.DataFrame, direction: str) -> pd.DataFrame:
    """Per row and scenario: how far it falls behind the row's best (>= 0, 0 for the best)."""
    good = _signed(values, direction)
    return good.rsub(good.max(axis=1), axis=0)


def rank_flips(values: pd.DataFrame, nominal: pd.Series, direction: str) -> tuple[float, float]:
    """(share of rows whose best differs from the nominal best, share whose full order differs)."""
    good = _signed(values, direction)
    nom = _signed(nominal.to_frame().T, direction).iloc[0]
    nominal_order = list(nom.sort_values(ascending=False, kind="stable").index)
    orders = [list(row.sort_values(ascending=False, kind="stable").index) for _, row in good.iterrows()]
    best_flip = float(np.mean([o[0] != nominal_order[0] for o in orders])) if orders else 0.0
    order_flip = float(np.mean([o != nominal_order for o in orders])) if orders else 0.0
    return best_flip, order_flip


def prim_box(x: pd.DataFrame, y: np.ndarray, density: float = DEFAULT_DENSITY) -> dict[str, Any] | None:
    """PRIM (EMA Workbench) on cases of interest ``y`` (bool) over parameters ``x``.

    The box chosen from the peeling trajectory is the one with the highest coverage among those
    with density >= ``density`` (else the densest). Returns ``{"limits": {param: (low, high)} of
    the restricted parameters, "coverage", "density", "mass", "n_cases", "n_points"}``, or None
    when there is no case of interest (or every point is one: nothing to discover).
    """
    import logging
    import warnings

    with warnings.catch_warnings():  # optional ipyparallel evaluator notice on import
        warnings.simplefilter("ignore", UserWarning)
        from ema_workbench.analysis import prim as ema_prim
    from ema_workbench.analysis.scenario_discovery_util import _determine_restricted_dims

    y = np.asarray(y, dtype=bool)
    if y.sum() == 0 or y.all() or x.shape[1] == 0:
        return None
    logging.getLogger("EMA").setLevel(logging.WARNING)
    x = x.reset_index(drop=True).astype(float)
    # Cases of interest are y >= threshold: 1 = the recommendation loses, 0 = it wins.
    # EMA Workbench 2.x takes a threshold on y; 3.x takes the binary y itself.
    takes_threshold = "threshold" in inspect.signature(ema_prim.Prim.__init__).parameters
    alg = (ema_prim.Prim(x, y.astype(int), threshold=0.5, peel_alpha=0.1, mass_min=0.05) if takes_threshold
           else ema_prim.Prim(x, y.astype(int), peel_alpha=0.1, mass_min=0.05))
    box = alg.find_box()
    traj = box.peeling_trajectory
    ok = traj.index[traj["density"] >= density]
    i = int(traj.loc[ok, "coverage"].idxmax()) if len(ok) else int(traj["density"].idxmax())
    box.select(i)
    lims = box.box_lims[i]
    dims = list(_determine_restricted_dims(lims, alg.box_init))
    return {
        "limits": {d: (float(lims[d].iloc[0]), float(lims[d].iloc[1])) for d in dims},
        "coverage": float(traj.at[i, "coverage"]),
        "density": float(traj.at[i, "density"]),
        "mass": float(traj.at[i, "mass"]),
        "n_cases": int(y.sum()),
        "n_points": int(y.size),
        "bounds": {c: (float(x[c].min()), float(x[c].max())) for c in x.columns},
    }


def analyse(runs: pd.DataFrame, params: pd.DataFrame, kpis: Sequence[str], directions: Mapping[str, str] | None = None,
            recommended: str | None = None, density: float = DEFAULT_DENSITY) -> dict[str, Any]:  # fmt: skip
    """All robustness statistics from the runs (``scenario, point_index, replicate`` + KPIs) and
    the parameter sets (``point_index`` + parameters; point 0 = nominal)."""
    from experiments.analysis.statistics import kpi_direction

    means = runs.groupby(["point_index", "scenario"], sort=False)[list(kpis)].mean()
    scenarios = [str(s) for s in pd.unique(runs["scenario"])]
    rows, regrets = [], {}
    flips = []
    nominal_best: dict[str, str] = {}
    for kpi in kpis:
        direction = kpi_direction(kpi, directions)
        wide = means[kpi].unstack("scenario").reindex(columns=scenarios)
        nominal = wide.loc[0]
        ens = wide.drop(index=0, errors="ignore").dropna()
        pb = probability_best(ens, direction)
        rg = regret(ens, direction)
        regrets[kpi] = rg
        good_nom = _signed(nominal.to_frame().T, direction).iloc[0]
        nominal_best[kpi] = str(good_nom.idxmax())
        nominal_rank = good_nom.rank(ascending=False, method="min")
        best_flip, order_flip = rank_flips(ens, nominal, direction)
        flips.append({"kpi": kpi, "direction": direction, "nominal_best": nominal_best[kpi], "best_changes": best_flip,
                      "ranking_changes": order_flip, "n_parameter_sets": len(ens)})  # fmt: skip
        for s in scenarios:
            rows.append({"kpi": kpi, "scenario": s, "nominal": float(nominal[s]), "nominal_rank": int(nominal_rank[s]),
                         "ensemble_mean": float(ens[s].mean()), "p_best": float(pb[s]),
                         "expected_regret": float(rg[s].mean()), "max_regret": float(rg[s].max())})  # fmt: skip
    primary = kpis[0]
    rec = recommended or nominal_best[primary]
    if rec not in scenarios:
        raise InputError(f"recommended: {rec!r} is not a scenario; expected one of {', '.join(scenarios)}")
    ens_idx = regrets[primary].index
    loses = (regrets[primary][rec] > 0).to_numpy()
    x = params.set_index("point_index").loc[ens_idx]
    x = x.loc[:, x.nunique() > 1]
    box = prim_box(x, loses, density)
    return {"table": pd.DataFrame(rows), "flips": pd.DataFrame(flips), "regret": regrets, "recommended": rec,
            "primary": primary, "loses": pd.Series(loses, index=ens_idx), "params": x, "prim": box}  # fmt: skip
