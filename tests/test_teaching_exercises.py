"""The classroom exercises' "What you should observe" statements, checked against the model.

Each exercise in ``docs/teaching/`` lists what students should see.  Every statement is quoted,
word for word, as the docstring of one test here (``test_exNN_...`` for exercise ``NN``), and
``test_statements_and_tests_in_sync`` checks that the Markdown and the docstrings agree both ways.

Each test runs its exercise's scenarios headless on ``configs/teaching/exercises.yaml`` (the
teaching page's village at 2,000 residents, 120 days) over seeds 1-12 (1-36 for one observation
whose per-run KPI is a ratio of few events), the same seeds in every scenario, so comparisons are paired (common random numbers).  A statement that something rises
or falls is checked as: the mean paired difference exceeds three standard errors of the paired
differences.  A magnitude "about X" is checked generously: the scenario mean lies within 15% of X
(``about``), and a stated change "from about A to about B" is also checked as a paired change
within half of B - A either side (``changes``).  Nothing is compared with stored results: every
number comes from running the model.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import re
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from simulation.config import load_config
from simulation.paths import lever_overrides
from simulation.runner import run

# The exercises' statements are statistics of the model's numbers, which test_regression checks are
# the same on every supported Python: the full suite (Python 3.11) runs this module, the 3.13
# subset does not.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
TEACHING = REPO / "docs" / "teaching"
CONFIG = REPO / "configs" / "teaching" / "exercises.yaml"
SEEDS = tuple(range(1, 13))
SEEDS_36 = tuple(range(1, 37))
"""Seeds of an observation whose per-run KPI is a ratio of few events (see test_ex03_channels_raise_reporting)."""

_CHANNELS = {"levers.channels.app": True, "levers.channels.social_orgs": True, "levers.channels.joint_meetings": True}
_DRIVES = {"levers.recruitment.targets": ["students", "law", "counselling", "medical"], "levers.recruitment.drives_per_year": 4}
_PATHS = ("status_quo", "p1_subjects", "p2_systems", "p3_culture", "p4_strategies", "all_paths")

SCENARIOS: dict[str, dict[str, dict]] = {
    # Exercise 1 - incentives (strategy factor, path 4.1)
    "01": {
        "top_bonus": {},
        "none": {"levers.incentives.scheme": "none"},
        "matched": {"levers.incentives.scheme": "matched"},
        "matched_150k": {"levers.incentives.scheme": "matched", "levers.incentives.budget_cny_per_year": 150000},
    },
    # Exercise 2 - who participates (subject factor, path 1)
    "02": {
        "status_quo": {},
        "drives": _DRIVES,
        "partnership": {"levers.recruitment.university_partnerships": True},
        "drives_partnership": {**_DRIVES, "levers.recruitment.university_partnerships": True},
        "clarity": {"levers.role_clarity.level": 0.8},
    },
    # Exercise 3 - channels and dialogue (system factor, path 2)
    "03": {
        "status_quo": {},
        "channels": _CHANNELS,
        "dialogue": {"levers.dialogue.mobile_weight": 0.7},
        "both": {**_CHANNELS, "levers.dialogue.mobile_weight": 0.7},
    },
    # Exercise 4 - anti-fraud warnings (culture factor, path 3.1)
    "04": {
        "mass": {},
        "targeted": {"levers.publicity.anti_fraud": "targeted"},
        "none": {"levers.publicity.anti_fraud": "none"},
    },
    # Exercise 5 - where patrols go (resource-allocation factor)
    "05": {
        "uniform": {},
        "risk": {"levers.allocation.rule": "risk"},
        "need": {"levers.allocation.rule": "need"},
    },
    # Exercise 6 - the four paths side by side
    "06": {
        **{name: lever_overrides(name) for name in _PATHS},
        "all_paths_risk": {**lever_overrides("all_paths"), "levers.allocation.rule": "risk"},
    },
}
"""Exercise number -> scenario name -> dotted lever overrides of the teaching village."""


# ---------------------------------------------------------------------------------------------
# Running the scenarios


def _run_one(job: tuple[dict, int]) -> dict[str, float]:
    overrides, seed = job
    summary = run(load_config(CONFIG).with_overrides(overrides), seed=seed).summary
    return {k: float(v) for k, v in summary.items() if isinstance(v, (int, float))}


_POOL: ProcessPoolExecutor | None = None


def _map(jobs: list) -> list:
    """Run jobs on up to two worker processes (started clean, not forked from pytest), shared by
    all exercises of this module; in-process on a single core."""
    global _POOL
    workers = min(2, os.cpu_count() or 1)
    if workers == 1:
        return [_run_one(job) for job in jobs]
    if _POOL is None:
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        _POOL = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
    return list(_POOL.map(_run_one, jobs))


@pytest.fixture(scope="module", autouse=True)
def _stop_workers():
    yield
    if _POOL is not None:
        _POOL.shutdown()


@functools.cache
def results(exercise: str, seeds: tuple[int, ...] = SEEDS, only: tuple[str, ...] | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Scenario -> KPI -> array over ``seeds`` (run once per exercise; ``only`` some scenarios)."""
    scenarios = {name: ov for name, ov in SCENARIOS[exercise].items() if only is None or name in only}
    rows = _map([(overrides, seed) for overrides in scenarios.values() for seed in seeds])
    out: dict[str, dict[str, np.ndarray]] = {}
    for i, name in enumerate(scenarios):
        chunk = rows[i * len(seeds):(i + 1) * len(seeds)]
        out[name] = {k: np.array([r[k] for r in chunk]) for k in chunk[0]}
    return out


