"""The city configuration, scaled down: the same code path as the whole city (vectorized network
builder, no agent views) in seconds.  The full-size run is a benchmark (benchmarks/scaling.py)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import scaling
from simulation import load_config
from simulation.model import CommunitySafetyModel
from simulation.network import Network, _csr_from_edges

CITY = "configs/hangzhou_city.yaml"


def test_city_config_states_hangzhou():
    cfg = load_config(CITY)
    w = cfg.world
    assert w.n_residents == 12_522_000 and w.scale == 1.0
    assert w.n_districts == 13 and len(w.districts) == 13  # the district table
    from simulation.districts import build_layout
    assert 3_000 <= build_layout(cfg).n_communities <= 3_500
    assert w.initial_volunteer_share * w.n_residents == pytest.approx(1_000_000, rel=0.01)
    assert w.mobile_share == pytest.approx(0.18) and w.age_older == pytest.approx(0.196)
    assert w.agent_views == "none" and cfg.network.builder == "vectorized"
    assert cfg.run.days == 365
    assert all(getattr(cfg.processes, p) for p in type(cfg.processes).model_fields)  # every process on


@pytest.fixture(scope="module")
def small_city():
    cfg = load_config(CITY).with_overrides({
        "world.districts": None, "world.n_residents": 50_000, "world.n_districts": 3, "world.communities_per_district": 4,
        "run.days": 8, "run.warmup_days": 2,
    })
    model = CommunitySafetyModel(cfg)
    model.run_model()
    return model


def test_small_city_runs_on_the_city_code_path(small_city):
    m = small_city
    assert not m._views and len(m.agents) == 0  # no Mesa object per person
    assert m.cfg.network.builder == "vectorized"
    assert len(m.records) == 8
    s = m.summary()
    assert s["registered_volunteers"] == pytest.approx(0.08 * 50_000, rel=0.1)
    assert s["active_volunteers"] > 0 and s["incidents_total"] >= 0
    assert m.resident(123).row == 123  # views on demand still work


def test_city_network_is_symmetric_and_simple(small_city):
    net = small_city.network
    rows = np.repeat(np.arange(net.n), net.degree)
    assert np.all(rows != net.indices)  # no self-ties
    key = rows.astype(np.int64) * net.n + net.indices
    assert np.all(np.diff(key) > 0)  # rows sorted, neighbours ascending, no duplicates
    mirror = np.sort(net.indices.astype(np.int64) * net.n + rows)
    assert np.array_equal(mirror, key)  # symmetric
    assert 10.0 <= net.degree.mean() <= 12.5  # ring lattice of 10 plus ~1 cross tie


def test_fast_csr_matches_a_plain_construction():
    rng = np.random.default_rng(7)
    n = 500
    parts = [(np.arange(n), (np.arange(n) + 1) % n)]  # ordered keys (one run) ...
    parts += [(rng.integers(0, n, 900), rng.integers(0, n, 900)) for _ in range(3)]  # ... and unordered, loops, repeats
    net = _csr_from_edges(n, list(parts))  # (it consumes the list it is given)
    src = np.concatenate([p[0] for p in parts])
    dst = np.concatenate([p[1] for p in parts])
    keep = src != dst
    pairs = {(int(a), int(b)) for a, b in zip(src[keep], dst[keep])}
    pairs |= {(b, a) for a, b in pairs}
    want = sorted(pairs)
    rows = np.repeat(np.arange(n), net.degree)
    assert list(zip(rows.tolist(), net.indices.tolist())) == want
    assert isinstance(net, Network) and net.indptr[-1] == len(want)
    f = rng.random(n) < 0.3
    expect = np.array([f[net.indices[net.indptr[i]:net.indptr[i + 1]]].sum() for i in range(n)])
    assert np.array_equal(net.neighbour_counts(f), expect)


def test_lattice_merge_matches_the_plain_construction():
    """The vectorized builders hand the ring lattice's straight ties over as masks and the CSR is
    merged row by row: the same network as the same ties given as edges (duplicates of lattice ties,
    loops and repeats included; blocks smaller than the ring; every offset below and above)."""
    rng = np.random.default_rng(11)
    sizes = np.array([1, 2, 3, 7, 40, 5, 200, 4, 90])
    ends = np.cumsum(sizes)
    n, h = int(ends[-1]), 4
    block_end = np.repeat(ends, sizes)
    straight = []
    for j in range(1, h + 1):  # a tie (r, r + j) only inside r's block
        straight.append((rng.random(n) < 0.8) & (np.arange(n) + j < block_end))
    lattice_edges = [(np.flatnonzero(s), np.flatnonzero(s) + j) for j, s in enumerate(straight, start=1)]
    src = rng.integers(0, n, 600)
    near = np.clip(src + rng.integers(-h - 1, h + 2, 600), 0, n - 1)  # many land on lattice ties or between them
    parts = [(src, near), (rng.integers(0, n, 300), rng.integers(0, n, 300)), lattice_edges[1][::-1]]
    merged = _csr_from_edges(n, [tuple(p) for p in parts], [s.copy() for s in straight])
    plain = _csr_from_edges(n, [tuple(p) for p in parts] + lattice_edges)
    assert np.array_equal(merged.indptr, plain.indptr)
    assert np.array_equal(merged.indices, plain.indices)
    assert np.array_equal(merged.degree, plain.degree)
    assert merged.indices.dtype == np.int32 and merged.degree.dtype == np.int16 and merged.indptr.dtype == np.int32


def test_world_identity_hash_sees_any_change_to_the_built_world():
    """benchmarks/world_identity.py: the same config and seed hash alike; another seed, or one value
    changed in any built column, does not."""
    from benchmarks.world_identity import world_hash

    cfg = load_config(CITY).with_overrides({"world.districts": None, "world.n_residents": 3_000, "world.n_districts": 1,
                                            "world.communities_per_district": 2, "run.warmup_days": 0})
    a, b = CommunitySafetyModel(cfg), CommunitySafetyModel(cfg)
    assert world_hash(a) == world_hash(b)
    assert world_hash(CommunitySafetyModel(cfg, seed=cfg.run.seed + 1)) != world_hash(a)
    b.network.indices[0] += 1
    assert world_hash(b) != world_hash(a)


@pytest.mark.parametrize("over", [
    scaling.world_overrides(200_000),  # city proportions at the threshold (model.PARALLEL_BUILD_MIN)
    {"world.scale": 50.0},  # the district table: 250 k residents, each district's own network
], ids=["city proportions", "district table"])
def test_residents_built_beside_the_network_give_the_same_world(monkeypatch, over):
    """A large world synthesizes its residents on a second thread while its network is built:
    every built array and every stream afterwards as when built one after the other."""
    from benchmarks.world_identity import world_hash
    from simulation.model import PARALLEL_BUILD_MIN

    cfg = load_config(CITY).with_overrides({**over, "run.warmup_days": 0})
    assert cfg.world.n_residents >= PARALLEL_BUILD_MIN
    threaded = world_hash(CommunitySafetyModel(cfg))
    monkeypatch.setenv("SAFETYSIM_BUILD_THREADS", "0")
    assert world_hash(CommunitySafetyModel(cfg)) == threaded


def test_a_large_world_draws_residents_and_ties_from_their_own_streams():
    """At the threshold the residents and the network leave the build stream (which then draws
    only places, organizations and the initial team); below it they draw from the build stream as
    before, so smaller worlds keep their numbers."""
    from simulation.model import PARALLEL_BUILD_MIN, STREAMS

    def fresh(model, name):  # the stream still where it started: nothing drew from it
        child = np.random.SeedSequence(model.seed_value).spawn(len(STREAMS))[STREAMS.index(name)]
        return model.streams[name].bit_generator.state == np.random.default_rng(child).bit_generator.state

    small = CommunitySafetyModel(load_config(CITY).with_overrides({**scaling.world_overrides(20_000), "run.warmup_days": 0}))
    assert small.pop.n < PARALLEL_BUILD_MIN and fresh(small, "population") and fresh(small, "network")
    large = CommunitySafetyModel(load_config(CITY).with_overrides({**scaling.world_overrides(PARALLEL_BUILD_MIN), "run.warmup_days": 0}))
    assert not fresh(large, "population") and not fresh(large, "network")


def test_timed_phases_change_nothing():
    """The benchmark's per-process timing wraps the model's own phases: same results, all timed."""
    cfg = load_config(CITY).with_overrides({"world.districts": None, "world.n_residents": 20_000, "world.n_districts": 2,
                                            "world.communities_per_district": 3, "run.days": 5, "run.warmup_days": 1})
    plain = CommunitySafetyModel(cfg)
    plain.run_model()
    timed = CommunitySafetyModel(cfg)
    totals: dict[str, float] = {}
    timed.phases = scaling.timed_phases(timed, totals)
    timed.run_model()
    a, b = timed.summary(), plain.summary()
    assert a.keys() == b.keys()
    assert all(a[k] == b[k] or (a[k] != a[k] and b[k] != b[k]) for k in a)  # NaN-safe equality
    assert set(totals) == {name for name, _ in CommunitySafetyModel.PHASES}
    assert {"levers", "publicity", "participation", "training", "deployment", "warn_residents", "incidents",
            "reporting", "feedback", "record"} <= set(totals)


def test_scaling_world_keeps_city_proportions():
    over = scaling.world_overrides(1_000_000)
    communities = over["world.n_districts"] * over["world.communities_per_district"]
    assert over["world.n_districts"] == 13
    assert 3_900 <= 1_000_000 / communities <= 4_100
    assert scaling.world_overrides(10_000)["world.n_districts"] <= 13


def test_registered_rows_stay_in_step_with_the_state():
    """The model's list of registered rows (kept by register/lapse) equals a scan of vol_state."""
    from simulation.paths import lever_overrides
    from simulation.population import VolunteerState

    cfg = load_config(CITY).with_overrides({"world.districts": None, "world.n_residents": 20_000, "world.n_districts": 2,
                                            "world.communities_per_district": 3, "run.days": 40,
                                            "run.warmup_days": 0, **lever_overrides("all_paths")})
    m = CommunitySafetyModel(cfg)
    for _ in range(40):
        m.step()
        assert np.array_equal(m.registered_rows, np.flatnonzero(m.pop.vol_state == VolunteerState.REGISTERED))
    assert sum(r["registrations"] for r in m.records) > 0 and sum(r["dropouts"] for r in m.records) > 0


