"""An EMA Workbench ``Model`` whose levers, uncertainties and outcomes come from the project's metadata.

Why: :func:`experiments.clients.ema.ema_model` needs every factor written into a spec. For "what
if every assumption were off by half?" questions the project already knows the answer to each
of the three EMA lists, so this builds them from what the project declares once:

* **levers** -- parameters under ``levers.`` in ``simulation/config.py`` (``P(...)`` fields):
  ``bool`` -> ``BooleanParameter``, ``Literal[...]`` -> ``CategoricalParameter`` of its choices,
  ``int``/``float`` -> ``IntegerParameter``/``RealParameter`` over the field's ``ge``/``le``
  bounds. ``"all"`` takes every lever that the metadata gives a finite domain; list-valued
  levers (``levers.training.content``) and open-ended amounts (costs, budgets: no upper bound)
  are left out and must be named with an explicit ``{low, high}``;
* **uncertainties** -- parameters whose source is "assumption" outside ``levers.``, over the
  range the robustness command documents for them (default x (1 -+ 0.5), clipped to the
  parameter's bounds: :func:`experiments.analysis.robustness.parameter_range`, reused, not
  copied). ``"assumptions"`` takes every numeric one that has such a range, except run control
  and model size (``run.*``, ``world.n_residents``, ... -- :data:`NOT_UNCERTAIN`): how long and
  how large a run is is the experimenter's choice, not an uncertainty about the world;
* **outcomes** -- KPIs (default: the report's headline KPIs,
  :data:`experiments.reporting.report.DEFAULT_HEADLINE_KPIS`), ``MINIMIZE``/``MAXIMIZE`` where
  the project's KPI directions know which way is better
  (:func:`experiments.analysis.statistics.known_direction`), ``INFO`` otherwise.

The function is the same picklable, fixed-seed :class:`experiments.clients.ema.SpecFunction`
as the spec-built model's, so ``SequentialEvaluator`` and ``MultiprocessingEvaluator`` agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from experiments.analysis.robustness import _bounds, parameter_field, parameter_range
from experiments.analysis.statistics import known_direction
from experiments.clients.ema import SpecFunction, ema_name
from experiments.design.models import make_adapter
from experiments.design.seeding import replicate_seed
from experiments.design.spec import ExperimentSpec, load_spec
from experiments.reporting.report import DEFAULT_HEADLINE_KPIS
from simulation.config import get_dotted, parameter_table
from simulation.errors import InputError

NOT_UNCERTAIN: tuple[str, ...] = (
    "run.",
    "world.n_residents",
    "world.scale",
    "world.n_districts",
    "world.communities_per_district",
    "world.places_per_community",
)
"""Assumption parameters (or prefixes) that ``uncertainties="assumptions"`` leaves out: run
control and model size."""

DEFAULT_OUTCOMES: tuple[str, ...] = tuple(slot[0] for slot in DEFAULT_HEADLINE_KPIS)
"""The report's headline KPIs (the first name of each headline slot, as the runs table has them)."""

Range = Mapping[str, float] | None
Selection = str | Sequence[str] | Mapping[str, Range]


def _domain(ema: Any, path: str, where: str, given: Range, base: Any, uncertain: bool) -> Any:
    """One EMA parameter for a dotted config path, from its metadata (or an explicit {low, high})."""
    try:
        field = parameter_field(path)
    except InputError:
        raise InputError(f"{where}: {path!r} is not a model parameter; see `safetysim params`") from None
    ann, name = field.annotation, ema_name(path)
    if not uncertain and not given and ann is bool:
        return ema.BooleanParameter(name)
    if not uncertain and not given and get_origin(ann) is Literal:
        return ema.CategoricalParameter(name, list(get_args(ann)))
    if ann not in (int, float):
        expected = "a number" if uncertain else "a bool, a choice or a number"
        raise InputError(f"{where}.{path}: a {getattr(ann, '__name__', ann)} parameter; expected {expected}")
    if uncertain or given:  # the robustness command's documented default range, or the one given, checked as it does
        try:
            lo, hi, _ = parameter_range(path, given, float(base))
        except InputError as exc:
            raise InputError(str(exc).replace("ensemble.lhs.parameters.", f"{where}.", 1)) from None
    else:
        lo, hi = _bounds(field)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise InputError(f"{where}.{path}: no upper or lower bound in its metadata; expected an explicit {{low: number, high: number}}")
    if ann is int:
        lo_i, hi_i = math.ceil(lo), math.floor(hi)
        if not lo_i < hi_i:
            raise InputError(f"{where}.{path}: [{lo:g}, {hi:g}] holds no two integers; expected an explicit {{low, high}}")
        return ema.IntegerParameter(name, lo_i, hi_i)
    return ema.RealParameter(name, float(lo), float(hi))


