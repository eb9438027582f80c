"""Budget matching: set one lever per scenario so that every scenario spends the same per year.

Paths differ in what they cost at their nominal settings, so comparing them there mixes "which
path" with "how much money".  Here each scenario names a *knob* — one numeric lever setting that
scales its spending (training coverage, publicity intensity, incentive budget, meetings per
year) — and the knob is set by bisection so that the scenario's ``spending_cny_per_year`` on the
base config and the root seed is within a tolerance of the target.  Spending rises with each
knob, which bisection relies on; a target outside the knob's range is an input error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulation.config import ModelConfig, get_dotted
from simulation.errors import InputError
from simulation.runner import run


@dataclass
class Knob:
    path: str
    low: float
    high: float


@dataclass
class Matched:
    scenario: str
    knob: str
    value: float
    spending_cny_per_year: float


def parse_budget_match(spec: Any, scenario_names: list[str]) -> tuple[float, dict[str, Knob], float]:
    if not isinstance(spec, dict):
        raise InputError("budget_match: expected a mapping with target_cny_per_year and knobs")
    unknown = set(spec) - {"target_cny_per_year", "knobs", "tolerance"}
    if unknown:
        raise InputError(f"budget_match.{sorted(unknown)[0]}: unknown key; expected target_cny_per_year, knobs, tolerance")
    target = spec.get("target_cny_per_year")
    if not isinstance(target, (int, float)) or target <= 0:
        raise InputError(f"budget_match.target_cny_per_year: {target!r} is not allowed; expected a number > 0")
    tol = spec.get("tolerance", 0.02)
    if not isinstance(tol, (int, float)) or not 0 < tol < 1:
        raise InputError(f"budget_match.tolerance: {tol!r} is not allowed; expected a share between 0 and 1")
    knobs: dict[str, Knob] = {}
    for name, k in (spec.get("knobs") or {}).items():
        if name not in scenario_names:
            raise InputError(f"budget_match.knobs.{name}: not a scenario; expected one of {', '.join(scenario_names)}")
        if not isinstance(k, dict) or set(k) != {"path", "low", "high"}:
            raise InputError(f"budget_match.knobs.{name}: {k!r} is not allowed; expected {{path, low, high}}")
        if not k["low"] < k["high"]:
            raise InputError(f"budget_match.knobs.{name}: low {k['low']} must be below high {k['high']}")
        knobs[name] = Knob(str(k["path"]), float(k["low"]), float(k["high"]))
    if not knobs:
        raise InputError("budget_match.knobs: empty; expected scenario -> {path, low, high}")
    return float(target), knobs, float(tol)


def _spending(cfg: ModelConfig, overrides: dict[str, Any], seed: int) -> float:
    return float(run(cfg.with_overrides(overrides), seed=seed).summary["spending_cny_per_year"])


def match_one(cfg: ModelConfig, overrides: dict[str, Any], knob: Knob, target: float, seed: int,
              tol: float, max_iter: int = 20) -> tuple[float, float]:
    """The knob value whose spending is within ``tol`` of ``target`` (bisection), and that spending."""
    is_int = isinstance(get_dotted(cfg.with_overrides(overrides), knob.path), int)
    cast = (lambda v: int(round(v))) if is_int else float
    lo, hi = knob.low, knob.high
    s_lo = _spending(cfg, {**overrides, knob.path: cast(lo)}, seed)
    s_hi = _spending(cfg, {**overrides, knob.path: cast(hi)}, seed)
    if not s_lo <= target <= s_hi:
        raise InputError(f"budget_match: target {target:,.0f} CNY/yr is outside what {knob.path} in [{lo:g}, {hi:g}] "
                         f"buys ({s_lo:,.0f} to {s_hi:,.0f}); widen the range or change the target")
    best = min(((abs(s_lo - target), cast(lo), s_lo), (abs(s_hi - target), cast(hi), s_hi)))
    for _ in range(max_iter):
        if best[0] <= tol * target or (is_int and hi - lo <= 1):
            break
        mid = (lo + hi) / 2
        s = _spending(cfg, {**overrides, knob.path: cast(mid)}, seed)
        best = min(best, (abs(s - target), cast(mid), s))
        lo, hi = (mid, hi) if s < target else (lo, mid)
    return best[1], best[2]


def match_budgets(cfg: ModelConfig, scenarios: list[tuple[str, dict[str, Any]]], spec: Any, seed: int,
                  progress=None) -> tuple[list[tuple[str, dict[str, Any]]], list[Matched], float]:
    target, knobs, tol = parse_budget_match(spec, [n for n, _ in scenarios])
    out, table = [], []
    for name, overrides in scenarios:
        if name in knobs:
            value, spent = match_one(cfg, overrides, knobs[name], target, seed, tol)
            overrides = {**overrides, knobs[name].path: value}
            table.append(Matched(name, knobs[name].path, value, spent))
            if progress:
                progress(name)
        out.append((name, overrides))
    return out, table, target
