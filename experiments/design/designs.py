"""Design points: which parameter settings an experiment visits.

Why one function returning plain dicts: the engine, the store and the analysis only need
"point *i* sets these dotted paths to these values"; how the points were chosen (grid, Latin
hypercube, Saltelli/Sobol, Morris trajectories) matters again only to the sensitivity analysis,
which gets the SALib ``problem`` and the raw sample matrix from the same :class:`Design`.

Points are generated deterministically from the spec (samplers are seeded from ``design.seed``
or, by default, from ``root_seed``), so re-expanding a spec after an interruption gives the same
points, in the same order, with the same ids ``p00000, p00001, ...``.

Sampled factors: ``low``/``high`` with ``kind: float`` are sampled uniformly in [low, high];
``kind: int`` is sampled in [low, high + 1) and floored (every integer equally likely);
``levels: [...]`` is sampled as an index in [0, L) and floored. SALib sees the continuous
variables; the model sees the mapped values.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from experiments.design.seeding import design_seed
from experiments.design.spec import DesignSpec, FactorSpec


@dataclass(frozen=True)
class DesignPoint:
    """One setting of the design's factors; ``id`` is stable for a given spec."""

    index: int
    id: str
    values: dict[str, Any]


@dataclass
class Design:
    """Points plus, for sampled designs, what SALib needs to analyse them."""

    kind: str
    points: list[DesignPoint]
    factors: list[str] = field(default_factory=list)
    problem: dict[str, Any] | None = None
    samples: np.ndarray | None = None  # raw sample matrix (rows = points) in the problem's space


def point_id(index: int) -> str:
    return f"p{index:05d}"


def _py(value: Any) -> Any:
    """Plain Python scalars, so canonical JSON and Parquet columns do not depend on numpy types."""
    return value.item() if isinstance(value, np.generic) else value


def _bounds(f: FactorSpec, rounding: bool = False) -> tuple[float, float]:
    """Continuous bounds SALib/samplers see. ``rounding`` (Morris grids) uses [first, last] and rounds."""
    top = 0.0 if rounding else 1.0
    if f.levels is not None:
        return 0.0, float(len(f.levels)) - 1.0 + top
    assert f.low is not None and f.high is not None
    if f.value_kind == "int":
        return float(f.low), float(f.high) + top
    return float(f.low), float(f.high)


def map_sample(f: FactorSpec, x: float, rounding: bool = False) -> Any:
    """Raw sampled number -> the value the model gets (float, int or one of the levels).

    Uniform samplers (LHS, Sobol, Optuna) floor a value drawn from [first, last + 1), so every
    integer/level is equally likely; Morris moves on a grid over [first, last] and rounds.
    """
    if f.levels is None and f.value_kind != "int":
        return float(x)
    i = int(np.floor(x + 0.5)) if rounding else int(np.floor(x))
    if f.levels is not None:
        return _py(f.levels[min(max(i, 0), len(f.levels) - 1)])
    return min(max(i, int(f.low)), int(f.high))  # type: ignore[arg-type]


def salib_problem(factors: dict[str, FactorSpec], rounding: bool = False) -> dict[str, Any]:
    names = list(factors)
    return {"num_vars": len(names), "names": names, "bounds": [list(_bounds(factors[n], rounding)) for n in names]}


def _points_from_matrix(factors: dict[str, FactorSpec], matrix: np.ndarray, rounding: bool = False) -> list[DesignPoint]:
    names = list(factors)
    return [
        DesignPoint(i, point_id(i), {n: map_sample(factors[n], row[j], rounding) for j, n in enumerate(names)})
        for i, row in enumerate(matrix)
    ]


def _lhs(n: int, d: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    try:
        sampler = qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed))
    except TypeError:  # scipy < 1.15 spells it ``seed``
        sampler = qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed))
    return sampler.random(n)


def make_design(design: DesignSpec | None, root_seed: int = 0) -> Design:
    """Expand a design spec into points (no design = one point with no factor settings)."""
    if design is None:
        return Design("none", [DesignPoint(0, point_id(0), {})])
    kind = design.kind
    factors = design.factors
    names = list(factors)
    seed = design.seed if design.seed is not None else design_seed(root_seed, kind)

    if kind == "explicit":
        if design.points is not None:
            rows = [dict(p) for p in design.points]
            names = sorted({k for p in rows for k in p})
        else:
            length = len(next(iter(factors.values())).values or [])
            rows = [{n: factors[n].values[i] for n in names} for i in range(length)]  # type: ignore[index]
        pts = [DesignPoint(i, point_id(i), {k: _py(v) for k, v in r.items()}) for i, r in enumerate(rows)]
        return Design(kind, pts, names)

    if kind == "grid":
        combos = itertools.product(*(factors[n].values or [] for n in names))
        pts = [DesignPoint(i, point_id(i), {n: _py(v) for n, v in zip(names, combo)}) for i, combo in enumerate(combos)]
        return Design(kind, pts, names)

    rounding = kind == "morris"
    problem = salib_problem(factors, rounding)
    assert design.n is not None
    if kind == "lhs":
        unit = _lhs(design.n, len(names), seed)
        lo = np.array([b[0] for b in problem["bounds"]])
        hi = np.array([b[1] for b in problem["bounds"]])
        matrix = lo + unit * (hi - lo)
    elif kind == "sobol":
        from SALib.sample import sobol as sobol_sample

        matrix = sobol_sample.sample(problem, design.n, calc_second_order=design.calc_second_order, scramble=True, seed=seed)
    elif kind == "morris":
        from SALib.sample import morris as morris_sample

        matrix = morris_sample.sample(problem, design.n, num_levels=design.num_levels, seed=seed)
    else:  # pragma: no cover - the spec's Literal rules this out
        raise ValueError(f"unknown design kind {kind!r}")
    return Design(kind, _points_from_matrix(factors, matrix, rounding), names, problem, np.asarray(matrix, dtype=float))


def space_point(space: dict[str, FactorSpec], raw: dict[str, float]) -> dict[str, Any]:
    """Map raw numbers suggested by an optimiser (same convention as sampled designs) to values."""
    return {n: map_sample(space[n], raw[n]) for n in space}
