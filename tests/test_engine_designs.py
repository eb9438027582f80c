"""Design generation and seeding: right sizes, bounds, stable ids, and seeds that depend only on keys."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.design.designs import make_design
from experiments.design.seeding import replicate_seed, run_seed, stable_int
from experiments.design.spec import DesignSpec


def _design(**kw) -> DesignSpec:
    return DesignSpec.model_validate(kw)


def test_grid_is_the_full_product_in_stable_order():
    d = make_design(_design(kind="grid", factors={"a": {"values": [1, 2, 3]}, "b.c": {"values": ["x", "y"]}}))
    assert len(d.points) == 6
    assert [p.id for p in d.points] == [f"p{i:05d}" for i in range(6)]
    assert d.points[0].values == {"a": 1, "b.c": "x"}
    assert d.points[1].values == {"a": 1, "b.c": "y"}
    assert d.points[-1].values == {"a": 3, "b.c": "y"}


def test_explicit_zips_values_or_takes_points():
    zipped = make_design(_design(kind="explicit", factors={"a": {"values": [1, 2]}, "b": {"values": [10, 20]}}))
    assert [p.values for p in zipped.points] == [{"a": 1, "b": 10}, {"a": 2, "b": 20}]
    listed = make_design(_design(kind="explicit", points=[{"a": 5}, {"a": 6, "b": 1}]))
    assert [p.values for p in listed.points] == [{"a": 5}, {"a": 6, "b": 1}]


def test_no_design_is_one_empty_point():
    d = make_design(None)
    assert len(d.points) == 1 and d.points[0].values == {}


def test_lhs_is_seeded_stratified_and_typed():
    spec = _design(
        kind="lhs",
        n=20,
        factors={"x": {"low": -1.0, "high": 1.0}, "k": {"low": 1, "high": 4, "kind": "int"}, "s": {"levels": ["none", "points", "matched"]}},
    )
    a = make_design(spec, root_seed=1)
    b = make_design(spec, root_seed=1)
    c = make_design(spec, root_seed=2)
    assert [p.values for p in a.points] == [p.values for p in b.points]
    assert [p.values for p in a.points] != [p.values for p in c.points]
    xs = np.array([p.values["x"] for p in a.points])
    assert xs.min() >= -1 and xs.max() <= 1
    # Latin hypercube: exactly one sample in each of the n equal strata of every dimension
    strata = np.floor((xs + 1) / 2 * 20).astype(int)
    assert sorted(strata) == list(range(20))
    ks = [p.values["k"] for p in a.points]
    assert set(ks) == {1, 2, 3, 4} and all(isinstance(k, int) for k in ks)
    assert {p.values["s"] for p in a.points} == {"none", "points", "matched"}


def test_sobol_has_saltelli_size_and_problem():
    spec = _design(kind="sobol", n=16, factors={"x1": {"low": 0, "high": 1}, "x2": {"low": 0, "high": 2}, "x3": {"low": 0, "high": 3}})
    d = make_design(spec, root_seed=0)
    assert len(d.points) == 16 * (3 + 2)  # N (D + 2) without second order
    assert d.problem["names"] == ["x1", "x2", "x3"] and d.samples.shape == (80, 3)
    spec2 = _design(kind="sobol", n=16, calc_second_order=True, factors={"x1": {"low": 0, "high": 1}, "x2": {"low": 0, "high": 2}})
    assert len(make_design(spec2).points) == 16 * (2 * 2 + 2)


def test_morris_has_trajectory_size_and_rounds_discrete_factors():
    spec = _design(kind="morris", n=6, num_levels=4, factors={"x": {"low": 0, "high": 1}, "s": {"levels": ["a", "b"]}, "k": {"low": 0, "high": 3, "kind": "int"}})
    d = make_design(spec, root_seed=0)
    assert len(d.points) == 6 * (3 + 1)
    assert {p.values["s"] for p in d.points} <= {"a", "b"}
    assert {p.values["k"] for p in d.points} <= {0, 1, 2, 3}
    assert {round(p.values["x"], 6) for p in d.points} <= {0.0, round(1 / 3, 6), round(2 / 3, 6), 1.0}


def test_replicate_seed_is_common_to_all_points_and_independent_of_order():
    seeds = [replicate_seed(42, r) for r in range(50)]
    assert len(set(seeds)) == 50
    assert seeds == [replicate_seed(42, r) for r in range(50)]
    assert list(reversed(seeds)) == [replicate_seed(42, r) for r in reversed(range(50))]
    assert replicate_seed(43, 0) != seeds[0]
    assert all(0 <= s < 2**63 for s in seeds)
    # it is the SeedSequence(root).spawn() child at that position
    child = np.random.SeedSequence(42, spawn_key=(0, 7))
    assert seeds[7] == int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def test_run_seed_depends_on_point_and_replicate_only():
    assert run_seed(1, "p-a", 0) == run_seed(1, "p-a", 0)
    assert len({run_seed(1, p, r) for p in ("p-a", "p-b") for r in range(3)}) == 6
    assert run_seed(1, "p-a", 0) != replicate_seed(1, 0)
    assert stable_int("abc") == stable_int("abc") != stable_int("abd")


def test_negative_seeds_are_rejected():
    with pytest.raises(ValueError):
        replicate_seed(-1, 0)
    with pytest.raises(ValueError):
        replicate_seed(0, -1)