def _selected(selection: Selection, every: list[str]) -> dict[str, Range]:
    if isinstance(selection, str):
        return {p: None for p in every}
    if isinstance(selection, Mapping):
        return {str(k): v for k, v in selection.items()}
    return {str(p): None for p in selection}


def _lever_paths() -> list[str]:
    return [r["path"] for r in parameter_table() if r["path"].startswith("levers.")]


def _assumption_paths() -> list[str]:
    return [r["path"] for r in parameter_table()
            if r["source"].startswith("assumption") and not r["path"].startswith("levers.")
            and not any(r["path"] == x or (x.endswith(".") and r["path"].startswith(x)) for x in NOT_UNCERTAIN)]


def _build(ema: Any, selection: Selection, every: list[str], keyword: str, where: str, base_cfg: Any, uncertain: bool) -> list[Any]:
    if isinstance(selection, str) and selection != keyword:
        raise InputError(f"{where}: {selection!r} is not allowed; expected {keyword!r}, a list of dotted paths or path -> {{low, high}}")
    out = []
    for path, given in _selected(selection, every).items():
        if where == "levers" and not path.startswith("levers."):
            raise InputError(f"levers: {path!r} is not under levers.; expected a lever (other parameters are uncertainties)")
        if where == "uncertainties" and path.startswith("levers."):
            raise InputError(f"uncertainties: {path!r} is a lever; expected a parameter outside levers.")
        try:
            base = get_dotted(base_cfg, path)
        except AttributeError:
            raise InputError(f"{where}: {path!r} is not a model parameter; see `safetysim params`") from None
        try:
            out.append(_domain(ema, path, where, given, base, uncertain))
        except InputError:
            if isinstance(selection, str):
                continue  # "all"/"assumptions": only what the metadata gives a domain
            raise
    return out  # an explicit [] is allowed: no levers (or no uncertainties) to sample


def ema_model_from_metadata(
    spec: ExperimentSpec | str | Path | dict[str, Any] | None = None,
    *,
    levers: Selection = "all",
    uncertainties: Selection = "assumptions",
    outcomes: Sequence[str] | None = None,
    directions: Mapping[str, str] | None = None,
    name: str = "safetysim",
    replicate: int = 0,
) -> Any:
    """An ``ema_workbench.Model`` of the project's model, its lists taken from the metadata.

    ``spec`` gives the base config, seed and (at most one) fixed scenario: an experiment spec
    (object, YAML path or mapping, e.g. ``{"base": "configs/baseline.yaml", "root_seed": 7}``;
    its design is not used) or None for the bundled baseline. ``levers``: ``"all"`` or dotted
    paths (a list, possibly empty, or a mapping to ``{low, high}``/None); ``uncertainties``: ``"assumptions"``
    or the same; ``outcomes``: KPI names (default :data:`DEFAULT_OUTCOMES`); ``directions``
    overrides KPI directions (``lower``/``higher``) as in the compare spec.
    """
    import ema_workbench as ema

    if not isinstance(spec, ExperimentSpec):
        spec = load_spec(spec if spec is not None else {})
    if not spec.is_abm:
        raise InputError(f"model: {spec.model!r} has no parameter metadata; expected the project's model (use ema_model(spec) for a plug-in)")
    kpis = list(outcomes) if outcomes is not None else list(DEFAULT_OUTCOMES)
    if not kpis:
        raise InputError("outcomes: [] is empty; expected KPI names")
    fn = SpecFunction(spec, kpis, replicate_seed(spec.root_seed, replicate), {})
    base_cfg = make_adapter(spec).build(fn.fixed)[1]

    model = ema.Model(name, function=fn)
    model.levers = _build(ema, levers, _lever_paths(), "all", "levers", base_cfg, uncertain=False)
    model.uncertainties = _build(ema, uncertainties, _assumption_paths(), "assumptions", "uncertainties", base_cfg, uncertain=True)
    fn.paths = {p.name: p.name.replace("__", ".") for p in [*model.levers, *model.uncertainties]}
    kind = {"lower": ema.ScalarOutcome.MINIMIZE, "higher": ema.ScalarOutcome.MAXIMIZE, None: ema.ScalarOutcome.INFO}
    model.outcomes = [ema.ScalarOutcome(k, kind=kind[known_direction(k, directions)]) for k in kpis]
    return model
