"""How often something happens in the classroom village, and what ``world.scale`` does, measured
(docs/ODD.md, "The classroom village and world.scale"; docs/teaching/README.md).

Scale multiplies counts; it does not make events happen more often.  Events are drawn per agent
at the calibrated per-1,000 rates, so a 300-agent village sees the events of 300 residents, about
0.2 in ten days, whatever the scale; the classroom village therefore has 10,000 agents.  These
tests pin that down, and compare a 300-agent village at scale 10 with a village of 3,000 agents
(the same real population) over a few paired seeds: rates that do not depend on how many agents
guard a place agree within sampling error, the guardianship-dependent incident rate does not (the
known approximation of ``scale > 1``).
"""

from __future__ import annotations

import numpy as np

from simulation.config import load_config
from simulation.model import CommunitySafetyModel
from simulation.runner import run
from simulation.teaching.controls import CLASSROOM_CONFIG

SEEDS = (1, 2, 3, 4, 5, 6)


def _village(n: int, scale: float, **over):
    return load_config(CLASSROOM_CONFIG).with_overrides({"world.n_residents": n, "world.scale": scale, **over})


def test_scale_multiplies_counts_and_changes_no_draw():
    """Same seed, scale 1 and 10: identical events on identical days, counts ×10, per-1,000 rates equal."""
    a = CommunitySafetyModel(_village(300, 1.0, **{"run.days": 30}), seed=3)
    b = CommunitySafetyModel(_village(300, 10.0, **{"run.days": 30}), seed=3)
    for _ in range(30):
        a.step()
        b.step()
        for kind in ("places", "fraud", "disputes", "emergencies"):
            assert [x.tolist() for x in a.events_today[kind]] == [x.tolist() for x in b.events_today[kind]]
    for key in ("fraud_attempts", "registered_volunteers", "reportable"):
        assert sum(r[key] for r in b.records) == 10 * sum(r[key] for r in a.records)
    sa, sb = a.summary(), b.summary()
    for key in ("expected_incidents_per_1000", "expected_fraud_victims_per_1000", "volunteers_per_1000"):
        assert np.isclose(sa[key], sb[key], rtol=1e-12), key


def test_the_classroom_village_shows_events_from_its_first_days():
    """The page's default village (10,000 residents): over seeds 1-12, days 1-10 after warm-up hold
    at least 3 visible events on average (measured: 4.0, 11 of 12 with one or more) and 10 of the 12 seeds at least one, so the
    charts move within the first days."""
    from simulation.teaching.controls import TeachingModel

    counts = []
    for seed in range(1, 13):
        m = TeachingModel(seed=seed)
        assert m.pop.n == 10_000
        n = 0
        for _ in range(10):
            m.step()
            n += sum(len(x) for kind in ("places", "fraud", "disputes", "emergencies") for x in m.events_today[kind])
        counts.append(n)
    assert np.mean(counts) >= 3.0, counts
    assert sum(c > 0 for c in counts) >= 10, counts


def test_a_village_of_300_shows_almost_no_events_in_its_first_days():
    """At the calibrated rates 300 residents have about 0.2 visible events in 10 days (incidents,
    fraud victims, escalated disputes, emergencies: about 25 per 1,000 a year); over 6 seeds the
    expected total is under 2, and a village of 3,000 agents has several times more."""
    def events(n: int) -> int:
        total = 0
        for seed in SEEDS:
            m = CommunitySafetyModel(_village(n, 1.0, **{"run.days": 10}), seed=seed)
            for _ in range(10):
                m.step()
                total += sum(len(x) for kind in ("places", "fraud", "disputes", "emergencies") for x in m.events_today[kind])
        return total

    small, large = events(300), events(3000)
    # Poisson bounds: 6 x 0.2 = 1.2 expected at 300 (P(>= 6) < 0.002); about 6 at 3,000 (P(<= 1) < 0.02).
    assert small <= 5, small
    assert large >= 2 and large > small, (small, large)


def _paired(key: str) -> tuple[float, float]:
    """Mean difference (300 agents x scale 10) - (3,000 agents x scale 1) over SEEDS, and its se."""
    d = np.array([run(_village(300, 10.0), seed=s).summary[key] - run(_village(3000, 1.0), seed=s).summary[key] for s in SEEDS])
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size))


def test_scaled_village_matches_the_real_population_where_guardianship_does_not_enter():
    """Expected fraud victims per 1,000 (noise-free given the attempts) at 300 x 10 agree with 3,000
    agents within 3 standard errors of the paired differences."""
    mean, se = _paired("expected_fraud_victims_per_1000")
    assert abs(mean) < 3 * se, (mean, se)


def test_scaled_village_overstates_incidents_because_guardianship_counts_agents():
    """Expected incidents per 1,000 are higher at 300 x 10 than with 3,000 agents, by more than 5
    standard errors: the same 12 places are guarded by a tenth of the volunteers (guardianship
    counts agents), so fewer incidents are prevented (about 10.5 against 8.5 per 1,000 a year)."""
    mean, se = _paired("expected_incidents_per_1000")
    assert mean > 5 * se and 1.0 < mean < 3.0, (mean, se)
