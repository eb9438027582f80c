"""Experiment specs: one strict YAML file says what to run, how often, with which seeds and where.

Why a separate, strict schema: an experiment may run for hours; a typo in a factor name or a
swapped ``low``/``high`` must fail in the first second with one clear line, not after the sweep.
So every mapping forbids unknown keys (with a "did you mean" suggestion), and cross-field rules
(a grid needs ``values``, a Sobol design needs ``low``/``high`` and a power-of-two ``n``) are
checked here too. Checks that need the model (is ``levers.training.coverage`` a real config
path? is ``1.5`` allowed there?) happen in :func:`check_spec`, which ``load_spec`` calls.

Example (grid sweep of the agent-based model)::

    name: incentives_x_training
    base: baseline.yaml                # relative to this file; or an inline mapping; or omitted
    design:
      kind: grid
      factors:
        levers.incentives.budget_cny_per_year: {values: [0, 500000, 1000000]}
        levers.training.coverage: {values: [0.0, 0.3, 0.6]}
    replicates: 5
    root_seed: 20240501
    outputs: {kpis: all, daily: false}
    executor: {kind: process, workers: 2}

Every error is a :class:`simulation.errors.InputError` with ONE line naming the field path, the
bad value and what is allowed.
"""

from __future__ import annotations

import hashlib
import json
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from experiments.design.inputs import ABM_MODEL, read_spec_mapping, read_yaml, suggest
from experiments.design.models import make_adapter
from simulation.errors import InputError

PosInt = Annotated[int, Field(strict=True, ge=1)]
NonNegInt = Annotated[int, Field(strict=True, ge=0)]

DESIGN_KINDS = ("explicit", "grid", "lhs", "sobol", "morris")
SAMPLED_KINDS = ("lhs", "sobol", "morris")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FactorSpec(_Strict):
    """One factor: a list of ``values`` (grid/explicit), a range ``low``..``high`` or discrete ``levels`` (sampled)."""

    values: list[Any] | None = None
    low: float | None = None
    high: float | None = None
    kind: Literal["float", "int"] | None = None
    levels: list[Any] | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None or self.high is not None

    @property
    def value_kind(self) -> str:
        return self.kind or "float"


class DesignSpec(_Strict):
    """How design points are generated: explicit list, full grid, LHS, Sobol (Saltelli) or Morris."""

    kind: Literal["explicit", "grid", "lhs", "sobol", "morris"]
    factors: dict[str, FactorSpec] = Field(default_factory=dict)
    points: list[dict[str, Any]] | None = None
    n: PosInt | None = Field(default=None, validation_alias=AliasChoices("n", "samples"))
    calc_second_order: bool = False
    num_levels: PosInt = 4
    seed: NonNegInt | None = None


class OutputsSpec(_Strict):
    """What each run stores: which end-of-run KPIs ("all" = whatever the model reports) and daily series."""

    kpis: list[str] | Literal["all"] = "all"
    daily: bool = False


class ExecutorSpec(_Strict):
    """Where runs execute: in-process, a local process pool, or Dask (local cluster or a scheduler address)."""

    kind: Literal["inline", "process", "dask"] = "process"
    workers: PosInt | None = None
    scheduler: str | None = None


class ObjectiveSpec(_Strict):
    """What optimisation aims at: one KPI, or a weighted sum of KPI means."""

    kpi: str | None = None
    weights: dict[str, float] | None = None
    direction: Literal["maximize", "minimize"] = "minimize"


class BudgetSpec(_Strict):
    """Budget cap (CNY/year) on a KPI of the runs, or on an ex-ante estimate from a ``module:function``."""

    max_cny_per_year: float = Field(gt=0)
    kpi: str = "spending_cny_per_year"
    estimate: str | None = None


class OptimizeSpec(_Strict):
    """Budget-constrained lever search with Optuna (TPE), ``replicates`` seeded runs per trial."""

    objective: ObjectiveSpec
    space: dict[str, FactorSpec]
    budget: BudgetSpec | None = None
    n_trials: PosInt = 30
    n_startup_trials: PosInt | None = None
    seed: NonNegInt | None = None


