"""An EMA Workbench ``Model`` built from a project spec.

Why: EMA Workbench (exploratory modelling, scenario discovery, MORDM) is the usual tool for
"many plausible futures x many policies". Rather than re-declare every factor by hand, this
builds the EMA model from the spec the project already validates:

* every factor under ``design.factors`` and ``optimize.space`` becomes an EMA parameter --
  config paths under ``levers.`` are **levers** (what a decision maker sets), all others are
  **uncertainties**; ``low``/``high`` -> ``RealParameter`` (``IntegerParameter`` for
  ``kind: int``), ``levels``/``values`` -> ``CategoricalParameter``;
* outcomes are ``outputs.kpis`` (or ``kpis=``), ``MAXIMIZE``/``MINIMIZE`` for the optimize
  objective's KPI, ``INFO`` otherwise;
* the function runs the spec's model through the same adapter and worker entry point as the
  engine (:func:`experiments.design.models.execute_model`), with the spec's scenario overrides
  held fixed and a fixed seed, so it is deterministic and picklable: the same experiments give
  the same outcomes on ``SequentialEvaluator`` and ``MultiprocessingEvaluator``.

EMA names must be Python identifiers, so a dotted path is named with ``__`` for ``.`` (the
model's own keyword convention: ``levers__training__coverage``). Install with ``pip install ema_workbench`` (3.x
needs Python >= 3.12; 2.5 works on 3.11 with the same calls).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from experiments.design.models import execute_model, make_adapter
from experiments.design.seeding import replicate_seed
from experiments.design.spec import ExperimentSpec, FactorSpec, load_spec
from simulation.errors import InputError


class SpecFunction:
    """``f(**params) -> {kpi: value}`` for EMA: one run of the spec's model (picklable, deterministic)."""

    def __init__(self, spec: ExperimentSpec, outcomes: list[str], seed: int, paths: dict[str, str]):
        adapter = make_adapter(spec)
        scenarios = spec.resolved_scenarios()
        if len(scenarios) > 1:
            raise InputError(f"scenarios: {len(scenarios)} scenarios given; an EMA model takes at most one (its overrides are held fixed)")
        self.fixed = dict(scenarios[0][1]) if scenarios else {}
        self.model = adapter.name
        self._adapter = adapter
        self.outcomes = list(outcomes)
        self.seed = int(seed)
        self.paths = dict(paths)  # EMA name -> spec path

    def __call__(self, **params: Any) -> dict[str, Any]:
        # EMA samples numpy scalars (np.int64, np.bool_); the config takes Python values.
        overrides = {self.paths.get(k, k): v.item() if hasattr(v, "item") else v for k, v in params.items()}
        _, payload = self._adapter.build({**self.fixed, **overrides})
        kpis, _ = execute_model(self.model, payload, self.seed, daily=False)
        missing = [name for name in self.outcomes if name not in kpis]
        if missing:
            raise InputError(f"outcomes: {missing[0]!r} is not a KPI of {self.model}; expected one of {', '.join(sorted(kpis))}")
        return {name: kpis[name] for name in self.outcomes}


def ema_name(path: str) -> str:
    """The EMA parameter name of a spec path (``levers.training.coverage`` -> ``levers__training__coverage``)."""
    return path.replace(".", "__")


def _parameter(ema: Any, path: str, f: FactorSpec) -> Any:
    name = ema_name(path)
    if f.is_range:
        if f.value_kind == "int":
            return ema.IntegerParameter(name, int(f.low), int(f.high))
        return ema.RealParameter(name, float(f.low), float(f.high))
    choices = f.levels if f.levels is not None else f.values
    return ema.CategoricalParameter(name, list(choices))


def ema_model(spec: ExperimentSpec | str | Path, *, kpis: list[str] | None = None, name: str | None = None, replicate: int = 0) -> Any:
    """An ``ema_workbench.Model`` for ``spec`` (a spec object or YAML path); see the module docstring."""
    import ema_workbench as ema

    if not isinstance(spec, ExperimentSpec):
        spec = load_spec(spec)
    factors: dict[str, FactorSpec] = {}
    if spec.design is not None:
        factors.update(spec.design.factors)
    if spec.optimize is not None:
        factors.update(spec.optimize.space)
    if not factors:
        raise InputError("design.factors: {} is empty; expected factors (or optimize.space) to become EMA levers/uncertainties")
    outcomes = kpis or (spec.outputs.kpis if spec.outputs.kpis != "all" else None)
    if not outcomes:
        raise InputError("outputs.kpis: 'all' cannot name EMA outcomes; expected a list of KPIs (or pass kpis=[...])")
    direction: dict[str, Any] = {}
    if spec.optimize is not None and spec.optimize.objective.kpi:
        kind = ema.ScalarOutcome.MAXIMIZE if spec.optimize.objective.direction == "maximize" else ema.ScalarOutcome.MINIMIZE
        direction[spec.optimize.objective.kpi] = kind

    fn = SpecFunction(spec, list(outcomes), replicate_seed(spec.root_seed, replicate), {ema_name(n): n for n in factors})
    model = ema.Model(name or "".join(c for c in spec.display_name if c.isalnum()) or "safetysim", function=fn)
    model.uncertainties = [_parameter(ema, n, f) for n, f in factors.items() if not n.startswith("levers.")]
    model.levers = [_parameter(ema, n, f) for n, f in factors.items() if n.startswith("levers.")]
    model.outcomes = [ema.ScalarOutcome(k, kind=direction.get(k, ema.ScalarOutcome.INFO)) for k in outcomes]
    return model
