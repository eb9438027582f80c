"""Adapters between a spec and the thing it runs: the agent-based model, or a plug-in function.

Why adapters: the engine should not care whether a run is a Mesa simulation or the Ishigami
function. An adapter (parent side) checks override paths/values and turns overrides into a
picklable *payload* plus the canonical JSON used for result keys; :func:`execute_model`
(worker side, top level, importable by name) turns a payload and a seed into KPIs.

* ``model: simulation`` -- ``simulation.load_config(base)``, ``cfg.with_overrides(dotted)``,
  ``simulation.run(cfg, seed)``; the payload is the validated config object itself, so workers
  (also remote Dask workers) never need the YAML files.
* ``model: "pkg.module:function"`` -- ``f(params: dict, seed: int) -> dict[str, float]``;
  params are ``{**f.parameters defaults, **base, **scenario overrides, **design point}`` with the
  dotted names used literally as keys. A function may return an object with ``.summary`` (and
  optionally ``.timeseries``) instead of a dict.
"""

from __future__ import annotations

import functools
import importlib
import json
import math
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from experiments.design.inputs import ABM_MODEL, read_yaml, suggest
from simulation.constraints import flat as constraint_columns
from simulation.errors import InputError


def jsonable(value: Any) -> Any:
    """Plain JSON types for numpy scalars/arrays and paths (stable canonical JSON)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return str(value)


def canonical(obj: Any) -> str:
    """Compact, key-sorted JSON: the same content always gives the same bytes."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=jsonable, ensure_ascii=False)


@functools.lru_cache(maxsize=64)
def import_function(target: str) -> Callable[..., Any]:
    """Import ``package.module:function``; a one-line InputError if that fails."""
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any import failure is a bad spec value
        raise InputError(f"model: {target!r} cannot be imported ({type(exc).__name__}: {exc}); expected 'package.module:function'") from None
    fn = getattr(module, attr, None)
    if fn is None or not callable(fn):
        names = [n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))]
        raise InputError(f"model: {target!r} has no function {attr!r}{suggest(attr, names)}")
    return fn


def _flatten(obj: Any, prefix: str = "") -> list[str]:
    out: list[str] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            p = f"{prefix}.{k}" if prefix else str(k)
            out.append(p)
            out.extend(_flatten(v, p))
    return out


class AbmAdapter:
    """The agent-based model behind ``simulation.load_config`` / ``with_overrides`` / ``run``."""

    name = ABM_MODEL

    def __init__(self, base: Path | dict[str, Any] | None):
        try:
            from simulation import load_config
        except ImportError as exc:
            raise InputError(f"model: 'simulation' cannot be imported ({exc}); expected the simulation package to be installed") from None
        self.base_config = load_config(str(base) if isinstance(base, Path) else base)
        try:
            self._paths = set(_flatten(self.base_config.model_dump(mode="json")))
        except Exception:  # noqa: BLE001 - suggestions are a nicety
            self._paths = set()

    def check_path(self, path: str, where: str) -> None:
        if self._paths and path not in self._paths:
            raise InputError(f"{where}: {path!r} is not a model parameter{suggest(path, self._paths)}")

    def check_override(self, path: str, value: Any, where: str) -> None:
        try:
            self.base_config.with_overrides({path: value})
        except InputError as exc:
            if self._paths and path not in self._paths:
                raise InputError(f"{where}: {path!r} is not a model parameter{suggest(path, self._paths)}") from None
            raise InputError(f"{where}: {exc}") from None

    def build(self, overrides: dict[str, Any]) -> tuple[str, Any]:
        cfg = self.base_config.with_overrides(dict(overrides)) if overrides else self.base_config
        return cfg.canonical_json(), cfg


class PluginAdapter:
    """A plug-in function ``f(params, seed) -> dict``; ``f.parameters`` (if any) lists valid names."""

    def __init__(self, target: str, base: Path | dict[str, Any] | None):
        self.name = target
        fn = import_function(target)
        declared = getattr(fn, "parameters", None)
        self.known: set[str] | None = set(declared) if declared is not None else None
        defaults = dict(declared) if isinstance(declared, dict) else {}
        if isinstance(base, Path):
            data = read_yaml(base, "base")
            if not isinstance(data, dict):
                raise InputError(f"base: {base.name} does not hold a mapping; expected parameter: value pairs")
            base = data
        base = dict(base or {})
        for key, value in base.items():
            self.check_override(str(key), value, where="base")
        self.base = {**defaults, **base}

    def check_override(self, path: str, value: Any, where: str) -> None:
        self.check_path(path, where)

    def check_path(self, path: str, where: str) -> None:
        if self.known is not None and path not in self.known:
            raise InputError(f"{where}: {path!r} is not a parameter of {self.name}{suggest(path, self.known)} (known: {', '.join(sorted(self.known))})")

    def build(self, overrides: dict[str, Any]) -> tuple[str, Any]:
        params = {**self.base, **overrides}
        return canonical(params), params


def make_adapter(spec: Any) -> AbmAdapter | PluginAdapter:
    """The adapter for an ``ExperimentSpec`` (cached on the spec, since loading the base config is not free).

    Typed loosely on purpose: ``experiments.design.spec`` imports this module, not the reverse.
    """
    if spec._adapter is None:
        base = spec.resolved_base()
        spec._adapter = AbmAdapter(base) if spec.is_abm else PluginAdapter(spec.model, base)
    return spec._adapter


def execute_model(model: str, payload: Any, seed: int, *, compiled_loops: bool = False,
                  daily: bool = True) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Run one model evaluation in whatever process this is; returns (KPIs, daily table or None).

    For the agent-based model, four things that do not change a KPI make a run cheaper: the
    world is shared between scenarios of one replicate (``world_cache``), no Mesa agent objects
    are made for residents (``world.agent_views: none``; nothing here reads them), and with
    ``compiled_loops`` (the engine sets it when a worker has many runs to do) the daily updates
    use the compiled loops whatever the world's size; and without ``daily`` (nobody keeps the daily
    table) the end-of-day state is computed on the last day only (``daily_state=False``)."""
    if model == ABM_MODEL:
        from simulation import kernels, run, world_cache

        from simulation.district_metrics import run_row_columns

        if payload.world.agent_views != "none":
            payload = payload.with_overrides({"world.agent_views": "none"})
        with world_cache.active(), kernels.for_all_sizes(compiled_loops):
            result = run(payload, seed=seed, daily_state=daily)
        result.summary.update(run_row_columns(result.districts))  # per-district KPIs (>1 district)
    else:
        result = import_function(model)(dict(payload), seed)
    if hasattr(result, "summary"):
        summary, table = dict(result.summary), getattr(result, "timeseries", None)
        summary.update(constraint_columns(getattr(result, "constraints", None)))
    elif isinstance(result, dict):
        summary, table = dict(result), None
    else:
        raise TypeError(f"model {model!r} returned {type(result).__name__}; expected a dict of KPIs or an object with .summary")
    clean: dict[str, Any] = {}
    for k, v in summary.items():
        if isinstance(v, np.generic):
            v = v.item()
        if not isinstance(v, (int, float, bool, str)) and v is not None:
            raise TypeError(f"KPI {k!r} is a {type(v).__name__}; expected a number")
        clean[str(k)] = v
    return clean, table if isinstance(table, pd.DataFrame) else None