# ---------------------------------------------------------------------------------------------
# Checks


def paired(r: dict, a: str, b: str, kpi: str) -> tuple[np.ndarray, float, float]:
    """Per-seed differences b - a, their mean and the standard error of the mean."""
    d = r[b][kpi] - r[a][kpi]
    return d, float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size))


def rises(r: dict, a: str, b: str, kpi: str, z: float = 3.0) -> np.ndarray:
    """``kpi`` is higher in scenario ``b`` than in ``a`` by more than ``z`` standard errors."""
    d, mean, se = paired(r, a, b, kpi)
    assert mean > z * se and mean > 0, f"{kpi}: {b} - {a} = {mean:+.4g} (se {se:.3g}); expected a rise beyond {z} se"
    return d


def falls(r: dict, a: str, b: str, kpi: str, z: float = 3.0) -> np.ndarray:
    """``kpi`` is lower in scenario ``b`` than in ``a`` by more than ``z`` standard errors."""
    d, mean, se = paired(r, a, b, kpi)
    assert mean < -z * se and mean < 0, f"{kpi}: {b} - {a} = {mean:+.4g} (se {se:.3g}); expected a fall beyond {z} se"
    return d


def about(value: float, stated: float, rel: float = 0.15) -> None:
    """A stated magnitude "about ``stated``": ``value`` within ``rel`` (15%) of it."""
    assert abs(value - stated) <= rel * abs(stated), f"measured {value:.4g}, the exercise says about {stated:g} (±{rel:.0%})"


def mean(r: dict, scenario: str, kpi: str) -> float:
    return float(r[scenario][kpi].mean())


def changes(r: dict, a: str, b: str, kpi: str, frm: float, to: float) -> None:
    """"``kpi`` goes from about ``frm`` (in ``a``) to about ``to`` (in ``b``)": both levels, the
    paired change within half the stated change either side, and the direction beyond 3 se."""
    about(mean(r, a, kpi), frm)
    about(mean(r, b, kpi), to)
    (rises if to > frm else falls)(r, a, b, kpi)
    d = float((r[b][kpi] - r[a][kpi]).mean())
    stated = to - frm
    assert abs(d - stated) <= 0.5 * abs(stated), f"{kpi}: change {d:+.4g}, the exercise says about {stated:+.4g}"


def same(r: dict, a: str, b: str, kpi: str, within: float) -> None:
    """``kpi`` differs between ``a`` and ``b`` by less than ``within`` on average."""
    d = float((r[b][kpi] - r[a][kpi]).mean())
    assert abs(d) < within, f"{kpi}: {b} - {a} = {d:+.4g}; the exercise says it hardly changes (< {within:g})"


# ---------------------------------------------------------------------------------------------
# Exercise 1 - incentives


def test_ex01_matched_rewards_raise_active_volunteers():
    """Matched rewards instead of the top bonus, for the same money, raise the number of active
    volunteers at day 120 from about 71 to about 91, in every one of the 12 seeds."""
    r = results("01")
    changes(r, "top_bonus", "matched", "active_volunteers", 71, 91)
    d, _, _ = paired(r, "top_bonus", "matched", "active_volunteers")
    assert (d > 0).all(), f"active volunteers not higher with matched rewards in seeds {[s for s, x in zip(SEEDS, d) if x <= 0]}"


