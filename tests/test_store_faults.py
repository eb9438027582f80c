"""The result store under faults: damaged shards, two writers, a full or read-only disk."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.design.spec import load_spec
from experiments.execution import store as store_mod
from experiments.execution.engine import run_experiment
from experiments.execution.guard import FolderBusyError, FolderLock, StoreWriteError
from experiments.execution.store import load_results

ROOT = Path(__file__).resolve().parents[1]
SPEC = {
    "model": "tests.plugins.testing_models:noisy",
    "design": {"kind": "grid", "factors": {"a": {"values": [1.0, 2.0]}, "b": {"values": [0.0, 1.0]}}},
    "replicates": 2,
    "root_seed": 4,
    "executor": {"kind": "inline"},
}


def _spec():
    return load_spec(dict(SPEC))


def _kpis(out: Path) -> pd.DataFrame:
    return load_results(out, include_meta=False).reset_index(drop=True)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("clean") / "out"
    run_experiment(_spec(), out, progress=False)
    return _kpis(out)


def test_truncated_and_corrupt_shards_are_found_reported_and_redone(tmp_path, clean):
    out = tmp_path / "out"
    run_experiment(_spec(), out, progress=False)
    shards = sorted((out / "runs").glob("*.parquet"))
    truncated, corrupt = shards[0], shards[1]
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    data = bytearray(corrupt.read_bytes())
    data[8:40] = b"\x00" * 32
    corrupt.write_bytes(bytes(data))
    (out / "results.parquet").unlink()  # the cache would otherwise hide the damage from readers

    summary = run_experiment(_spec(), out, progress=False)
    assert sorted(summary.damaged) == sorted([truncated.stem, corrupt.stem])
    assert (summary.done, summary.skipped, summary.failed) == (2, 6, 0)
    assert sorted(p.name for p in (out / "damaged").iterdir()) == sorted(f"{s.stem}.run.parquet" for s in (truncated, corrupt))
    pd.testing.assert_frame_equal(_kpis(out), clean)
    manifest = store_mod.read_manifest(out)
    assert sorted(manifest["invocations"][-1]["damaged"]) == sorted(summary.damaged)


def test_the_sweep_command_reports_damaged_shards(tmp_path):
    out = tmp_path / "out"
    run_experiment(_spec(), out, progress=False)
    shard = sorted((out / "runs").glob("*.parquet"))[0]
    shard.write_bytes(b"PAR1 not really")
    spec_file = tmp_path / "s.yaml"
    import yaml

    spec_file.write_text(yaml.safe_dump(SPEC))
    proc = subprocess.run([sys.executable, "-m", "experiments.commands.cli", "sweep", str(spec_file), "--out", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert f"1 run shard(s) were unreadable (truncated or corrupt), moved to {out / 'damaged'} and redone: {shard.stem}" in proc.stdout


HOLDER = textwrap.dedent(
    """
    import sys, time
    from experiments.execution.guard import FolderLock
    lock = FolderLock(sys.argv[1]).acquire()
    print("locked", flush=True)
    time.sleep(60)
    """
)


def _hold(folder: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_sweep_on_a_busy_folder_is_refused_and_a_killed_holder_frees_it(tmp_path):
    out = tmp_path / "out"
    holder = _hold(out)
    try:
        with pytest.raises(FolderBusyError, match=rf"is being written by another sweep \(pid {holder.pid}\)"):
            run_experiment(_spec(), out, progress=False)
        spec_file = tmp_path / "s.yaml"
        import yaml

        spec_file.write_text(yaml.safe_dump(SPEC))
        proc = subprocess.run([sys.executable, "-m", "experiments.commands.cli", "sweep", str(spec_file), "--out", str(out)],
                              capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: out: ") and f"(pid {holder.pid})" in lines[0]
        assert not (out / "runs").exists()  # nothing written by the refused sweep
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    # SIGKILL gives the holder no chance to clean up; the kernel drops its lock anyway.
    summary = run_experiment(_spec(), out, progress=False)
    assert (summary.done, summary.failed) == (8, 0)
    with FolderLock(out):  # and the finished sweep released it
        pass


def _failing_after(n_ok: int, err: int, monkeypatch):
    """Make run-shard writes fail with ``err`` after ``n_ok`` of them succeeded (and every write after)."""
    real = store_mod.atomic_write_bytes
    state = {"runs": 0, "broken": False}

    def write(path, data):
        path = Path(path)
        if path.parent.name == "runs":
            state["runs"] += 1
            if state["runs"] > n_ok:
                state["broken"] = True
        if state["broken"]:
            raise OSError(err, os.strerror(err), str(path))
        return real(path, data)

    monkeypatch.setattr(store_mod, "atomic_write_bytes", write)
    return state


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_full_or_read_only_disk_stops_cleanly_keeping_finished_runs(tmp_path, monkeypatch, clean, err):
    out = tmp_path / "out"
    _failing_after(3, err, monkeypatch)
    with pytest.raises(StoreWriteError) as info:
        run_experiment(_spec(), out, progress=False)
    message = str(info.value)
    assert "\n" not in message and os.strerror(err) in message and "3 finished run(s) kept" in message
    shards = sorted((out / "runs").glob("*.parquet"))
    assert len(shards) == 3
    assert not list(out.rglob("*.tmp"))  # no half-written files
    assert len(load_results(out)) == 3  # the kept shards read fine
    monkeypatch.undo()  # space freed / folder writable again: re-running resumes
    summary = run_experiment(_spec(), out, progress=False)
    assert (summary.done, summary.skipped, summary.failed, summary.damaged) == (5, 3, 0, [])
    pd.testing.assert_frame_equal(_kpis(out), clean)


def test_the_sweep_command_says_one_line_when_the_disk_fills(tmp_path):
    out = tmp_path / "out"
    script = textwrap.dedent(
        f"""
        import errno, os, sys
        from pathlib import Path
        from experiments.execution import store
        real, n = store.atomic_write_bytes, [0]
        def write(path, data):
            if Path(path).parent.name == "runs":
                n[0] += 1
                if n[0] > 2:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            return real(path, data)
        store.atomic_write_bytes = write
        from experiments.commands.cli import main
        sys.argv = ["safetysim", "sweep", sys.argv[1], "--out", sys.argv[2]]
        main()
        """
    )
    import yaml

    spec_file = tmp_path / "s.yaml"
    spec_file.write_text(yaml.safe_dump(SPEC))
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", script, str(spec_file), str(out)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert time.monotonic() - started < 120
    assert proc.returncode == 2, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "No space left on device" in errors[0] and "2 finished run(s) kept" in errors[0]
    assert "Traceback" not in proc.stderr
    assert len(list((out / "runs").glob("*.parquet"))) == 2
