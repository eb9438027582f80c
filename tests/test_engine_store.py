"""Result store: keys, atomic shards, manifest, loading, resume bookkeeping."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from experiments.execution.engine import plan_runs, run_experiment, run_scenarios
from experiments.design.spec import load_spec
from experiments.execution.store import ResultStore, atomic_write_bytes, load_results, read_manifest, run_key
from simulation.errors import InputError


def _spec(**over):
    data = {
        "model": "tests.plugins.testing_models:noisy",
        "design": {"kind": "grid", "factors": {"a": {"values": [1.0, 2.0]}, "b": {"values": [0.0, 1.0]}}},
        "replicates": 3,
        "root_seed": 9,
        "executor": {"kind": "inline"},
    }
    data.update(over)
    return load_spec(data)


def test_run_key_changes_with_everything_that_determines_a_run():
    base = run_key("m", '{"x":1}', "s", {"a": 1}, 0, 5)
    assert base == run_key("m", '{"x":1}', "s", {"a": 1}, 0, 5)
    assert len(base) == 24
    others = [
        run_key("m2", '{"x":1}', "s", {"a": 1}, 0, 5),
        run_key("m", '{"x":2}', "s", {"a": 1}, 0, 5),
        run_key("m", '{"x":1}', "t", {"a": 1}, 0, 5),
        run_key("m", '{"x":1}', "s", {"a": 2}, 0, 5),
        run_key("m", '{"x":1}', "s", {"a": 1}, 1, 5),
        run_key("m", '{"x":1}', "s", {"a": 1}, 0, 6),
    ]
    assert len({base, *others}) == 7


def test_plan_has_unique_keys_and_common_seeds():
    plan = plan_runs(_spec())
    assert len(plan) == 12 and len({p.key for p in plan}) == 12
    by_rep = {}
    for p in plan:
        by_rep.setdefault(p.replicate, set()).add(p.seed)
    assert all(len(s) == 1 for s in by_rep.values())  # replicate r: same seed at every point
    indep = plan_runs(_spec(seeds="independent"))
    assert len({p.seed for p in indep}) == 12


def test_sweep_writes_shards_manifest_and_loads_in_one_call(tmp_path):
    out = tmp_path / "out"
    summary = run_experiment(_spec(), out, progress=False)
    assert (summary.planned, summary.done, summary.skipped, summary.failed) == (12, 12, 0, 0)
    assert summary.exit_code == 0
    shards = sorted((out / "runs").glob("*.parquet"))
    assert len(shards) == 12
    assert not list(out.rglob("*.tmp"))
    df = load_results(out)
    assert len(df) == 12
    assert df.attrs["factors"] == ["a", "b"] and df.attrs["kpis"] == ["y", "z", "count"]
    assert list(df.columns[:7]) == ["scenario", "point_id", "point_index", "replicate", "seed", "run_key", "elapsed_s"]
    assert set(df["run_key"]) == {p.stem for p in shards}
    # y = 2a - b + noise(seed): with common seeds, noise cancels between points of one replicate
    rep0 = df[df["replicate"] == 0].set_index(["a", "b"])["y"]
    assert rep0[(2.0, 0.0)] - rep0[(1.0, 0.0)] == pytest.approx(2.0)
    assert rep0[(1.0, 1.0)] - rep0[(1.0, 0.0)] == pytest.approx(-1.0)
    slim = load_results(out, include_meta=False)
    assert "elapsed_s" not in slim.columns and "run_key" not in slim.columns and "seed" in slim.columns

    manifest = read_manifest(out)
    assert manifest["status"] == "complete"
    assert manifest["counts"] == {"planned": 12, "done": 12, "failed": 0, "missing": 0}
    assert manifest["root_seed"] == 9 and len(manifest["spec_hash"]) == 64
    assert manifest["versions"]["numpy"] and manifest["versions"]["pyarrow"]
    assert "git_commit" in manifest  # a commit hash in a checkout, None elsewhere
    assert manifest["invocations"][-1]["completed"] == 12


def test_rerun_skips_finished_keys_and_changed_spec_extends(tmp_path):
    out = tmp_path / "out"
    run_experiment(_spec(), out, progress=False)
    before = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    again = run_experiment(_spec(), out, progress=False)
    assert (again.done, again.skipped) == (0, 12)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")} == before
    more = run_experiment(_spec(replicates=4), out, progress=False)
    assert (more.done, more.skipped) == (4, 12)
    assert len(load_results(out)) == 16
    assert len(read_manifest(out)["invocations"]) == 3


def test_stale_temp_files_are_ignored_and_cleaned(tmp_path):
    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    (out / "runs" / ".abc.parquet.x1y2.tmp").write_bytes(b"partial")
    run_experiment(_spec(), out, progress=False)
    assert not list((out / "runs").glob("*.tmp"))
    assert len(load_results(out)) == 12


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / "f.json"
    atomic_write_bytes(path, b'{"v": 1}')
    atomic_write_bytes(path, b'{"v": 2}')
    assert json.loads(path.read_text()) == {"v": 2}
    assert os.listdir(tmp_path) == ["f.json"]


def test_run_scenarios_pairs_replicates_with_common_seeds(tmp_path):
    out = tmp_path / "cmp"
    summary = run_scenarios(
        [("status_quo", {}), ("more_a", {"a": 3.0})],
        replicates=4,
        out_dir=out,
        root_seed=5,
        model="tests.plugins.testing_models:noisy",
        executor="inline",
        progress=False,
    )
    assert (summary.done, summary.failed) == (8, 0)
    df = load_results(out, include_meta=False)
    assert list(pd.unique(df["scenario"])) == ["status_quo", "more_a"]
    assert df.groupby("replicate")["seed"].nunique().eq(1).all()
    wide = df.pivot(index="replicate", columns="scenario", values="y")
    assert (wide["more_a"] - wide["status_quo"]).to_numpy() == pytest.approx([4.0] * 4)  # 2 * (3 - 1), noise cancels
    with pytest.raises(InputError, match="more than once"):
        run_scenarios([("a", {}), ("a", {})], 1, tmp_path / "x", model="tests.plugins.testing_models:noisy", executor="inline")


def test_load_results_of_a_non_experiment_folder(tmp_path):
    with pytest.raises(InputError, match="expected an experiment output folder"):
        load_results(tmp_path)


def test_store_records_failures_until_the_key_succeeds(tmp_path):
    store = ResultStore(tmp_path)
    store.begin({"experiment": "t"}, None)
    store.write_failure("k1", {"error": "boom"})
    assert store.failed_keys() == {"k1"}
    store.write_run({"run_key": "k1", "scenario": "s", "replicate": 0, "y": 1.0})
    assert store.failed_keys() == set() and store.done_keys() == {"k1"}


def test_results_cache_follows_the_shards(tmp_path):
    out = tmp_path / "out"
    run_experiment(_spec(), out, progress=False)
    assert (out / "results.parquet").is_file()
    first = load_results(out)
    # a run added later (more replicates) shows up; a shard deleted by hand disappears
    run_experiment(_spec(replicates=4), out, progress=False)
    assert len(load_results(out)) == 16
    victim = first["run_key"].iloc[0]
    (out / "runs" / f"{victim}.parquet").unlink()
    reloaded = load_results(out)
    assert len(reloaded) == 15 and victim not in set(reloaded["run_key"])
    (out / "results.parquet").unlink()
    pd.testing.assert_frame_equal(load_results(out), reloaded)
