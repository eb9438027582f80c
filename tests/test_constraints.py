"""Binding constraints: each lever's asked vs delivered, what binds, and that counting changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from simulation import load_config, run
from simulation.constraints import binding_constraints, flat
from simulation.model import CommunitySafetyModel
from simulation.processes.training import POLICE_TRAINEES_PER_OFFICER

SMALL = {
    "run": {"days": 200, "warmup_days": 30, "seed": 5},
    "world": {"n_residents": 3000, "communities_per_district": 4, "places_per_community": 8},
}


def _by_lever(constraints):
    return {c.lever: c for c in constraints}


def test_training_capacity_binds_without_the_cascade_and_not_with_it() -> None:
    capped = run(load_config(SMALL).with_overrides({"levers.training.coverage": 0.9}), keep_model=True)
    t = _by_lever(binding_constraints(capped.model))["training"]
    sessions = capped.model.constraint_counts["training_sessions"]
    assert sessions >= 1
    cap = capped.model.police.n * POLICE_TRAINEES_PER_OFFICER * sessions * capped.model.scale
    assert t.binds and t.delivered == pytest.approx(cap) and t.asked > 2 * t.delivered
    assert t.share == pytest.approx(t.delivered / t.asked)
    assert "police training capacity binds" in t.message and "cascade" in t.message
    cascade = run(load_config(SMALL).with_overrides({"levers.training.coverage": 0.9, "levers.training.cascade": True}), keep_model=True)
    tc = _by_lever(binding_constraints(cascade.model))["training"]
    assert not tc.binds and tc.delivered == tc.asked and tc.delivered > t.delivered


def test_incentive_saturation_binds_with_a_huge_budget() -> None:
    res = run(load_config(SMALL).with_overrides({"levers.incentives.scheme": "matched", "levers.incentives.budget_cny_per_year": 5e7}),
              keep_model=True)  # fmt: skip
    inc = _by_lever(binding_constraints(res.model))["incentives"]
    assert inc.binds and inc.delivered == pytest.approx(0.5) and inc.asked > 0.5
    small = _by_lever(binding_constraints(run(load_config(SMALL), keep_model=True).model))["incentives"]
    assert not small.binds and small.delivered == pytest.approx(small.asked)


def test_counting_draws_no_random_numbers(monkeypatch) -> None:
    counted = run(load_config(SMALL).with_overrides({"levers.training.coverage": 0.9})).summary
    import simulation.levers as lv
    import simulation.processes.participation as pa
    import simulation.processes.reporting as rp
    import simulation.processes.training as tr

    for mod in (lv, pa, rp, tr):
        monkeypatch.setattr(mod, "note", lambda *a, **k: None)
    monkeypatch.setattr(pa, "note_last", lambda *a, **k: None)
    plain = run(load_config(SMALL).with_overrides({"levers.training.coverage": 0.9})).summary
    assert counted == plain


def test_works_on_a_live_model_mid_run_and_on_stored_forms() -> None:
    model = CommunitySafetyModel(load_config(SMALL).with_overrides({"levers.training.coverage": 0.9, "levers.recruitment.drives_per_year": 6,
                                                                    "levers.recruitment.targets": ["students"]}))  # fmt: skip
    assert isinstance(binding_constraints(model), list)
    for _ in range(60):
        model.step()
    early = _by_lever(binding_constraints(model))
    for _ in range(140):
        model.step()
    late = _by_lever(binding_constraints(model))
    assert "recruitment" in late and late["channels"].asked > early["channels"].asked
    # From summary.json's list and from flat stored columns.
    as_dicts = {"constraints": [c.as_dict() for c in late.values()]}
    assert _by_lever(binding_constraints(as_dicts)) == late
    rebuilt = _by_lever(binding_constraints(flat(list(late.values()))))
    assert rebuilt["training"].binds == late["training"].binds and rebuilt["training"].asked == late["training"].asked
    assert "police training capacity" in rebuilt["training"].message


def test_safetysim_run_writes_and_prints_constraints(tmp_path) -> None:
    out = tmp_path / "r"
    cmd = [sys.executable, "-m", "experiments.commands.cli", "run", "--no-progress", "--out", str(out),
           "--set", "world.n_residents=3000", "--set", "run.days=200", "--set", "levers.training.coverage=0.9"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "binding constraints (asked -> delivered):" in proc.stdout
    assert "BINDS training: training reached" in proc.stdout
    summary = json.loads((out / "summary.json").read_text())
    levers = {c["lever"]: c for c in summary["constraints"]}
    assert levers["training"]["binds"] is True and levers["training"]["delivered"] < levers["training"]["asked"]
    assert "mean_skill" in summary and "incidents_per_1000" in summary
