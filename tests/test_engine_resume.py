"""A sweep killed with SIGKILL part-way resumes: every run present exactly once, values unchanged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import yaml

from experiments.commands.commands_engine import cmd_sweep
from experiments.execution.store import load_results, read_manifest

N_POINTS = 40


def _write_spec(tmp_path) -> str:
    spec = {
        "name": "slow_sweep",
        "model": "tests.plugins.testing_models:slow",
        "base": {"delay_s": 0.04},
        "design": {"kind": "grid", "factors": {"a": {"values": [float(i) for i in range(N_POINTS // 2)]}, "b": {"values": [0.0, 1.0]}}},
        "replicates": 2,
        "root_seed": 77,
        "executor": {"kind": "process", "workers": 2},
    }
    path = tmp_path / "slow.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return str(path)


def _shards(out) -> int:
    runs = out / "runs"
    return len(list(runs.glob("*.parquet"))) if runs.is_dir() else 0


@pytest.mark.slow
def test_killed_sweep_resumes_to_the_uninterrupted_result(tmp_path):
    spec = _write_spec(tmp_path)
    out = tmp_path / "interrupted"
    code = "import sys; from experiments.commands.commands_engine import cmd_sweep; sys.exit(cmd_sweep(sys.argv[1], sys.argv[2], progress=False))"
    proc = subprocess.Popen([sys.executable, "-c", code, spec, str(out)], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while _shards(out) < 10 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep finished before it could be interrupted"
        os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: parent and its pool workers
    finally:
        proc.wait(timeout=30)
    partial = _shards(out)
    total = N_POINTS * 2
    assert 10 <= partial < total

    # resume (same spec, same executor); it must only run what is missing
    assert cmd_sweep(spec, out, progress=False) == 0
    last = read_manifest(out)["invocations"][-1]
    assert (last["skipped"], last["completed"]) == (partial, total - partial)
    resumed = load_results(out)
    assert len(resumed) == total
    assert resumed["run_key"].is_unique
    assert not resumed.duplicated(["point_id", "replicate"]).any()
    assert not list(out.rglob("*.tmp"))

    # an uninterrupted sweep of the same spec gives the same numbers
    assert cmd_sweep(spec, tmp_path / "clean", executor="inline", progress=False) == 0
    clean = load_results(tmp_path / "clean")
    cols = [c for c in clean.columns if c != "elapsed_s"]
    pd.testing.assert_frame_equal(resumed[cols], clean[cols])
