"""Each daily process does what its submodel says (statistical checks with fixed seeds)."""

from __future__ import annotations

import math

import numpy as np

from simulation import run
from tests.conftest import small_config

ALL_OFF = {f"processes.{p}": False for p in (
    "levers", "publicity", "word_of_mouth", "participation", "training", "deployment",
    "property_incidents", "fraud", "disputes", "emergencies", "reporting", "feedback")}


def test_without_guardianship_property_incidents_follow_the_risk_weighted_rate():
    cfg = small_config(**{"processes.deployment": False, "incidents.property_per_1000_per_year": 300.0,
                          "run.days": 365})
    res = run(cfg, seed=3, keep_model=True)
    m = res.model
    total = res.timeseries["property_incidents"].sum()
    expected = 300.0 * cfg.world.n_residents / 1000.0 * 365 / 365
    assert abs(total - expected) < 4 * math.sqrt(expected), (total, expected)
    # No guardians at all: the expected count equals the unguarded rate exactly.
    assert res.timeseries["expected_property"].sum() == np.float64(res.timeseries["expected_property_no_guardians"].sum())
    # Incidents land where the risk is: the top 5% of places by risk get their risk share.
    risk = m.places.risk.astype(float)
    top = risk >= np.quantile(risk, 0.95)
    share = risk[top].sum() / risk.sum()
    at_top = m.place_incidents[top].sum()
    n = m.place_incidents.sum()
    sd = math.sqrt(n * share * (1 - share))
    assert abs(at_top - n * share) < 4 * sd, (at_top, n * share)


def test_fraud_literacy_one_means_no_fraud_succeeds():
    cfg = small_config(**{"diffusion.initial_fraud_literacy_mean": 1.0,
                          "incidents.fraud_attempts_per_person_per_year": 20.0})
    ts = run(cfg, seed=1).timeseries
    assert ts["fraud_attempts"].sum() > 1000
    assert ts["fraud_victims"].sum() == 0
    assert ts["fraud_losses_cny"].sum() == 0


def test_fraud_succeeds_when_literacy_is_low():
    cfg = small_config(**{"diffusion.initial_fraud_literacy_mean": 0.05,
                          "incidents.fraud_attempts_per_person_per_year": 20.0})
    ts = run(cfg, seed=1).timeseries
    assert ts["fraud_victims"].sum() > 0


def test_participation_off_means_no_one_registers():
    cfg = small_config(**{"processes.participation": False})
    ts = run(cfg, seed=2).timeseries
    assert ts["registrations"].sum() == 0
    assert ts["registered_volunteers"].nunique() == 1  # the initial team, unchanged
    assert ts["volunteer_hours"].sum() == 0


def test_only_publicity_informs_monotonically_toward_everyone():
    overrides = dict(ALL_OFF)
    overrides.update({"processes.publicity": True, "processes.word_of_mouth": True, "processes.levers": True,
                      "diffusion.p_media": 3.0, "diffusion.q_word_of_mouth": 3.0, "run.days": 730,
                      "world.initial_informed_share": 0.05})
    ts = run(small_config(**overrides), seed=4).timeseries
    informed = ts["informed_share"].to_numpy()
    assert np.all(np.diff(informed) >= 0)
    assert informed[-1] > informed[0] + 0.5
    assert informed[-1] > 0.98


def test_word_of_mouth_speeds_diffusion():
    base = dict(ALL_OFF, **{"processes.publicity": True, "processes.levers": True, "world.initial_informed_share": 0.1})
    no_wom = run(small_config(**base), seed=4).timeseries["informed_share"].iloc[-1]
    wom = run(small_config(**dict(base, **{"processes.word_of_mouth": True})), seed=4).timeseries["informed_share"].iloc[-1]
    assert wom > no_wom + 0.01


