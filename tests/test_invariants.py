"""Invariants over a run, determinism, and the Mesa integration (agents, batch_run)."""

from __future__ import annotations

import inspect

import mesa
import numpy as np
import pandas as pd
import pytest

from simulation import CommunitySafetyModel, run
from simulation.agents import Organization, PoliceOfficer, Resident, Volunteer, VolunteerStatus
from simulation.paths import lever_overrides
from simulation.population import VolunteerState
from tests.conftest import small_config

COUNT_COLUMNS = ("registered_volunteers", "active_volunteers", "volunteers_on_duty", "registrations", "dropouts",
                 "property_incidents", "public_order_incidents", "fraud_attempts", "fraud_victims", "disputes",
                 "disputes_escalated", "emergencies", "reports", "reportable", "volunteer_hours", "police_backlog",
                 "fraud_losses_cny", "spending_cny")


@pytest.fixture(scope="module")
def all_paths_model():
    cfg = small_config(**lever_overrides("all_paths"))
    model = CommunitySafetyModel(cfg, seed=9)
    checks = []
    while model.running:
        model.step()
        pop = model.pop
        registered = pop.vol_state == VolunteerState.REGISTERED
        checks.append({
            "active_not_registered": int(np.count_nonzero(pop.active_today & ~registered)),
            "active_le_registered": model.last_record["active_volunteers"] <= model.last_record["registered_volunteers"],
        })
    return model, checks


def test_volunteers_are_residents(all_paths_model):
    model, _ = all_paths_model
    residents = {a.row for a in model.agents_by_type[Resident]}
    volunteers = list(model.agents_by_type[Volunteer])
    assert volunteers
    assert all(v.row in residents for v in volunteers)
    assert all(isinstance(v, Resident) for v in volunteers)
    # Every registered row has a volunteer view, and a lapsed view says LAPSED.
    registered_rows = set(np.flatnonzero(model.pop.vol_state == VolunteerState.REGISTERED).tolist())
    assert registered_rows <= {v.row for v in volunteers}
    for v in volunteers:
        if model.pop.vol_state[v.row] == VolunteerState.LAPSED:
            assert v.status is VolunteerStatus.LAPSED


def test_active_never_exceeds_registered(all_paths_model):
    _, checks = all_paths_model
    assert all(c["active_le_registered"] for c in checks)
    assert all(c["active_not_registered"] == 0 for c in checks)


def test_counts_never_negative_and_shares_in_range(all_paths_model):
    model, _ = all_paths_model
    ts = pd.DataFrame(model.records)
    for col in COUNT_COLUMNS:
        assert (ts[col] >= 0).all(), col
    for col in ("satisfaction", "mobile_satisfaction", "trust", "informed_share", "awareness",
                "factor_subject", "factor_culture", "factor_system", "factor_allocation", "factor_strategy"):
        assert ts[col].between(0, 1).all(), col
    pop = model.pop
    for arr in (pop.satisfaction, pop.trust, pop.awareness, pop.fraud_literacy, pop.motivation, pop.fatigue, pop.skills):
        assert arr.min() >= 0 and arr.max() <= 1
    assert (model.police.backlog >= 0).all()


def test_spending_equals_the_sum_of_lever_costs(all_paths_model):
    model, _ = all_paths_model
    s = model.summary()
    per_lever = sum(s[f"spending_{name}_cny"] for name in model.levers)
    assert s["spending_cny"] == pytest.approx(per_lever, rel=1e-12)
    for name, lever in model.levers.items():
        assert lever.spent == pytest.approx(s[f"spending_{name}_cny"], rel=1e-9, abs=1e-9)
    assert s["spending_cny"] > 0


def test_mesa_agents_of_all_four_types(all_paths_model):
    model, _ = all_paths_model
    assert len(model.agents_by_type[Resident]) >= model.pop.n
    assert len(model.agents_by_type[PoliceOfficer]) == model.police.n
    assert len(model.agents_by_type[Organization]) == model.orgs.n
    r = model.agents_by_type[Resident][0]
    r.trust = 0.123
    assert model.pop.trust[r.row] == pytest.approx(0.123)


def test_same_seed_same_time_series_different_seed_differs():
    cfg = small_config()
    a = run(cfg, seed=11).timeseries
    b = run(cfg, seed=11).timeseries
    c = run(cfg, seed=12).timeseries
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_keyword_parameters_and_seed_defaults():
    m = CommunitySafetyModel(small_config(), n_residents=400, levers__incentives__scheme="matched")
    assert m.pop.n == 400
    assert m.cfg.levers.incentives.scheme == "matched"
    assert m.seed_value == small_config().run.seed


def test_mesa_batch_run_drives_the_model_over_a_2x2_grid():
    # Mesa >= 3.4 seeds batch runs with ``rng=[...]``; older releases use ``iterations``.
    repeat = {"rng": [7]} if "rng" in inspect.signature(mesa.batch_run).parameters else {"iterations": 1}
    rows = mesa.batch_run(
        CommunitySafetyModel,
        parameters={"n_residents": [300, 400], "levers__incentives__scheme": ["none", "matched"],
                    "days": 15, "warmup_days": 0},
        **repeat,
        max_steps=100,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(rows) == 4
    assert {(r["n_residents"], r["levers__incentives__scheme"]) for r in rows} == {
        (300, "none"), (300, "matched"), (400, "none"), (400, "matched")}
    for r in rows:
        assert 10 < r["Step"] <= 15  # the model stopped itself after its 15 days (running=False)
        assert r["registered_volunteers"] > 0
