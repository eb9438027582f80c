"""The column implementation and the idiomatic Mesa reference (benchmarks/mesa_reference.py) of
participation and guardianship agree in distribution on a small population."""

from __future__ import annotations

import pytest

from benchmarks import mesa_reference as ref
from simulation.processes import deployment, incidents, participation


@pytest.fixture(scope="module")
def comparison():
    return ref.compare(1000, seeds=10, days=40)


def test_column_side_runs_the_projects_process_functions():
    model = ref.column_model(300, seed=1, days=2)
    assert [fn for _, fn in model.phases] == [participation.step, deployment.step, incidents.step]


def test_same_population_on_both_sides():
    cm = ref.column_model(500, seed=2, days=1)
    mm = ref.MesaReference(cm, seed=3)
    assert len(mm.agents_by_type[ref.Volunteer]) == cm.n_registered == 500
    assert len(mm.agents_by_type[ref.Place]) == cm.places.n


def test_outcomes_agree_in_distribution(comparison):
    c = comparison
    assert c.agents == 1000
    for o in ref.OUTCOMES:
        assert abs(c.z(o)) <= c.bound(), f"{o}: columns {c.column[o].mean():.4g} vs Mesa {c.mesa[o].mean():.4g}, z={c.z(o):+.2f}"
    assert c.agree()
    # the outcomes are not degenerate: people serve, drop out, and guardianship prevents incidents
    assert c.column["shifts_per_day"].mean() > 10 and c.column["dropouts"].mean() > 1
    assert c.column["expected_incidents"].mean() > 0


def test_the_check_detects_a_different_rule(monkeypatch):
    """Not vacuous: a Mesa side that ignores availability (everyone fully available) is caught."""
    monkeypatch.setattr(ref.Volunteer, "availability", lambda self, day: 1.0)
    c = ref.compare(1000, seeds=6, days=20)
    assert not c.agree()
    assert c.mesa["shifts_per_day"].mean() > c.column["shifts_per_day"].mean()