def test_ex01_no_incentive_beats_the_top_bonus():
    """Dropping the top bonus altogether (scheme none) raises active volunteers almost as much, to
    about 87: the small bonus does worse than no incentive at all."""
    r = results("01")
    rises(r, "top_bonus", "none", "active_volunteers")
    about(mean(r, "none", "active_volunteers"), 87)
    gain_none = mean(r, "none", "active_volunteers") - mean(r, "top_bonus", "active_volunteers")
    gain_matched = mean(r, "matched", "active_volunteers") - mean(r, "top_bonus", "active_volunteers")
    assert 0.5 * gain_matched < gain_none <= gain_matched, (gain_none, gain_matched)


def test_ex01_motivation_and_active_share():
    """Volunteers' mean motivation rises from about 0.50 to about 0.56 with matched rewards, and
    the share of registered volunteers who are active from about 55% to about 65%."""
    r = results("01")
    changes(r, "top_bonus", "matched", "mean_motivation", 0.50, 0.56)
    changes(r, "top_bonus", "matched", "active_share", 0.55, 0.65)


def test_ex01_more_and_younger_registrations():
    """About 56 residents a year register instead of about 33, and the team gets younger: the
    share aged 60+ falls from about 36% to about 31%, and the share aged 18-34 rises from about 14%
    to about 16% (among residents: 19% and 30%; over seeds 1-36: the team's age mix is a share of
    about a hundred volunteers)."""
    # Seeds 1-36, not 1-12: with about a hundred volunteers, the 18-34 share's paired rise of about
    # two points has a standard deviation of about two points per seed, so 12 seeds clear the
    # 3-standard-error bar only by luck (z = 8.1 on one random stream, 2.3 on another that is the
    # same model in distribution); 36 seeds give z of about 5.4 on both
    # (benchmarks/README.md, "The exercises over more seeds").
    r = results("01", SEEDS_36, ("top_bonus", "matched"))
    changes(r, "top_bonus", "matched", "registrations_per_year", 33, 56)
    changes(r, "top_bonus", "matched", "team_share_older", 0.36, 0.31)
    changes(r, "top_bonus", "matched", "team_share_young", 0.14, 0.17)
    about(mean(r, "matched", "resident_share_older"), 0.19)
    about(mean(r, "matched", "resident_share_young"), 0.30)


def test_ex01_strategy_index():
    """The strategy index of the five-factor chart rises from about 0.42 to about 0.52."""
    changes(results("01"), "top_bonus", "matched", "factor_strategy", 0.42, 0.52)


def test_ex01_larger_budget():
    """With path 4's budget of 150,000 CNY a year per 20,000 residents instead of 30,000, matched
    rewards raise active volunteers further, to about 98."""
    r = results("01")
    rises(r, "matched", "matched_150k", "active_volunteers")
    about(mean(r, "matched_150k", "active_volunteers"), 98)


# ---------------------------------------------------------------------------------------------
# Exercise 2 - who participates


def test_ex02_partnerships_and_drives_bring_students():
    """University partnerships together with recruitment drives raise students' share of the team
    from about 3.6% to about 5.4% (among residents: 7.4%); drives alone or partnerships alone move
    it by less than one percentage point."""
    r = results("02")
    changes(r, "status_quo", "drives_partnership", "team_share_students", 0.036, 0.054)
    about(mean(r, "status_quo", "resident_share_students"), 0.074)
    same(r, "status_quo", "drives", "team_share_students", within=0.01)
    same(r, "status_quo", "partnership", "team_share_students", within=0.01)


def test_ex02_professionals_stay_few():
    """Four drives a year aimed at law, counselling and medical professionals leave their share of
    the team at about 1.5% (among residents: 2.1%)."""
    r = results("02")
    about(mean(r, "status_quo", "team_share_professionals"), 0.015)
    about(mean(r, "drives", "team_share_professionals"), 0.015)
    same(r, "status_quo", "drives", "team_share_professionals", within=0.005)
    about(mean(r, "status_quo", "resident_share_professionals"), 0.021)


