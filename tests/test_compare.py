"""``safetysim compare`` on a small config produces every output; budget matching equalises spending."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from experiments.analysis.budget_match import match_budgets
from simulation import load_config

CLASSROOM = Path("configs/classroom.yaml").resolve()


def write_compare_file(folder: Path, **extra) -> Path:
    data = {
        "name": "tiny_compare",
        "base": str(CLASSROOM),
        "reference": "status_quo",
        "scenarios": {
            "status_quo": {},
            "p2_systems": str(Path("configs/paths/p2_systems.yaml").resolve()),
            "matched": {"levers.incentives.scheme": "matched", "run.days": 60},
        },
        "replicates": 3,
        "root_seed": 7,
        "executor": {"kind": "inline"},
    }
    data["scenarios"]["status_quo"] = {"run.days": 60}
    data.update(extra)
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.slow  # a whole workflow; the full suite (Python 3.11) runs it, the 3.13 subset does not
def test_compare_writes_every_output(tmp_path):
    spec = write_compare_file(tmp_path)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "experiments.commands.cli", "compare", str(spec), "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    a = out / "analysis"
    for name in ("runs.parquet", "runs.csv", "summary.csv", "summary.md", "report.md", "report.html"):
        assert (a / name).stat().st_size > 0, name
    figures = sorted(p.name for p in (a / "figures").glob("*.png"))
    assert len(figures) >= 5, figures
    runs = pd.read_parquet(a / "runs.parquet")
    assert len(runs) == 9
    # Common random numbers: replicate i has the same seed in every scenario.
    seeds = runs.pivot(index="replicate", columns="scenario", values="seed")
    assert (seeds.nunique(axis=1) == 1).all()
    html = (a / "report.html").read_text()
    assert "data:image/png;base64," in html
    assert "status_quo" in proc.stdout and "report:" in proc.stdout
    # Re-running resumes: nothing is run again.
    again = subprocess.run([sys.executable, "-m", "experiments.commands.cli", "compare", str(spec), "--out", str(out)],
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0
    assert len(pd.read_parquet(a / "runs.parquet")) == 9


def test_compare_rejects_an_unknown_reference(tmp_path):
    spec = write_compare_file(tmp_path, reference="nope")
    proc = subprocess.run([sys.executable, "-m", "experiments.commands.cli", "compare", str(spec), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "reference: 'nope' is not a scenario" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_budget_matching_sets_each_knob_to_the_target():
    cfg = load_config(CLASSROOM).with_overrides({"run.days": 60})
    scenarios = [("a", {"levers.incentives.scheme": "matched"}), ("b", {"levers.publicity.role_models": True})]
    spec = {"target_cny_per_year": 420_000, "tolerance": 0.02,
            "knobs": {"a": {"path": "levers.incentives.budget_cny_per_year", "low": 0, "high": 5_000_000},
                      "b": {"path": "levers.publicity.intensity", "low": 0.0, "high": 1.0}}}
    matched, table, target = match_budgets(cfg, scenarios, spec, seed=1)
    assert target == 420_000
    for m in table:
        assert abs(m.spending_cny_per_year - target) <= 0.02 * target, m
    assert dict(matched)["a"]["levers.incentives.budget_cny_per_year"] == next(m.value for m in table if m.scenario == "a")


def test_budget_matching_rejects_an_unreachable_target():
    from simulation import InputError

    cfg = load_config(CLASSROOM).with_overrides({"run.days": 30})
    spec = {"target_cny_per_year": 1e12, "knobs": {"a": {"path": "levers.publicity.intensity", "low": 0.0, "high": 1.0}}}
    with pytest.raises(InputError, match="outside what levers.publicity.intensity"):
        match_budgets(cfg, [("a", {})], spec, seed=1)
