"""One failing run is recorded with its traceback; the others finish; the sweep exits non-zero."""

from __future__ import annotations

import json

import pytest
import yaml

from experiments.commands.commands_engine import cmd_status, cmd_sweep
from experiments.execution.store import load_failures, load_results, read_manifest


def _write_spec(tmp_path, executor: str) -> str:
    spec = {
        "name": "flaky_sweep",
        "model": "tests.plugins.testing_models:flaky",
        "base": {"fail_at": 3.0},
        "design": {"kind": "grid", "factors": {"x": {"values": [1.0, 2.0, 3.0, 4.0]}}},
        "replicates": 2,
        "root_seed": 1,
        "executor": {"kind": executor, "workers": 2},
    }
    path = tmp_path / "flaky.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("executor", ["inline", "process"])
def test_failure_is_recorded_and_isolated(tmp_path, capsys, executor):
    out = tmp_path / "out"
    code = cmd_sweep(_write_spec(tmp_path, executor), out, progress=False)
    printed = capsys.readouterr().out
    assert code == 1
    assert "2 run(s) failed" in printed and "flaky model refuses x=3" in printed

    df = load_results(out)
    assert len(df) == 6 and sorted(df["x"].unique()) == [1.0, 2.0, 4.0]
    failures = load_failures(out)
    assert [(f["point_id"], f["replicate"]) for f in failures] == [("p00002", 0), ("p00002", 1)]
    record = json.loads((out / "failures" / f"{failures[0]['key']}.json").read_text())
    assert record["error"] == "RuntimeError: flaky model refuses x=3"
    assert "Traceback (most recent call last)" in record["traceback"] and "testing_models.py" in record["traceback"]
    assert record["overrides"] == {"x": 3.0}

    manifest = read_manifest(out)
    assert manifest["counts"]["failed"] == 2 and manifest["counts"]["missing"] == 2
    assert manifest["status"] == "failed"
    assert len(manifest["failures"]) == 2

    # re-running retries only the failed keys (they fail again), finished ones are skipped
    assert cmd_sweep(_write_spec(tmp_path, executor), out, executor="inline", progress=False) == 1
    assert "already done" in capsys.readouterr().out
    assert read_manifest(out)["invocations"][-1]["skipped"] == 6
    assert cmd_status(out) == 1


def test_status_of_a_clean_sweep_is_zero(tmp_path, capsys):
    spec = tmp_path / "ok.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "model": "tests.plugins.testing_models:flaky",
                "base": {"fail_at": 99.0},
                "design": {"kind": "grid", "factors": {"x": {"values": [1.0, 2.0]}}},
                "executor": {"kind": "inline"},
            }
        ),
        encoding="utf-8",
    )
    assert cmd_sweep(spec, tmp_path / "out", progress=False) == 0
    capsys.readouterr()
    assert cmd_status(tmp_path / "out") == 0
    printed = capsys.readouterr().out
    assert "complete" in printed and "planned runs" in printed


def test_a_crashed_worker_process_does_not_stop_the_sweep(tmp_path):
    from experiments.execution.engine import run_experiment
    from experiments.design.spec import load_spec

    spec = load_spec(
        {
            "model": "tests.plugins.testing_models:crashy",
            "base": {"die_at": 2.0},
            "design": {"kind": "grid", "factors": {"x": {"values": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]}}},
            "executor": {"kind": "process", "workers": 2},
        }
    )
    summary = run_experiment(spec, tmp_path, progress=False)
    # runs lost with the crashed pool are retried one by one: only the crashing run fails
    assert (summary.done, summary.failed, summary.exit_code) == (5, 1, 1)
    assert summary.failures[0]["point_id"] == "p00002"  # x = 2
    assert "crashed its worker process" in summary.failures[0]["error"]
    assert set(load_results(tmp_path)["x"]) == {0.0, 1.0, 3.0, 4.0, 5.0}