def test_ex02_role_clarity_cuts_dropout():
    """Raising role clarity from 0.3 to 0.8 cuts annual dropout from about 24% to about 13%, lower
    in at least 9 seeds of 10 (over seeds 1-36: a run's dropout counts only about five to ten lapses)."""
    # Seeds 1-36: the mean of 12 seeds of annual dropout with clear roles moves by about 0.02
    # between random streams (0.116 and 0.156 on two streams that agree over 60 seeds: 0.126 and
    # 0.132), more than the 15% the magnitude check allows.
    r = results("02", SEEDS_36, ("status_quo", "clarity"))
    changes(r, "status_quo", "clarity", "annual_dropout", 0.24, 0.13)
    d, _, _ = paired(r, "status_quo", "clarity", "annual_dropout")
    assert (d < 0).mean() >= 0.9, f"dropout not lower with clear roles in seeds {[s for s, x in zip(SEEDS_36, d) if x >= 0]}"


def test_ex02_role_clarity_raises_activity():
    """With clearer roles, active volunteers rise from about 71 to about 86 and the strategy index
    from about 0.42 to about 0.56."""
    r = results("02")
    changes(r, "status_quo", "clarity", "active_volunteers", 71, 86)
    changes(r, "status_quo", "clarity", "factor_strategy", 0.42, 0.56)


def test_ex02_costs():
    """Clearer roles cost about 26,000 CNY a year in this village; drives and partnerships together
    about 130,000."""
    r = results("02")
    about(mean(r, "clarity", "spending_cny_per_year") - mean(r, "status_quo", "spending_cny_per_year"), 26_000)
    about(mean(r, "drives_partnership", "spending_cny_per_year") - mean(r, "status_quo", "spending_cny_per_year"), 130_000)


# ---------------------------------------------------------------------------------------------
# Exercise 3 - channels and dialogue


def test_ex03_channels_raise_reporting():
    """Opening the app, grassroots social organizations and joint meetings as channels raises the
    reporting rate from about 56% to about 77% (over seeds 1-36: one run's reporting rate is a
    share of only about ten reportable events)."""
    # Seeds 1-36, not 1-12: a run's reporting rate is reports / reportable events with about ten
    # reportable events in 120 days, so the paired differences have a standard deviation of about
    # 0.21 for a mean rise of about 0.21. With 12 seeds the expected z is about 3.4, and the
    # 3-standard-error bar is passed only about 60% of the time (seeds 1-12 give z = 2.94,
    # seeds 13-24 3.74, 25-36 4.10, 37-48 2.87); with 36 seeds the expected z is about 5.9 and the
    # same bar is passed with over 99% probability.
    # Which side of the bar 12 seeds land on depends on the exact draws, and those differ between
    # CPUs: NumPy's AVX-512 kernels round sums, exp and log differently from its AVX2 ones. On an
    # AVX2 machine (or with AVX-512 disabled, NPY_DISABLE_CPU_FEATURES) seeds 1-12 give +0.2019
    # (se 0.0687); the numbers first quoted (54% -> 76%) came from seeds 1-12 on another machine.
    r = results("03", SEEDS_36, ("status_quo", "channels"))
    changes(r, "status_quo", "channels", "reporting_rate", 0.56, 0.77)


def test_ex03_channels_leave_mobile_satisfaction():
    """These channels leave the mobile population's satisfaction where it was, at about 0.70."""
    r = results("03")
    about(mean(r, "channels", "mobile_satisfaction"), 0.70)
    same(r, "status_quo", "channels", "mobile_satisfaction", within=0.005)


def test_ex03_dialogue_raises_mobile_satisfaction():
    """Raising the mobile population's weight on the agenda from 0.2 to 0.7 lifts their
    satisfaction from about 0.70 to about 0.73 in every seed, while the satisfaction of residents
    with local household registration stays at about 0.80."""
    r = results("03")
    changes(r, "status_quo", "dialogue", "mobile_satisfaction", 0.70, 0.73)
    d, _, _ = paired(r, "status_quo", "dialogue", "mobile_satisfaction")
    assert (d > 0).all()
    about(mean(r, "dialogue", "registered_satisfaction"), 0.80)
    same(r, "status_quo", "dialogue", "registered_satisfaction", within=0.005)


def test_ex03_mobile_residents_join():
    """With that weight, the mobile population's share of the volunteer team rises from about 8% to
    about 14%, and to about 18% with the new channels as well, close to their share of the
    residents (18%)."""
    r = results("03")
    changes(r, "status_quo", "dialogue", "team_share_mobile", 0.08, 0.14)
    changes(r, "status_quo", "both", "team_share_mobile", 0.08, 0.18)
    rises(r, "dialogue", "both", "team_share_mobile")
    about(mean(r, "status_quo", "resident_share_mobile"), 0.18)