class ExperimentSpec(_Strict):
    """A whole experiment. See the module docstring for an example."""

    name: str | None = None
    description: str | None = None
    model: str = ABM_MODEL
    base: Union[str, dict[str, Any], None] = None
    scenarios: dict[str, Union[dict[str, Any], str]] | None = None
    reference: str | None = None  # the scenario others are compared against (compare command)
    design: DesignSpec | None = None
    replicates: PosInt = 1
    root_seed: NonNegInt = 0
    seeds: Literal["common", "independent"] = "common"
    outputs: OutputsSpec = Field(default_factory=OutputsSpec)
    executor: ExecutorSpec = Field(default_factory=ExecutorSpec)
    optimize: OptimizeSpec | None = None

    _source: Path | None = PrivateAttr(default=None)
    _adapter: Any = PrivateAttr(default=None)  # cached experiments.design.models adapter

    # -- locations -------------------------------------------------------------------------
    @property
    def source(self) -> Path | None:
        """The spec file this came from (None for specs built in code)."""
        return self._source

    @property
    def folder(self) -> Path:
        """Folder that relative paths in the spec are resolved against."""
        return self._source.parent if self._source is not None else Path.cwd()

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        return self._source.stem if self._source is not None else "experiment"

    @property
    def is_abm(self) -> bool:
        return self.model == ABM_MODEL

    def resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.folder / p)

    def resolved_base(self) -> Path | dict[str, Any] | None:
        """``base`` as an absolute path (checked to exist), an inline mapping, or None."""
        if self.base is None or isinstance(self.base, dict):
            return self.base
        p = self.resolve(self.base)
        if not p.is_file():
            raise InputError(f"base: {self.base!r} not found (looked for {p}); expected a model config YAML file")
        return p

    def resolved_scenarios(self) -> list[tuple[str, dict[str, Any]]]:
        """Scenario (name, overrides) pairs; a string value is a YAML file of dotted overrides."""
        out: list[tuple[str, dict[str, Any]]] = []
        for name, value in (self.scenarios or {}).items():
            if isinstance(value, str):
                data = read_yaml(self.resolve(value), f"scenarios.{name}")
                if not isinstance(data, dict):
                    raise InputError(f"scenarios.{name}: {value!r} does not hold a mapping; expected dotted-path overrides")
                value = data
            out.append((str(name), dict(value)))
        return out

    def with_source(self, source: Path | None) -> ExperimentSpec:
        self._source = None if source is None else Path(source).resolve()
        return self

    def spec_hash(self) -> str:
        """sha256 of the spec's canonical JSON (recorded in the manifest)."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# Loading


def load_spec(source: str | Path | dict[str, Any], *, check_model: bool = True) -> ExperimentSpec:
    """Read, validate and (by default) check a spec against the model; raise one-line InputErrors.

    ``source`` is a YAML file path or an already-parsed mapping (relative paths in a mapping are
    resolved against the current directory).
    """
    data, path = read_spec_mapping(source, "design/scenarios, replicates, ...")
    try:
        spec = ExperimentSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(_format_validation_error(exc)) from None
    spec.with_source(path)
    check_structure(spec)
    if check_model:
        check_spec(spec)
    return spec


def build_spec(data: dict[str, Any], *, folder: Path | None = None, check_model: bool = True) -> ExperimentSpec:
    """A spec built in code (e.g. by ``compare``); relative paths resolve against ``folder``."""
    spec = load_spec(data, check_model=False)
    if folder is not None:
        spec.with_source(Path(folder) / "<inline>.yaml")
    if check_model:
        check_spec(spec)
    return spec


# ---------------------------------------------------------------------------------------------
# Cross-field checks that need no model


def _fpath(prefix: str, name: str) -> str:
    return f"{prefix}[{name}]" if "." in name else f"{prefix}.{name}"


def _check_factor(where: str, f: FactorSpec, allowed: tuple[str, ...]) -> None:
    """``allowed`` lists the accepted forms: "values", "range", "levels"."""
    forms = [name for name, present in (("values", f.values is not None), ("range", f.is_range), ("levels", f.levels is not None)) if present]
    wanted = " or ".join({"values": "values: [...]", "range": "low/high", "levels": "levels: [...]"}[a] for a in allowed)
    if len(forms) != 1:
        got = ", ".join(forms) if forms else "nothing"
        raise InputError(f"{where}: has {got}; expected exactly one of {wanted}")
    form = forms[0]
    if form not in allowed:
        raise InputError(f"{where}: {form} is not allowed for this design; expected {wanted}")
    if f.kind is not None and form != "range":
        raise InputError(f"{where}.kind: {f.kind!r} is only used with low/high; remove it")
    if form in ("values", "levels"):
        seq = f.values if form == "values" else f.levels
        if not seq:
            raise InputError(f"{where}.{form}: [] is empty; expected at least one value")
        return
    if f.low is None or f.high is None:
        missing = "low" if f.low is None else "high"
        raise InputError(f"{where}.{missing}: missing; a range needs both low and high")
    if not f.low < f.high:
        raise InputError(f"{where}: low={f.low:g}, high={f.high:g} is an empty range; expected low < high")
    if f.value_kind == "int" and (f.low != int(f.low) or f.high != int(f.high)):
        raise InputError(f"{where}: low={f.low:g}, high={f.high:g} are not integers; expected whole numbers for kind int")


def check_structure(spec: ExperimentSpec) -> None:
    """Rules across fields that pydantic types cannot express (no model needed)."""
    d = spec.design
    if d is not None:
        if d.kind in ("grid", "explicit"):
            if d.kind == "explicit" and d.points is not None:
                if d.factors:
                    raise InputError("design: has both points and factors; expected one of them for kind explicit")
                if not d.points:
                    raise InputError("design.points: [] is empty; expected at least one point")
            elif not d.factors:
                raise InputError(f"design.factors: {{}} is empty; expected at least one factor for kind {d.kind}")
            for name, f in d.factors.items():
                _check_factor(_fpath("design.factors", name), f, ("values",))
            if d.kind == "explicit" and d.factors:
                lengths = {name: len(f.values or []) for name, f in d.factors.items()}
                if len(set(lengths.values())) > 1:
                    desc = ", ".join(f"{k}={v}" for k, v in lengths.items())
                    raise InputError(f"design.factors: value lists differ in length ({desc}); expected equal lengths for kind explicit (zipped)")
            if d.n is not None:
                raise InputError(f"design.n: {d.n} is not used by kind {d.kind}; remove it")
        else:
            if d.points is not None:
                raise InputError(f"design.points: only allowed for kind explicit, not {d.kind}")
            if not d.factors:
                raise InputError(f"design.factors: {{}} is empty; expected at least one factor for kind {d.kind}")
            for name, f in d.factors.items():
                _check_factor(_fpath("design.factors", name), f, ("range", "levels"))
            if d.n is None:
                raise InputError(f"design.n: missing; kind {d.kind} needs a sample size n")
            if d.kind == "sobol" and d.n & (d.n - 1):
                lower = 1 << (d.n.bit_length() - 1)
                raise InputError(f"design.n: {d.n} is not allowed for sobol; expected a power of 2 (e.g. {lower} or {lower * 2})")
            if d.kind == "morris" and d.num_levels < 2:
                raise InputError(f"design.num_levels: {d.num_levels} is not allowed; expected >= 2")
            if d.kind in ("sobol", "morris") and len(d.factors) < 2:
                raise InputError(f"design.factors: has {len(d.factors)} factor; expected at least 2 for kind {d.kind}")
    if spec.reference is not None and spec.reference not in (spec.scenarios or {}):
        names = list(spec.scenarios or {})
        raise InputError(f"reference: {spec.reference!r} is not a scenario{suggest(spec.reference, names)}; expected one of {', '.join(names) or '(no scenarios defined)'}")
    for name in (spec.scenarios or {}):
        if not str(name).strip():
            raise InputError("scenarios: '' is not allowed; expected a non-empty scenario name")
    if spec.outputs.kpis != "all" and not spec.outputs.kpis:
        raise InputError("outputs.kpis: [] is empty; expected a list of KPI names or 'all'")
    ex = spec.executor
    if ex.scheduler is not None and ex.kind != "dask":
        raise InputError(f"executor.scheduler: {ex.scheduler!r} is only used with kind dask, not {ex.kind!r}")
    if ex.scheduler is not None and "://" not in ex.scheduler:
        raise InputError(f"executor.scheduler: {ex.scheduler!r} is not an address; expected e.g. tcp://HOST:8786")
    if spec.model != ABM_MODEL and (":" not in spec.model or spec.model.count(":") != 1):
        raise InputError(f"model: {spec.model!r} is not allowed; expected 'simulation' or 'package.module:function'")
    opt = spec.optimize
    if opt is not None:
        o = opt.objective
        if (o.kpi is None) == (o.weights is None):
            raise InputError("optimize.objective: expected exactly one of kpi or weights")
        if o.weights is not None and not o.weights:
            raise InputError("optimize.objective.weights: {} is empty; expected KPI: weight pairs")
        if not opt.space:
            raise InputError("optimize.space: {} is empty; expected at least one lever with low/high or levels")
        for name, f in opt.space.items():
            _check_factor(_fpath("optimize.space", name), f, ("range", "levels"))
        if opt.budget is not None and opt.budget.estimate is not None and opt.budget.estimate.count(":") != 1:
            raise InputError(f"optimize.budget.estimate: {opt.budget.estimate!r} is not allowed; expected 'package.module:function'")


def check_spec(spec: ExperimentSpec) -> None:
    """Check factor paths, scenario overrides and values against the model (one-line InputErrors)."""
    adapter = make_adapter(spec)
    for name, overrides in spec.resolved_scenarios():
        for path, value in overrides.items():
            adapter.check_override(path, value, where=f"scenarios.{name}")
    d = spec.design
    if d is not None:
        if d.points is not None:
            for i, point in enumerate(d.points):
                for path, value in point.items():
                    adapter.check_override(path, value, where=f"design.points[{i}]")
        for name, f in d.factors.items():
            _check_factor_values(adapter, _fpath("design.factors", name), name, f)
    if spec.optimize is not None:
        for name, f in spec.optimize.space.items():
            _check_factor_values(adapter, _fpath("optimize.space", name), name, f)


def _check_factor_values(adapter: Any, where: str, path: str, f: FactorSpec) -> None:
    adapter.check_path(path, where)
    if f.values is not None:
        for i, v in enumerate(f.values):
            adapter.check_override(path, v, where=f"{where}.values[{i}]")
    elif f.levels is not None:
        for i, v in enumerate(f.levels):
            adapter.check_override(path, v, where=f"{where}.levels[{i}]")
    else:
        cast = int if f.value_kind == "int" else float
        adapter.check_override(path, cast(f.low), where=f"{where}.low")
        adapter.check_override(path, cast(f.high), where=f"{where}.high")


# ---------------------------------------------------------------------------------------------
# Pydantic errors -> one line


def _unwrap(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        arms: list[Any] = []
        for a in typing.get_args(tp):
            if a is not type(None):
                arms.extend(_unwrap(a))
        return arms
    return [tp]


def _arm_for_tag(tag: str, arms: list[Any]) -> list[Any]:
    """The union arm a pydantic error tag such as 'str', 'dict[str,any]' or 'list[str]' refers to."""
    for arm in arms:
        origin = typing.get_origin(arm)
        if origin is not None and tag.startswith(getattr(origin, "__name__", str(origin)) + "["):
            return [arm]
        if isinstance(arm, type) and tag == arm.__name__:
            return [arm]
    return []


def _walk(loc: tuple[Any, ...], root: type[BaseModel] | None = None) -> tuple[str, Any]:
    """Format a pydantic ``loc`` as a field path and return the type found at its end.

    Union arms show up in ``loc`` as tags ('str', 'dict[str,any]', ...): they are skipped.
    """
    parts: list[str] = []
    current: list[Any] = [root or ExperimentSpec]
    for item in loc:
        if len(current) > 1 and isinstance(item, str):
            current = _arm_for_tag(item, current)
            continue
        nxt: list[Any] | None = None
        for tp in current:
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                field = tp.model_fields.get(str(item))
                if field is None:
                    for fname, finfo in tp.model_fields.items():
                        alias = finfo.validation_alias
                        if isinstance(alias, AliasChoices) and item in alias.choices:
                            field = finfo
                            item = fname
                            break
                if field is not None:
                    parts.append(f".{item}" if parts else str(item))
                    nxt = _unwrap(field.annotation)
                    break
            origin = typing.get_origin(tp)
            if origin is dict and isinstance(item, str):
                parts.append(f"[{item}]" if "." in item else f".{item}")
                nxt = _unwrap(typing.get_args(tp)[1])
                break
            if origin is list and isinstance(item, int):
                parts.append(f"[{item}]")
                nxt = _unwrap(typing.get_args(tp)[0])
                break
        if nxt is None:
            parts.append(f"[{item}]" if isinstance(item, int) else (f".{item}" if parts else str(item)))
            current = []
        else:
            current = nxt
    return "".join(parts) or "spec", current


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _format_validation_error(exc: ValidationError, root: type[BaseModel] | None = None) -> str:
    """One line for the first pydantic error; ``root`` is the schema validated (default: ExperimentSpec)."""
    errors = exc.errors()
    err = errors[0]
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        parent_path, parent_types = _walk(loc[:-1], root)
        key = str(loc[-1])
        allowed: list[str] = []
        for tp in parent_types:
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                allowed = list(tp.model_fields)
        path = f"{parent_path}.{key}" if loc[:-1] else key
        hint = suggest(key, allowed)
        listing = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"{path}: unknown key{hint}{listing}"
    path, _ = _walk(loc, root)
    if err["type"] == "missing":
        return f"{path}: missing; this field is required"
    # A value that fits no arm of a union gives one error per arm: say what each arm wanted.
    wanted: list[str] = []
    for e in errors:
        if _walk(tuple(e["loc"]), root)[0] == path and e["type"] not in ("missing", "extra_forbidden"):
            w = _expected(e)
            if w not in wanted:
                wanted.append(w)
    return f"{path}: {_short(err.get('input'))} is not allowed; expected {' or '.join(wanted)}"


def _expected(err: Any) -> str:
    ctx = err.get("ctx") or {}
    etype = err["type"]
    if etype == "literal_error":
        return "one of " + str(ctx.get("expected", "")).replace("' or '", "', '")
    bounds = {"greater_than_equal": (">=", "ge"), "greater_than": (">", "gt"), "less_than_equal": ("<=", "le"), "less_than": ("<", "lt")}
    if etype in bounds:
        op, key = bounds[etype]
        return f"a value {op} {ctx.get(key)}"
    msg = str(err.get("msg", "a valid value")).rstrip(".")
    msg = msg[0].lower() + msg[1:] if msg else msg
    return msg.replace("input should be ", "").replace("value error, ", "")
