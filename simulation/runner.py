"""Run one model from a config and get its results: the plain Python API.

``run(config_or_path_or_dict, seed=...)`` returns a :class:`RunResult` with the daily
``timeseries`` (pandas) and the end-of-run ``summary`` (dict).  ``evaluate(**params)`` is the
picklable top-level function for external exploratory-modelling and sensitivity tools.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from simulation.config import ModelConfig, load_config
from simulation.constraints import binding_constraints
from simulation.district_metrics import district_table
from simulation.model import CommunitySafetyModel, keyword_overrides


@dataclass
class RunResult:
    config: ModelConfig
    seed: int
    summary: dict[str, Any]
    timeseries: pd.DataFrame
    wall_seconds: float
    build_seconds: float
    model: CommunitySafetyModel | None = field(default=None, repr=False)
    constraints: list[dict[str, Any]] = field(default_factory=list)  # simulation.constraints, as dicts
    districts: pd.DataFrame | None = None  # one row per district (simulation/district_metrics.py)


def run(config: ModelConfig | str | dict | None = None, seed: int | None = None, *, days: int | None = None,
        overrides: dict[str, Any] | None = None, progress: Callable[[], None] | None = None,
        keep_model: bool = False, daily_state: bool = True) -> RunResult:
    """Run one simulation. ``seed`` defaults to ``config.run.seed``; ``days`` overrides ``run.days``.

    ``daily_state=False``: the daily table has the end-of-day state on the last day only (see
    :class:`CommunitySafetyModel`); the summary is unchanged."""
    cfg = load_config(config)
    if overrides:
        cfg = cfg.with_overrides(overrides)
    if days is not None:
        cfg = cfg.with_overrides({"run.days": days})
    seed = cfg.run.seed if seed is None else int(seed)
    t0 = time.perf_counter()
    model = CommunitySafetyModel(cfg, seed=seed, daily_state=daily_state)
    t1 = time.perf_counter()
    model.run_model(progress)
    t2 = time.perf_counter()
    return RunResult(
        config=cfg,
        seed=seed,
        summary=model.summary(),
        timeseries=pd.DataFrame.from_records(model.records),
        wall_seconds=t2 - t0,
        build_seconds=t1 - t0,
        model=model if keep_model else None,
        constraints=[c.as_dict() for c in binding_constraints(model)],
        districts=district_table(model),
    )


def evaluate(seed: int = 0, config: ModelConfig | str | dict | None = None, **params: Any) -> dict[str, float]:
    """Scalar end-of-run KPIs for keyword parameters (``levers__training__coverage=0.5``).

    A top-level, picklable function: exploratory-modelling and sensitivity tools can call it
    directly, in any process.
    """
    res = run(config, seed=seed, overrides=keyword_overrides(params))
    return {k: float(v) for k, v in res.summary.items() if isinstance(v, (int, float))}