def test_ex03_costs():
    """The three channels add about 180,000 CNY a year to spending; the weight on the agenda costs
    nothing by itself."""
    r = results("03")
    about(mean(r, "channels", "spending_cny_per_year") - mean(r, "status_quo", "spending_cny_per_year"), 180_000)
    same(r, "status_quo", "dialogue", "spending_cny_per_year", within=1.0)


# ---------------------------------------------------------------------------------------------
# Exercise 4 - anti-fraud warnings


def test_ex04_targeted_warnings_protect_the_older():
    """Targeted warnings by volunteers cut the expected fraud victimisation of residents aged 60+
    from about 4.6 to about 3.4 per 1,000 a year, about a quarter, compared with mass messages, in
    every seed."""
    r = results("04")
    kpi = "expected_fraud_victims_older_per_1000"
    changes(r, "mass", "targeted", kpi, 4.6, 3.4)
    d, _, _ = paired(r, "mass", "targeted", kpi)
    assert (d < 0).all()
    cut = 1 - mean(r, "targeted", kpi) / mean(r, "mass", kpi)
    assert 0.15 <= cut <= 0.35, f"cut {cut:.0%}; the exercise says about a quarter"


def test_ex04_mass_messages_make_little_difference():
    """Mass messages make almost no difference: 60+ victimisation with them is within 5% of that
    with no warnings at all (about 4.7)."""
    r = results("04")
    kpi = "expected_fraud_victims_older_per_1000"
    about(mean(r, "none", kpi), 4.7)
    assert abs(mean(r, "mass", kpi) / mean(r, "none", kpi) - 1) < 0.05


def test_ex04_all_residents():
    """Across all residents, expected victims fall from about 3.6 to about 3.1 per 1,000 a year
    with targeted warnings."""
    changes(results("04"), "mass", "targeted", "expected_fraud_victims_per_1000", 3.6, 3.1)


def test_ex04_same_cost():
    """All three runs cost the same: the warnings are given by volunteers during their shifts."""
    r = results("04")
    same(r, "mass", "targeted", "spending_cny_per_year", within=1.0)
    same(r, "mass", "none", "spending_cny_per_year", within=1.0)


def _fraud_victims(r: dict, scenario: str) -> np.ndarray:
    s = r[scenario]
    return s["fraud_victims_per_1000"] * s["real_residents"] / 1000 * s["days"] / 365


def test_ex04_single_runs_are_noisy():
    """In a single run the page's fraud chart counts actual victims, only about two in 120 days in
    a village of 2,000, so one run can show more victims with targeted warnings than with mass
    messages."""
    r = results("04")
    mass, targeted = _fraud_victims(r, "mass"), _fraud_victims(r, "targeted")
    about(float(mass.mean()), 2, rel=0.5)
    assert (targeted > mass).any(), "no seed shows more actual victims with targeted warnings"


# ---------------------------------------------------------------------------------------------
# Exercise 5 - where patrols go


def test_ex05_risk_based_patrols_prevent_more():
    """Sending patrols by risk instead of uniformly cuts expected property and public-order
    incidents from about 9.1 to about 7.9 per 1,000 residents a year, in every seed, with the same
    volunteers and no extra spending."""
    r = results("05")
    changes(r, "uniform", "risk", "expected_incidents_per_1000", 9.1, 7.9)
    d, _, _ = paired(r, "uniform", "risk", "expected_incidents_per_1000")
    assert (d < 0).all()
    for kpi in ("volunteer_hours", "active_volunteers", "spending_cny_per_year"):
        same(r, "uniform", "risk", kpi, within=1e-6)


def test_ex05_guardianship_and_efficiency():
    """The share of expected incidents prevented by volunteer patrols rises from about 16% to about
    26%, and incidents prevented per 1,000 volunteer-hours from about 0.34 to about 0.57."""
    r = results("05")
    changes(r, "uniform", "risk", "guardianship_reduction", 0.16, 0.26)
    changes(r, "uniform", "risk", "participation_efficiency", 0.34, 0.57)


def test_ex05_hot_spot_share():
    """The hottest place's share of expected incidents falls from about 53% to about 47%."""
    changes(results("05"), "uniform", "risk", "expected_concentration_top5", 0.53, 0.47)


