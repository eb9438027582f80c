"""Small plug-in models for testing the experiment engine without the agent-based model.

A plug-in model is any importable function ``f(params: dict, seed: int) -> dict[str, float]``;
a spec names it as ``model: "tests.plugins.testing_models:ishigami"``. An optional attribute
``parameters`` (names -> default values) lets the spec checker reject unknown factor names with
a suggestion, as it does for the real model's config paths.

These models are cheap and fully determined by ``(params, seed)``, which is what the engine
tests need: known answers (Ishigami's Sobol indices), deliberate failures (``flaky``), seeded
noise (``noisy``), slowness for interruption tests (``slow``) and a cost/outcome trade-off for
budget-constrained optimisation (``policy``).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

ISHIGAMI_A = 7.0
ISHIGAMI_B = 0.1


def _attach(parameters: dict[str, Any]):
    def deco(fn):
        fn.parameters = parameters
        return fn

    return deco


@_attach({"x1": 0.0, "x2": 0.0, "x3": 0.0})
def ishigami(params: dict[str, Any], seed: int) -> dict[str, float]:
    """Ishigami function, x1..x3 in [-pi, pi], a=7, b=0.1 (deterministic; seed unused).

    Analytic Sobol indices: S1 = (0.314, 0.442, 0.0), ST = (0.558, 0.442, 0.244).
    """
    x1, x2, x3 = (float(params[k]) for k in ("x1", "x2", "x3"))
    y = math.sin(x1) + ISHIGAMI_A * math.sin(x2) ** 2 + ISHIGAMI_B * x3**4 * math.sin(x1)
    return {"y": y}


@_attach({"x": 0.0, "fail_at": 3.0})
def flaky(params: dict[str, Any], seed: int) -> dict[str, float]:
    """Returns a noisy square of ``x``, but raises when ``x == fail_at`` (a deliberate bad point)."""
    x = float(params["x"])
    if x == float(params.get("fail_at", 3.0)):
        raise RuntimeError(f"flaky model refuses x={x:g}")
    rng = np.random.default_rng(seed)
    return {"y": x * x + float(rng.normal(0.0, 0.1))}


@_attach({"a": 1.0, "b": 0.0})
def noisy(params: dict[str, Any], seed: int) -> dict[str, float]:
    """A linear response plus seeded noise: identical seeds give identical outputs, nothing else does."""
    rng = np.random.default_rng(seed)
    a, b = float(params["a"]), float(params.get("b", 0.0))
    noise = rng.normal(size=3)
    return {"y": 2.0 * a - b + float(noise[0]), "z": a * b + float(noise[1]), "count": int(rng.integers(0, 100))}


@_attach({"a": 1.0, "b": 0.0, "delay_s": 0.05})
def slow(params: dict[str, Any], seed: int) -> dict[str, float]:
    """``noisy`` after sleeping ``delay_s`` seconds, so a sweep can be interrupted part-way."""
    time.sleep(float(params.get("delay_s", 0.05)))
    return noisy(params, seed)


@_attach({"training": 0.0, "patrols": 0.0, "scheme": "none"})
def policy(params: dict[str, Any], seed: int) -> dict[str, float]:
    """A toy lever trade-off: more training/patrols cut incidents with diminishing returns but cost money.

    ``spending_cny_per_year`` = 1e6 * training + 5e5 * patrols (+ 2e5 for scheme "matched"),
    so a budget cap makes the best unconstrained setting (everything at maximum) infeasible.
    """
    rng = np.random.default_rng(seed)
    t, p = float(params["training"]), float(params["patrols"])
    matched = params.get("scheme", "none") == "matched"
    incidents = 50.0 - 12.0 * math.sqrt(t) - 8.0 * math.sqrt(p) - (4.0 if matched else 0.0)
    incidents += float(rng.normal(0.0, 0.5))
    spending = 1.0e6 * t + 5.0e5 * p + (2.0e5 if matched else 0.0)
    return {
        "incidents_per_1000": incidents,
        "satisfaction": 0.5 + 0.2 * t + float(rng.normal(0.0, 0.01)),
        "spending_cny_per_year": spending,
    }


@_attach({"x": 0.0, "die_at": -1.0})
def crashy(params: dict[str, Any], seed: int) -> dict[str, float]:
    """Kills its own worker process at ``x == die_at`` (a hard crash, not an exception)."""
    import os

    if float(params["x"]) == float(params.get("die_at", -1.0)):
        os._exit(13)
    return {"y": float(params["x"])}
