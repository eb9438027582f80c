"""EMA Workbench Model built from the project's metadata: levers and assumptions from
simulation/config.py, ranges as the robustness command documents them, KPI directions from the
statistics module; and it runs the same on the sequential and multiprocessing evaluators."""

from __future__ import annotations

import math
from typing import Literal, get_args, get_origin

import ema_workbench as ema  # a dependency of the project (pyproject.toml), on every supported Python
import numpy as np
import pytest

from experiments.analysis.robustness import parameter_field, parameter_range
from experiments.clients.ema_metadata import DEFAULT_OUTCOMES, NOT_UNCERTAIN, ema_model_from_metadata
from simulation import load_config
from simulation.config import get_dotted, parameter_table
from simulation.errors import InputError

SMALL = {"base": {"run": {"days": 8, "warmup_days": 0, "seed": 3},
                  "world": {"n_residents": 300, "communities_per_district": 2, "places_per_community": 4}},
         "root_seed": 11}
OUTCOMES = ["incidents_per_1000", "satisfaction", "spending_cny_per_year", "mean_skill"]


def _path(p) -> str:
    return p.name.replace("__", ".")


def _categories(p) -> list:
    return [c.value for c in p.categories]


def test_levers_uncertainties_and_outcomes_follow_the_metadata():
    model = ema_model_from_metadata(SMALL, outcomes=OUTCOMES)
    rows = {r["path"]: r for r in parameter_table()}
    base = load_config(SMALL["base"])

    levers = {_path(p): p for p in model.levers}
    assert set(levers) <= {p for p in rows if p.startswith("levers.")}
    assert {"levers.training.coverage", "levers.incentives.scheme", "levers.channels.app", "levers.training.sessions_per_year"} <= set(levers)
    # not representable without a range the metadata lacks: a list and open-ended amounts
    assert "levers.training.content" not in levers and "levers.incentives.budget_cny_per_year" not in levers
    for path, p in levers.items():
        ann = parameter_field(path).annotation
        if ann is bool:
            assert isinstance(p, ema.BooleanParameter)
        elif get_origin(ann) is Literal:
            assert isinstance(p, ema.CategoricalParameter) and _categories(p) == list(get_args(ann))
        else:
            assert isinstance(p, ema.IntegerParameter if ann is int else ema.RealParameter)
            bounds = {k: getattr(m, k) for m in parameter_field(path).metadata for k in ("ge", "le") if getattr(m, k, None) is not None}
            assert (p.lower_bound, p.upper_bound) == (bounds["ge"], bounds["le"])
    assert levers["levers.training.coverage"].upper_bound == 1.0
    assert _categories(levers["levers.incentives.scheme"]) == ["none", "top_bonus", "points", "matched"]

    unc = {_path(p): p for p in model.uncertainties}
    for path, p in unc.items():
        assert rows[path]["source"].startswith("assumption") and not path.startswith(("levers.", "run."))
        lo, hi, is_int = parameter_range(path, None, float(get_dotted(base, path)))  # the robustness default range
        assert isinstance(p, ema.IntegerParameter if is_int else ema.RealParameter)
        assert (p.lower_bound, p.upper_bound) == ((math.ceil(lo), math.floor(hi)) if is_int else (lo, hi))
    assert unc["response.cases_per_officer_per_day"].lower_bound == 3.0 and unc["response.cases_per_officer_per_day"].upper_bound == 9.0
    assert not any(path == x or path.startswith(x) for path in unc for x in NOT_UNCERTAIN)
    numeric_assumptions = {p for p, r in rows.items() if r["source"].startswith("assumption") and r["type"] in ("int", "float")
                           and not p.startswith("levers.") and not any(p == x or p.startswith(x) for x in NOT_UNCERTAIN)}
    assert set(unc) <= numeric_assumptions and len(unc) >= 0.9 * len(numeric_assumptions)

    kinds = {o.name: o.kind for o in model.outcomes}
    assert kinds == {"incidents_per_1000": ema.ScalarOutcome.MINIMIZE, "satisfaction": ema.ScalarOutcome.MAXIMIZE,
                     "spending_cny_per_year": ema.ScalarOutcome.MINIMIZE, "mean_skill": ema.ScalarOutcome.INFO}
    assert [o.name for o in ema_model_from_metadata(SMALL, levers=["levers.training.coverage"]).outcomes] == list(DEFAULT_OUTCOMES)