def test_ex05_allocation_index():
    """The resource-allocation index rises from about 0.39 to about 0.75; need-based patrols land
    in between (about 0.59, with about 8.6 expected incidents)."""
    r = results("05")
    changes(r, "uniform", "risk", "factor_allocation", 0.39, 0.75)
    need = mean(r, "need", "factor_allocation")
    about(need, 0.59)
    assert mean(r, "uniform", "factor_allocation") < need < mean(r, "risk", "factor_allocation")
    about(mean(r, "need", "expected_incidents_per_1000"), 8.6)
    rises(r, "risk", "need", "expected_incidents_per_1000")
    falls(r, "uniform", "need", "expected_incidents_per_1000")


def test_ex05_single_runs_are_noisy():
    """A single run shows only about five actual incidents in 120 days, and in some seeds
    risk-based patrols show more of them than uniform patrols; the expected counts are lower in
    every seed."""
    r = results("05")
    about(mean(r, "uniform", "incidents_total"), 5, rel=0.5)
    assert (r["risk"]["incidents_total"] > r["uniform"]["incidents_total"]).any(), "no seed shows more actual incidents with risk-based patrols"
    assert (r["risk"]["expected_incidents_per_1000"] < r["uniform"]["expected_incidents_per_1000"]).all()


# ---------------------------------------------------------------------------------------------
# Exercise 6 - the four paths side by side

FACTORS = ("subject", "culture", "system", "allocation", "strategy")


def test_ex06_path1():
    """Path 1 barely moves the subject index (about 0.83 to 0.84) but lifts the strategy index from
    about 0.42 to about 0.55, because clearer roles cut dropout from about 24% to about 13% (dropout
    over seeds 1-36, as in exercise 2)."""
    r = results("06")
    about(mean(r, "status_quo", "factor_subject"), 0.83)
    about(mean(r, "p1_subjects", "factor_subject"), 0.84)
    same(r, "status_quo", "p1_subjects", "factor_subject", within=0.03)
    changes(r, "status_quo", "p1_subjects", "factor_strategy", 0.42, 0.55)
    changes(results("06", SEEDS_36, ("status_quo", "p1_subjects")), "status_quo", "p1_subjects", "annual_dropout", 0.24, 0.13)


def test_ex06_path2():
    """Path 2 raises the reporting rate from about 54% to about 86% and the mobile population's
    satisfaction from about 0.70 to about 0.74."""
    r = results("06")
    changes(r, "status_quo", "p2_systems", "reporting_rate", 0.54, 0.86)
    changes(r, "status_quo", "p2_systems", "mobile_satisfaction", 0.70, 0.74)


def test_ex06_path3():
    """Path 3 raises the culture index from about 0.24 to about 0.27 and cuts expected fraud victims
    from about 3.6 to about 3.2 per 1,000 residents a year."""
    r = results("06")
    changes(r, "status_quo", "p3_culture", "factor_culture", 0.24, 0.27)
    changes(r, "status_quo", "p3_culture", "expected_fraud_victims_per_1000", 3.6, 3.2)


def test_ex06_path4():
    """Path 4 raises the allocation index from about 0.39 to about 0.75 and cuts expected incidents
    more than any other single path, from about 9.1 to about 7.7 per 1,000 residents a year."""
    r = results("06")
    changes(r, "status_quo", "p4_strategies", "factor_allocation", 0.39, 0.75)
    changes(r, "status_quo", "p4_strategies", "expected_incidents_per_1000", 9.1, 7.7)
    for other in ("p1_subjects", "p2_systems", "p3_culture"):
        falls(r, other, "p4_strategies", "expected_incidents_per_1000")


def test_ex06_culture_binds():
    """Averaged over the seeds, culture is the lowest of the five indices under the status quo,
    under every path and under all paths together; in single runs the system index, which counts
    only the last 30 days of reports, sometimes dips below it."""
    r = results("06")
    for scenario in _PATHS:
        means = {f: mean(r, scenario, f"factor_{f}") for f in FACTORS}
        assert min(means, key=means.get) == "culture", (scenario, means)
    sq = r["status_quo"]
    assert (sq["factor_system"] < sq["factor_culture"]).any()


