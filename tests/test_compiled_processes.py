"""The compiled process loops make the numpy code's draws, sums and steps: the same numbers.

``simulation.compiled_processes`` moves the small-array work of whole processes (incidents and
reporting with their random draws, registration's and learning's candidates, feedback's signals)
into one compiled call each.  Here the summation order is
checked against numpy directly, and worlds are run both ways over several seeds and with each
kind of incident (and feedback, reporting) switched off in turn and with a district table: every record, every population column, the
smoothed community signals and the incidents stream's final state must match.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation import kernels, load_config
from simulation.model import CommunitySafetyModel
from tests.test_kernels import run_world

# Incidents at places, disputes, emergencies and successful frauds several times as often as in the
# baseline, so each branch runs within 40 days.
WORLD = {"world": {"n_residents": 3000, "n_districts": 1, "communities_per_district": 3},
         "run": {"days": 40, "warmup_days": 5},
         "incidents": {"disputes_per_1000_per_year": 200.0, "emergencies_per_1000_per_year": 30.0, "fraud_success_base": 0.05,
                       "property_per_1000_per_year": 90.0, "public_order_per_1000_per_year": 60.0}}


@pytest.fixture(scope="module")
def loops():
    if not kernels.preload():
        pytest.skip("numba is not installed")
    from simulation import compiled_processes

    return compiled_processes


def _draws(rng, n):
    # every generator method the loops call, each at more than one branch of numpy's algorithm
    out = np.empty(8 * n)
    for i in range(n):
        j = 8 * i
        out[j] = rng.random()
        out[j + 1] = rng.poisson(0.3 + 4.0 * i)  # numpy's multiplication method below 10, PTRS above
        out[j + 2] = rng.binomial(20 + 50 * i, 0.02 + 0.1 * (i % 5))  # inversion and BTPE
        out[j + 3] = rng.integers(0, 1 + 37 * i)
        out[j + 4] = rng.lognormal(0.5, 1.0)
        out[j + 5] = rng.beta(2.0, 3.0)
        out[j + 6] = rng.integers(0, 2**40)
        out[j + 7] = rng.random()
    return out


def test_a_generator_handed_over_by_its_addresses_draws_as_numbas(loops):
    """The loops take a generator as the addresses of its bit generator (``bits_of``) and rebuild
    numba's generator from them: the same draws as numba's own boxed generator and numpy's, and
    the numpy generator left in the same state."""
    import numba

    draws = numba.njit(_draws)
    generator_of = loops._generator_of

    @numba.njit
    def by_address(bits, n):
        return draws(generator_of(bits), n)

    for seed in range(20):
        a, b, c = (np.random.default_rng(seed) for _ in range(3))
        got = by_address(loops.bits_of(a), 12)
        assert np.array_equal(got, draws(b, 12))
        assert a.bit_generator.state == b.bit_generator.state
        # and numpy's own methods, in the same order
        want = []
        for i in range(12):
            want += [c.random(), c.poisson(0.3 + 4.0 * i), c.binomial(20 + 50 * i, 0.02 + 0.1 * (i % 5)),
                     c.integers(0, 1 + 37 * i), c.lognormal(0.5, 1.0), c.beta(2.0, 3.0), c.integers(0, 2**40), c.random()]
        assert np.array_equal(got, np.array(want, dtype=np.float64)) and a.bit_generator.state == c.bit_generator.state
    rng = np.random.default_rng(1)
    assert loops.bits_of(rng) is loops.bits_of(rng)  # looked up once per generator


def test_pairwise_sum_is_numpys_sum(loops):
    rng = np.random.default_rng(3)
    sizes = list(range(0, 300)) + [511, 1000, 1031, 4097, 20_000, 100_003]
    for n in sizes:
        a = rng.random(n + 5) * rng.lognormal(0.0, 3.0, n + 5)  # wide range: order shows in the last bits
        for lo in (0, 5):
            assert loops.pairwise_sum(a, lo, n) == np.ascontiguousarray(a[lo:lo + n]).sum(), (n, lo)


def _run(monkeypatch, compiled: bool, overrides: dict, seed: int) -> CommunitySafetyModel:
    return run_world(monkeypatch, WORLD, compiled, overrides, seed)


def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


@pytest.mark.parametrize("overrides", [
    {},
    {"processes.property_incidents": False},
    {"processes.fraud": False, "incidents.fraud_loss_mean_cny": 0.0},
    {"processes.disputes": False, "processes.emergencies": False},
    {"processes.levers": False, "incidents.fraud_attempts_per_person_per_year": 3.0},
    {"processes.participation": False},  # no volunteer on duty: no dispute is mediated
    {"processes.feedback": False, "processes.reporting": False},
    {"world.districts": [{"name": "C", "residents": 1500, "urban_type": "core", "communities": 2},  # travel hours
                         {"name": "R", "residents": 1500, "urban_type": "rural_mountain", "communities": 1}]},
    {"levers.allocation.rule": "risk", "levers.publicity.anti_fraud": "targeted"},
], ids=["all_on", "no_places", "no_fraud", "no_disputes_emergencies", "much_fraud", "no_volunteers",
        "no_feedback_no_reporting", "district_table", "risk_rule"])
def test_compiled_processes_match_numpy(monkeypatch, loops, overrides):
    totals: dict[str, float] = {}
    for seed in (1, 2, 3):
        a = _run(monkeypatch, False, overrides, seed)
        b = _run(monkeypatch, True, overrides, seed)
        assert a.streams["incidents"].bit_generator.state == b.streams["incidents"].bit_generator.state
        assert len(a.records) == len(b.records) == 40
        for ra, rb in zip(a.records, b.records):
            assert ra.keys() == rb.keys()
            assert all(_same(ra[k], rb[k]) for k in ra), [k for k in ra if not _same(ra[k], rb[k])]
        for name, column in vars(a.pop).items():
            if isinstance(column, np.ndarray):
                assert np.array_equal(column, getattr(b.pop, name), equal_nan=True), name
        assert np.array_equal(a.place_incidents, b.place_incidents)
        assert np.array_equal(a.place_expected, b.place_expected)
        assert np.array_equal(a.community_incidents, b.community_incidents)
        for ema in ("presence_ema", "place_reported_ema", "incident_ema"):
            assert np.array_equal(getattr(a, ema), getattr(b, ema)), ema
        assert np.array_equal(a.police.backlog, b.police.backlog)
        assert np.array_equal(a.response_hours_today, b.response_hours_today)
        assert a.constraint_counts == b.constraint_counts
        for name in ("incidents", "reporting", "participation", "publicity"):
            assert a.streams[name].bit_generator.state == b.streams[name].bit_generator.state, name
        for k in ("property_incidents", "fraud_victims", "disputes_escalated", "emergencies_first_response"):
            totals[k] = totals.get(k, 0) + sum(r.get(k, 0) for r in b.records)
    # the runs saw incidents of every kind that was on (the comparison is not vacuous)
    if overrides.get("processes.property_incidents", True):
        assert totals["property_incidents"] > 0
    if overrides.get("processes.fraud", True):
        assert totals["fraud_victims"] > 0
    if overrides.get("processes.disputes", True):
        assert totals["disputes_escalated"] > 0
        if overrides.get("processes.participation", True):
            assert totals["emergencies_first_response"] > 0


def test_loaded_from_cache_without_compiling_again(loops):
    """The loops are module-level functions, so numba's cache serves them in a new process."""
    import subprocess
    import sys
    import time

    code = ("import time, sys; t = time.perf_counter(); from simulation import kernels; kernels.preload(); "
            "from simulation import compiled_processes as c; "
            "print(time.perf_counter() - t, len(c.incidents_day.stats.cache_hits), len(c.incidents_day.stats.cache_misses))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    hits, misses = int(out[1]), int(out[2])
    assert hits >= 1 and misses == 0, out


@pytest.mark.parametrize("paths", ["status_quo", "all_paths"])
def test_candidates_and_their_propensity_and_hazard_match_numpy(loops, paths):
    """Registration's and learning's candidates, drawn at a high bound so that hundreds are
    compared at once: the same rows as numpy's draw, and propensity and hazard bit for bit."""
    from simulation.paths import lever_overrides
    from simulation.population import VolunteerState
    from simulation.processes import participation, publicity

    cfg = load_config("configs/baseline.yaml").with_overrides(lever_overrides(paths))
    model = CommunitySafetyModel(cfg, seed=11)
    for _ in range(20):  # some residents informed, some registered
        model.step()
    pop, d = model.pop, model.cfg.diffusion
    for seed in range(5):
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        rows, prop = participation._candidates_compiled(model, a, 0.04)
        expected = participation.thinning_draw(b, pop.n, 0.04)
        expected = expected[pop.informed[expected] & (pop.vol_state[expected] == VolunteerState.NONE)]
        assert rows.size > 100 and np.array_equal(rows, expected)
        assert prop.dtype == np.float32 and np.array_equal(prop, participation.propensity(model, rows))
        assert a.bit_generator.state == b.bit_generator.state
        for campaign in (False, True):
            a, b = np.random.default_rng(seed), np.random.default_rng(seed)
            pub = model.levers["publicity"]
            rows, hazard, k = kernels.loops().learning_candidates(
                kernels.loops().bits_of(a), pop.n, 0.04, pop.informed, True, d.p_media, campaign, np.float32(d.campaign_hazard_per_year),
                pub.reach_by_age, pop.age, True, d.q_word_of_mouth, model.network.degree, model.nb_informed)
            expected = publicity.thinning_draw(b, pop.n, 0.04)
            expected = expected[~pop.informed[expected]]
            want = np.zeros(expected.size) + d.p_media
            if campaign:
                want += d.campaign_hazard_per_year * pub.reach_by_age[pop.age[expected]]
            want += d.q_word_of_mouth * model.nb_informed[expected] / np.maximum(model.network.degree[expected], 1)
            assert k == -1 and rows.size > 100 and np.array_equal(rows, expected)
            assert np.array_equal(hazard, want)


def test_thinning_left_to_numpy_gives_the_same_run(monkeypatch, loops):
    """Above kernels.THINNING_MAX_ROWS expected rows (a large world) the compiled loops leave the
    thinning draws to numpy: the run is the same either way."""
    a = _run(monkeypatch, False, {}, seed=4)
    monkeypatch.setattr(kernels, "THINNING_MAX_ROWS", 0)
    b = _run(monkeypatch, True, {}, seed=4)
    assert not kernels.thinning_in_loops(b, 1e-3)
    assert a.records == b.records or all(all(_same(ra[k], rb[k]) for k in ra) for ra, rb in zip(a.records, b.records))
    for name, column in vars(a.pop).items():
        if isinstance(column, np.ndarray):
            assert np.array_equal(column, getattr(b.pop, name), equal_nan=True), name


def test_numpys_tail_shuffle_case_after_the_compiled_count(loops):
    """Many rows of a large population: numpy's choice switches to a tail shuffle, which the loop
    leaves to numpy after drawing the count — the same rows and stream as numpy alone."""
    from simulation.population import VolunteerState
    from simulation.processes import participation, publicity

    model = CommunitySafetyModel(load_config("configs/baseline.yaml"), seed=2)
    pop = model.pop
    for seed in range(3):
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        rows, prop = participation._candidates_compiled(model, a, 0.2)  # ~4,000 rows of 20,000
        expected = participation.thinning_draw(b, pop.n, 0.2)
        assert expected.size > pop.n // 20
        expected = expected[pop.informed[expected] & (pop.vol_state[expected] == VolunteerState.NONE)]
        assert np.array_equal(rows, expected) and np.array_equal(prop, participation.propensity(model, rows))
        assert a.bit_generator.state == b.bit_generator.state
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        _rows, _hazard, k = kernels.loops().learning_candidates(
            kernels.loops().bits_of(a), pop.n, 0.2, pop.informed, True, 0.1, False, np.float32(1.0), model.levers["publicity"].reach_by_age,
            pop.age, True, 0.2, model.network.degree, model.nb_informed)
        assert k == int(b.binomial(pop.n, 0.2)) and a.bit_generator.state == b.bit_generator.state
    assert publicity.thinning_draw is participation.thinning_draw
