"""`safetysim robustness`: probability best, regret, ranking flips, PRIM, the command's outputs and resuming."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.analysis.robustness import parameter_range, posterior_points, prim_box, probability_best, rank_flips, regret
from experiments.commands.robustness_command import cmd_robustness
from simulation.errors import InputError

TINY = Path(__file__).parent / "data" / "robustness_tiny.yaml"


def _values() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.normal(size=(50, 4)), columns=["a", "b", "c", "d"])


@pytest.mark.parametrize("direction", ["lower", "higher"])
def test_probability_best_sums_to_one_and_regret_is_zero_for_the_best(direction) -> None:
    v = _values()
    v.iloc[0] = [1.0, 1.0, 0.0, 0.0]  # a tie: the win is shared
    pb = probability_best(v, direction)
    assert pb.sum() == pytest.approx(1.0)
    r = regret(v, direction)
    assert (r.to_numpy() >= 0).all()
    best = v.idxmin(axis=1) if direction == "lower" else v.idxmax(axis=1)
    assert all(r.at[i, s] == 0 for i, s in best.items())
    # Regret is the gap to the row's best, by hand for one row.
    row = v.iloc[5]
    expected = (row - row.min()) if direction == "lower" else (row.max() - row)
    np.testing.assert_allclose(r.iloc[5].to_numpy(), expected.to_numpy())


def test_rank_flips_against_the_nominal_ranking() -> None:
    v = pd.DataFrame({"a": [1, 1, 3, 1], "b": [2, 3, 1, 2], "c": [3, 2, 2, 3]}, dtype=float)
    best_flip, order_flip = rank_flips(v, pd.Series({"a": 1.0, "b": 2.0, "c": 3.0}), "lower")
    assert best_flip == pytest.approx(0.25) and order_flip == pytest.approx(0.5)


def test_prim_finds_a_planted_box() -> None:
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.uniform(0, 1, (600, 3)), columns=["p", "q", "r"])
    y = ((x["p"] > 0.6) & (x["q"] < 0.4)).to_numpy()
    box = prim_box(x, y, density=0.8)
    assert set(box["limits"]) == {"p", "q"}
    (p_lo, p_hi), (q_lo, q_hi) = box["limits"]["p"], box["limits"]["q"]
    assert 0.5 < p_lo < 0.7 and p_hi > 0.95 and q_lo < 0.05 and 0.3 < q_hi < 0.5
    assert box["density"] >= 0.8 and box["coverage"] >= 0.8
    assert prim_box(x, np.zeros(600, bool)) is None


def test_posterior_draws_follow_the_weights(tmp_path) -> None:
    path = tmp_path / "posterior.parquet"
    pd.DataFrame({"participation.crowding_out": [0.1, 0.2, 0.3], "weight": [0.0, 1.0, 3.0]}).to_parquet(path)
    draws = [d["participation.crowding_out"] for d in posterior_points(path, 400, seed=2)]
    assert 0.1 not in draws and 0.6 < np.mean(np.array(draws) == 0.3) < 0.9
    with pytest.raises(InputError, match="not found"):
        posterior_points(tmp_path / "missing.parquet", 4, 0)


def test_ranges_default_only_for_assumptions_and_are_checked() -> None:
    assert parameter_range("response.cases_per_officer_per_day", None, 6.0) == (3.0, 9.0, False)
    with pytest.raises(InputError, match="not an assumption"):
        parameter_range("incidents.police_patrol_share", None, 0.6)
    with pytest.raises(InputError, match="out of range"):
        parameter_range("participation.service_prob_max", {"low": 0.1, "high": 1.5}, 0.3)
    with pytest.raises(InputError, match="not a model parameter"):
        parameter_range("participation.nope", None, 0.3)


def test_command_writes_every_output_and_resumes(tmp_path, capsys) -> None:
    out = tmp_path / "rob"
    assert cmd_robustness(TINY, out, progress=False) == 0
    first = capsys.readouterr().out
    assert "10 done now, 0 already stored" in first
    folder = out / "robustness"
    for name in ("robustness.csv", "flips.csv", "parameters.csv", "report.md", "report.html",
                 "figures/probability_best.png", "figures/regret.png", "figures/prim_box.png"):  # fmt: skip
        assert (folder / name).is_file() and (folder / name).stat().st_size > 0, name
    table = pd.read_csv(folder / "robustness.csv")
    for _, rows in table.groupby("kpi"):
        assert rows["p_best"].sum() == pytest.approx(1.0)
        assert (rows["expected_regret"] >= 0).all()
    report = (folder / "report.md").read_text()
    assert report.rstrip().splitlines()[-1].startswith("- ") and "## Recommendation" in report
    assert "Recommendation" in (folder / "report.html").read_text()
    assert not (folder / "districts_robustness.csv").exists() and "By district" not in report  # one district
    assert cmd_robustness(TINY, out, progress=False) == 0
    assert "0 done now, 10 already stored" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_csv(folder / "robustness.csv"), table)


def test_bad_spec_is_one_input_error(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.read_text().replace("compare: robustness_tiny_compare.yaml", f"compare: {TINY.parent / 'robustness_tiny_compare.yaml'}") + "colour: red\n")
    with pytest.raises(InputError, match="colour: unknown key"):
        cmd_robustness(bad, tmp_path / "o", progress=False)
    assert not (tmp_path / "o").exists()