def test_ex06_all_paths():
    """All paths together cost about four times the status quo (about 1.6 million against 0.39
    million CNY a year) and nearly double the active volunteers (about 136 against 71), yet cut
    expected incidents no more than path 4 alone (about 7.75 against 7.71), because the bundle
    sends patrols by need rather than by risk; with risk-based patrols it reaches about 7.25."""
    r = results("06")
    cost = "spending_cny_per_year"
    about(mean(r, "all_paths", cost), 1_600_000)
    about(mean(r, "status_quo", cost), 390_000)
    about(mean(r, "all_paths", cost) / mean(r, "status_quo", cost), 4)
    changes(r, "status_quo", "all_paths", "active_volunteers", 71, 136)
    kpi = "expected_incidents_per_1000"
    about(mean(r, "all_paths", kpi), 7.75)
    about(mean(r, "p4_strategies", kpi), 7.71)
    _, m, se = paired(r, "p4_strategies", "all_paths", kpi)
    assert m > -2 * se, f"all paths cut expected incidents more than path 4 ({m:+.3f}, se {se:.3f})"
    assert mean(r, "all_paths", "factor_allocation") < mean(r, "p4_strategies", "factor_allocation")
    falls(r, "p4_strategies", "all_paths_risk", kpi)
    about(mean(r, "all_paths_risk", kpi), 7.25)


# ---------------------------------------------------------------------------------------------
# The script version of exercise 1, the compare specs, the page's village, and the texts in sync


def test_exercise_script_runs_and_all_observations_hold():
    """docs/teaching/exercise_incentives.py prints the scenario table and exits 0 (all hold)."""
    proc = subprocess.run([sys.executable, str(TEACHING / "exercise_incentives.py")], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    header = next((line for line in out.splitlines() if line.startswith("scenario")), "")
    for column in ("active", "registered", "motivation", "60+", "18-34", "strategy"):
        assert column in header, header
    for scenario in SCENARIOS["01"]:
        assert re.search(rf"^{scenario}\s+\d", out, re.M), f"no table row for {scenario}"
    assert "observations hold: 6 of 6" in out, out


def test_compare_specs_match_the_exercises():
    """configs/teaching/exNN_*.yaml (for ``safetysim compare``) run the exercises' scenarios."""
    from experiments.design.spec import load_spec

    for number, scenarios in SCENARIOS.items():
        (spec_file,) = (REPO / "configs" / "teaching").glob(f"ex{number}_*.yaml")
        spec = load_spec(spec_file)
        assert spec.resolved_base() == CONFIG
        assert spec.reference == next(iter(scenarios))
        assert spec.replicates == len(SEEDS)
        resolved = {name: {k: v for k, v in ov.items() if k.startswith("levers.")} for name, ov in spec.resolved_scenarios()}
        assert resolved == scenarios, spec_file.name


def test_exercise_config_is_the_page_village_at_2000():
    """The exercises' config is the teaching page's village with the population slider at 2,000."""
    from simulation.teaching.controls import TeachingModel

    page = TeachingModel(n_residents=2000, seed=3, levers__allocation__rule="risk")
    page.run_model()
    headless = run(CONFIG, seed=3, overrides={"levers.allocation.rule": "risk"}).summary
    for kpi in ("active_volunteers", "expected_incidents_per_1000", "factor_allocation", "spending_cny_per_year"):
        assert page.summary()[kpi] == headless[kpi], kpi


def _normal(text: str) -> str:
    return " ".join(text.replace("*", "").replace("`", "").split())


def _observations(markdown: str) -> list[str]:
    """The numbered items of the "What you should observe" section."""
    section = re.search(r"^## What you should observe\n(.*?)(?=^## )", markdown, re.M | re.S)
    assert section, "no '## What you should observe' section"
    items = re.split(r"^\d+\. ", section.group(1), flags=re.M)[1:]
    return [_normal(item) for item in items]


def test_statements_and_tests_in_sync():
    """Every observation in an exercise has a test quoting it, and every test quotes one."""
    tests = {name: obj for name, obj in globals().items() if name.startswith("test_ex") and name[7:9].isdigit()}
    for number in SCENARIOS:
        (md_file,) = TEACHING.glob(f"{number}_*.md")
        stated = _observations(md_file.read_text(encoding="utf-8"))
        quoted = [_normal(obj.__doc__) for name, obj in tests.items() if name.startswith(f"test_ex{number}_")]
        assert stated, md_file.name
        assert sorted(stated) == sorted(quoted), (
            f"{md_file.name}: observations without a test: {[s for s in stated if s not in quoted]}; "
            f"tests quoting no observation: {[q for q in quoted if q not in stated]}")
