"""The compiled daily loops give the same numbers as the numpy code they replace.

Large worlds (``kernels.MIN_ROWS`` residents and more) run satisfaction, trust, awareness, skill
decay and the volunteers' day as compiled loops; here a small world is run both ways (the
threshold lowered) and every population column, daily record and KPI must be identical.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation import kernels, load_config
from simulation.model import CommunitySafetyModel
from simulation.paths import lever_overrides

WORLD = {"world": {"n_residents": 6000, "n_districts": 2, "communities_per_district": 3},
         "run": {"days": 60, "warmup_days": 10}}


def run_world(monkeypatch, world: dict, compiled: bool, overrides: dict, seed: int) -> CommunitySafetyModel:
    """Run ``world`` with ``overrides`` with the compiled loops on or off (the threshold moved)."""
    monkeypatch.setattr(kernels, "MIN_ROWS", 0 if compiled else 10**12)
    model = CommunitySafetyModel(load_config(world).with_overrides(overrides), seed=seed)
    assert kernels.enabled(model) is compiled
    model.run_model()
    return model


def _run(monkeypatch, compiled: bool, overrides: dict, seed: int) -> CommunitySafetyModel:
    return run_world(monkeypatch, WORLD, compiled, overrides, seed)


@pytest.mark.parametrize("case", ["status_quo", "all_paths", "levers_off"])
def test_compiled_loops_give_identical_results(monkeypatch, case):
    overrides = {"processes.levers": False} if case == "levers_off" else lever_overrides(case)
    a = _run(monkeypatch, False, overrides, seed=5)
    b = _run(monkeypatch, True, overrides, seed=5)
    for name, column in vars(a.pop).items():
        if isinstance(column, np.ndarray):
            assert np.array_equal(column, getattr(b.pop, name), equal_nan=True), name
    assert a.records == b.records or all(
        ra.keys() == rb.keys() and all(ra[k] == rb[k] or (ra[k] != ra[k] and rb[k] != rb[k]) for k in ra)
        for ra, rb in zip(a.records, b.records))
    assert len(a.records) == len(b.records) == 60
    assert a.n_registered == b.n_registered > 0


def test_small_worlds_do_not_use_them():
    """Below the threshold the numpy code runs (no compiler is loaded for a teaching village)."""
    model = CommunitySafetyModel(load_config(WORLD))
    assert model.pop.n < kernels.MIN_ROWS and not kernels.enabled(model)


def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setattr(kernels, "MIN_ROWS", 0)
    monkeypatch.setenv("SAFETYSIM_KERNELS", "0")
    assert not kernels.enabled(CommunitySafetyModel(load_config(WORLD)))


def test_build_leaves_the_compiler_unloaded_until_the_first_day():
    """Build time and memory after the build are the world's own: numba loads on the first day."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from simulation import kernels, load_config\n"
        "from simulation.model import CommunitySafetyModel\n"
        "kernels.MIN_ROWS = 0\n"
        "m = CommunitySafetyModel(load_config({'world': {'n_residents': 3000}, 'run': {'days': 2, 'warmup_days': 0}}))\n"
        "assert m.n_registered > 0 and 'numba' not in sys.modules, 'numba loaded by the build'\n"
        "m.step()\n"
        "print(kernels.enabled(m), 'numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True"]