def test_a_dispute_with_a_mediator_escalates_less_often():
    cfg = small_config(**{"incidents.disputes_per_1000_per_year": 600.0, "skills.initial_skill_mean": 0.9,
                          "world.initial_volunteer_share": 0.01, "processes.training": False, "run.days": 365})
    # Pooled over four seeds: one seed's year has some 300 mediated disputes, and its z alone
    # ranges from -1.1 to -4.0 over seeds 1-10 (seed 6, the one used before: -3.01, a pass by a
    # hair); seeds 1-4 pooled give about -6.
    mediated = mediated_esc = unmediated = unmediated_esc = 0
    for seed in range(1, 5):
        ts = run(cfg, seed=seed).timeseries
        m, m_esc = ts["disputes_mediated"].sum(), ts["disputes_mediated_escalated"].sum()
        assert m > 100 and ts["disputes"].sum() - m > 100
        mediated, mediated_esc = mediated + m, mediated_esc + m_esc
        unmediated += ts["disputes"].sum() - m
        unmediated_esc += ts["disputes_escalated"].sum() - m_esc
    p1, p0 = mediated_esc / mediated, unmediated_esc / unmediated
    pooled = (mediated_esc + unmediated_esc) / (mediated + unmediated)
    z = (p1 - p0) / math.sqrt(pooled * (1 - pooled) * (1 / mediated + 1 / unmediated))
    assert z < -3, (p1, p0, z)


def test_volunteer_first_response_needs_trained_volunteers():
    cfg = small_config(**{"incidents.emergencies_per_1000_per_year": 200.0, "incidents.first_response_skill": 1.0, "processes.training": False})
    ts = run(cfg, seed=2).timeseries
    assert ts["emergencies"].sum() > 50
    assert ts["emergencies_first_response"].sum() == 0
    ts2 = run(small_config(**{"incidents.emergencies_per_1000_per_year": 200.0, "incidents.first_response_skill": 0.0}), seed=2).timeseries
    assert ts2["emergencies_first_response"].sum() > 0


def test_volunteers_take_routine_affairs_off_the_police_queue():
    heavy = {"response.routine_per_1000_per_day": 12.5, "run.days": 180}  # ~ police capacity
    with_v = run(small_config(**heavy), seed=3).summary
    without = run(small_config(**dict(heavy, **{"world.initial_volunteer_share": 0.0, "processes.participation": False})), seed=3).summary
    assert with_v["response_hours"] < without["response_hours"]


def test_skills_decay_without_training_and_grow_with_it():
    no_train = run(small_config(**{"levers.training.coverage": 0.0}), seed=1).timeseries["mean_skill"]
    assert no_train.iloc[-1] < no_train.iloc[0]
    trained = run(small_config(**{"levers.training.coverage": 1.0, "levers.training.sessions_per_year": 12}), seed=1).timeseries["mean_skill"]
    assert trained.iloc[-1] > no_train.iloc[-1] + 0.05


def test_fixed_terms_kept_for_a_run_give_the_numbers_computed_daily(monkeypatch):
    """Patrol weights (kept until an evaluation cycle re-targets them), police presence, unguarded
    incident rates and participation's fixed terms are computed once per run; recomputing them every
    day gives the same run (path 4: risk-based allocation with evaluation cycles)."""
    from pathlib import Path

    from simulation.model import CommunitySafetyModel

    cfg = Path(__file__).resolve().parents[1] / "configs" / "paths" / "p4_strategies.yaml"
    over = {"world.n_residents": 2000, "run.days": 200, "run.warmup_days": 10}
    kept = run(cfg, seed=4, overrides=over, keep_model=True)
    assert kept.model.evaluation_cycles > 0
    assert {"police_guardians", "rates_without_guardians", "group_terms", "fixed_terms",
            "publicity_drawing_chance", "routine_rate", "cost_keys"} <= set(kept.model._per_run)

    assert any(name.startswith("patrol_weights_risk_cycle_") for name in kept.model._per_run)

    # Every value computed again wherever it is used: per_run keeps nothing, so patrol weights are
    # re-derived every day too.
    monkeypatch.setattr(CommunitySafetyModel, "per_run", lambda model, name, compute: compute(model))
    daily = run(cfg, seed=4, overrides=over)
    assert daily.summary == kept.summary