def test_network_types_widen_when_a_world_needs_them():
    """Degrees (and the neighbour counts kept per resident) are int16 unless some resident has more
    than 32,767 contacts; offsets are int32 unless the ties pass 2**31 entries."""
    from simulation.network import Network, count_type

    assert count_type(np.array([3, 32767], dtype=np.int32)) is np.int16
    assert count_type(np.array([3, 32768], dtype=np.int32)) is np.int32
    hub = np.array([40000, 1, 1], dtype=np.int32)
    net = Network(indptr=np.concatenate(([0], np.cumsum(hub))).astype(np.int64), indices=np.zeros(hub.sum(), dtype=np.int32), degree=hub)
    assert net.degree.dtype == np.int32 and net.indptr.dtype == np.int32
    assert net.neighbour_counts(np.ones(3, dtype=bool)).dtype == np.int32


def test_peer_table_gives_each_pairs_ratio_and_their_median(capsys):
    """The Starsim rows: a ratio per pair, the median of them (of two: their mean), peak in MiB."""
    def row(rate, peak_gib, files_gib=0.125):
        return {"n": 1_000_000, "build_s": 0.5, "s_per_day": 0.01, "resident_days_per_s": rate, "peak_rss_gib": peak_gib,
                "mapped_files_gib": files_gib}

    scaling.print_peer([(row(50e6, 0.395), row(5e6, 0.6)), (row(64e6, 0.396), row(4e6, 0.6))], "3.7.2")
    out = capsys.readouterr().out
    assert "per pair: 10.0x, 16.0x; median 13.0x" in out
    assert "| 404.5 | 128.0 | 276.5 |" in out  # 0.395 GiB, of it 0.125 GiB mapped files, the rest the process's own


def test_mapped_files_are_read_from_the_process_status():
    """The mapped-files part of the peak is this process's RssFile: above zero (Python's own
    library is mapped) and below its resident set."""
    files, rss = scaling._mapped_files_gib(), scaling._current_rss_gib()
    assert 0 < files < rss