def test_explicit_selections_ranges_and_bad_input():
    model = ema_model_from_metadata(SMALL, levers={"levers.incentives.budget_cny_per_year": {"low": 0, "high": 90000}, "levers.training.mode": None},
                                    uncertainties=["participation.young_time_cost"], outcomes=["satisfaction"],
                                    directions={"satisfaction": "lower"})
    budget, mode = list(model.levers)
    assert (budget.name, budget.lower_bound, budget.upper_bound) == ("levers__incentives__budget_cny_per_year", 0.0, 90000.0)
    assert isinstance(mode, ema.CategoricalParameter) and _categories(mode) == ["classroom", "door_to_door", "pre_job", "online"]
    assert [p.name for p in model.uncertainties] == ["participation__young_time_cost"]
    assert model.outcomes[0].kind == ema.ScalarOutcome.MINIMIZE
    assert list(ema_model_from_metadata(SMALL, levers=[], uncertainties=["participation.young_time_cost"]).levers) == []
    bad = [
        ({"levers": ["levers.incentives.budget_cny_per_year"]}, "levers.levers.incentives.budget_cny_per_year: no upper or lower bound"),
        ({"levers": ["participation.young_time_cost"]}, "levers: 'participation.young_time_cost' is not under levers."),
        ({"uncertainties": ["incidents.police_patrol_share"]}, "not an assumption"),
        ({"uncertainties": ["participation.nope"]}, "uncertainties: 'participation.nope' is not a model parameter"),
        ({"uncertainties": "everything"}, "uncertainties: 'everything' is not allowed; expected 'assumptions'"),
        ({"uncertainties": {"participation.young_time_cost": {"low": 0.5, "high": 0.1}}}, "uncertainties.participation.young_time_cost: low 0.5 >= high 0.1"),
    ]
    for kwargs, message in bad:
        with pytest.raises(InputError, match=message.replace(".", r"\.").replace("(", r"\(")):
            ema_model_from_metadata(SMALL, **kwargs)
    with pytest.raises(InputError, match="outcomes: 'nope' is not a KPI"):
        ema_model_from_metadata(SMALL, levers=["levers.training.coverage"], uncertainties=["participation.young_time_cost"],
                                outcomes=["nope"]).function(levers__training__coverage=0.2, participation__young_time_cost=0.1)


def test_metadata_model_runs_identically_on_sequential_and_multiprocessing_evaluators():
    model = ema_model_from_metadata(SMALL, outcomes=OUTCOMES)

    def go(evaluator_cls, **kw):
        # Same experiments for both: EMA 3 samplers take an rng, EMA 2 draw from numpy's global state.
        seeded = {} if int(ema.__version__.split(".")[0]) < 3 else {"uncertainty_sampling_kwargs": {"rng": 5}, "lever_sampling_kwargs": {"rng": 6}}
        np.random.seed(5)
        with evaluator_cls(model, **kw) as evaluator:
            return ema.perform_experiments(model, scenarios=2, policies=2, evaluator=evaluator, **seeded)

    seq_x, seq_y = go(ema.SequentialEvaluator)
    mp_x, mp_y = go(ema.MultiprocessingEvaluator, n_processes=2)
    assert len(seq_x) == 4
    cols = [p.name for p in [*model.levers, *model.uncertainties]]
    assert seq_x[cols].astype(str).equals(mp_x[cols].astype(str))
    for k in OUTCOMES:
        assert list(seq_y[k]) == list(mp_y[k])  # bit-identical, not approximately
        assert all(np.isfinite(seq_y[k]))
    assert len(set(seq_y["spending_cny_per_year"])) > 1  # the sampled levers reach the model
