"""Bad input: one line naming the field path, the value and what is allowed; exit 2; nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulation import InputError, load_config
from simulation.config import parameter_table

BAD_CONFIGS = {
    "malformed": ("run:\n  days: [1, 2\n", "malformed YAML"),
    "unknown_key": ("world:\n  n_residnts: 500\n", "did you mean 'n_residents'"),
    "unknown_section": ("wrold:\n  n_residents: 500\n", "did you mean 'world'"),
    "wrong_type": ("run:\n  days: many\n", "run.days: 'many'"),
    "negative_rate": ("incidents:\n  property_per_1000_per_year: -3\n", "incidents.property_per_1000_per_year: -3"),
    "share_over_one": ("world:\n  mobile_share: 1.5\n", "world.mobile_share: 1.5"),
    "zero_residents": ("world:\n  n_residents: 0\n", "world.n_residents: 0"),
    "bad_choice": ("levers:\n  incentives:\n    scheme: bonus\n", "levers.incentives.scheme: 'bonus'"),
}


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "experiments.commands.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_is_one_line_exit_2_and_writes_nothing(case, tmp_path):
    text, expected = BAD_CONFIGS[case]
    cfg = tmp_path / f"{case}.yaml"
    cfg.write_text(text)
    out = tmp_path / "run-out"
    proc = _cli("run", str(cfg), "--out", str(out), "--no-progress")
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run-out")]


def test_missing_config_file(tmp_path):
    proc = _cli("run", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "config file not found" in proc.stderr


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    proc = _cli("run", "configs/classroom.yaml", "--out", str(blocker / "run"), "--no-progress")
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: --out:")
    assert "not writable" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0


def test_existing_nonempty_output_folder_is_not_overwritten(tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    proc = _cli("run", "configs/classroom.yaml", "--out", str(out), "--no-progress")
    assert proc.returncode == 2
    assert (out / "keep.txt").read_text() == "precious"


def test_bad_set_and_bad_options(tmp_path):
    proc = _cli("run", "configs/classroom.yaml", "--set", "levers.training.coverag=0.5", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "did you mean 'coverage'" in proc.stderr
    proc = _cli("run", "configs/classroom.yaml", "--days", "0", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "--days: 0" in proc.stderr


@pytest.mark.parametrize("args, needle", [
    (("run", "--days", "abc"), "'--days'"),
    (("app", "--port", "99999"), "'--port'"),
    (("frobnicate",), "No such command"),
    (("compare",), "Missing argument"),
])
def test_command_line_usage_errors_are_one_line(args, needle):
    proc = _cli(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_override_errors_from_python_name_the_path():
    with pytest.raises(InputError, match=r"levers\.training\.coverage: 2\.0 is not allowed"):
        load_config(None).with_overrides({"levers.training.coverage": 2.0})
    with pytest.raises(InputError, match="did you mean 'training'"):
        load_config(None).with_overrides({"levers.trainig.coverage": 0.5})


def test_every_parameter_has_unit_meaning_and_source():
    rows = parameter_table()
    assert len(rows) > 100
    for row in rows:
        assert row["unit"], row["path"]
        assert row["meaning"], row["path"]
        assert row["source"], row["path"]


def test_bundled_configs_load():
    for path in Path("configs").glob("*.yaml"):
        text = path.read_text()
        if "scenarios:" in text or "design:" in text or "optimize:" in text or "priors:" in text or "ensemble:" in text:
            continue  # experiment, calibration and robustness specs, checked by their own tests
        load_config(path)


def test_parameter_document_is_current():
    from simulation.config import parameters_markdown

    assert Path("docs/parameters.md").read_text() == parameters_markdown(), "regenerate: python -m simulation.config > docs/parameters.md"
