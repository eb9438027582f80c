"""Robustness and compare broken down by district: probability best and regret per district from
the per-district columns of the run rows, the binding factor per district, and the report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from experiments.analysis.district_robustness import analyse_districts, district_kpis, winners_text
from experiments.commands.robustness_command import cmd_robustness
from simulation.district_metrics import binding_factors, long_from_run_rows, run_row_columns
from simulation.errors import InputError

DATA = Path(__file__).parent / "data"
TINY_DISTRICTS = DATA / "robustness_tiny_districts.yaml"
FACTORS = {"factor_subject": 0.9, "factor_culture": 0.5, "factor_system": 0.7, "factor_allocation": 0.8, "factor_strategy": 0.6}


def _district_table(core: float, hills: float, culture_hills: float = 0.5) -> pd.DataFrame:
    return pd.DataFrame([
        {"district": "Core", "incidents_per_1000": core, "satisfaction": 0.7, **FACTORS},
        {"district": "Hills", "incidents_per_1000": hills, "satisfaction": 0.7, **FACTORS, "factor_culture": culture_hills},
    ])  # fmt: skip


def _runs() -> pd.DataFrame:
    """Points 0..4 (0 = nominal), scenarios a and b, 2 replicates.  In Core 'a' has fewer
    incidents at every point; in Hills 'b' has fewer at points 1-3 and 'a' at point 4."""
    rows = []
    for point in range(5):
        for rep in (0, 1):
            for scenario in ("a", "b"):
                core = 10.0 + point + (0.0 if scenario == "a" else 2.0) + rep
                hills_b_better = point != 4
                hills = 5.0 + rep + (1.0 if (scenario == "a") == hills_b_better else 0.0)
                cols = run_row_columns(_district_table(core, hills))
                rows.append({"scenario": scenario, "point_index": point, "replicate": rep, "incidents_per_1000": 1.0, **cols})
    return pd.DataFrame(rows)


def test_probability_best_per_district_sums_to_one_and_finds_the_local_winner():
    table = analyse_districts(_runs(), ["incidents_per_1000", "satisfaction"], {"Core": "core", "Hills": "rural_mountain"})
    assert list(dict.fromkeys(table["district"])) == ["Core", "Hills"]
    sums = table.groupby(["district", "kpi"])["p_best"].sum()
    assert len(sums) == 4 and sums.to_numpy() == pytest.approx(1.0)
    assert (table["expected_regret"] >= 0).all()
    p = table.set_index(["district", "kpi", "scenario"])["p_best"]
    assert p["Core", "incidents_per_1000", "a"] == 1.0 and p["Core", "incidents_per_1000", "b"] == 0.0
    assert p["Hills", "incidents_per_1000", "b"] == 0.75 and p["Hills", "incidents_per_1000", "a"] == 0.25
    # equal satisfaction everywhere: a tie in every parameter set shares the win
    assert p["Core", "satisfaction", "a"] == 0.5
    regret = table.set_index(["district", "kpi", "scenario"])["expected_regret"]
    assert regret["Core", "incidents_per_1000", "b"] == pytest.approx(2.0)   # 2 more incidents at every point
    assert regret["Hills", "incidents_per_1000", "a"] == pytest.approx(0.75)  # 1 more at 3 of 4 points
    assert set(table.loc[table["district"] == "Hills", "urban_type"]) == {"rural_mountain"}
    text = winners_text(table, "incidents_per_1000")
    assert text == "'a' in Core (core); 'b' in Hills (rural_mountain)"
    assert set(table.loc[table["kpi"] == "satisfaction", "most_likely_best"]) == {"a = b"}


def test_one_district_world_has_no_breakdown_and_bad_district_kpis_are_refused():
    runs = _runs()
    plain = runs[[c for c in runs.columns if not c.startswith("district__")]]
    assert analyse_districts(plain, ["incidents_per_1000"]) is None
    assert district_kpis(["incidents_per_1000", "fraud_losses_cny", "satisfaction"]) == ["incidents_per_1000", "satisfaction"]
    assert district_kpis(["fraud_losses_cny"]) == ["incidents_per_1000"]
    with pytest.raises(InputError, match="district_kpis: 'fraud_losses_cny' is not a per-district KPI"):
        district_kpis(["incidents_per_1000"], ["fraud_losses_cny"])


def test_binding_factor_per_district_and_scenario():
    from experiments.reporting.compare_outputs import district_binding

    rows = []
    for scenario, hills_culture in (("ref", 0.5), ("alt", 0.95)):
        for rep in (0, 1):
            t = _district_table(10.0, 5.0, culture_hills=hills_culture)
            rows.append({"scenario": scenario, "replicate": rep, **run_row_columns(t)})
    runs = pd.DataFrame(rows)
    out = district_binding(runs, ["ref", "alt"])
    assert list(out.index) == ["Core", "Hills"] and list(out.columns) == ["ref", "alt"]
    assert out.loc["Core", "ref"] == out.loc["Core", "alt"] == "culture"
    assert out.loc["Hills", "ref"] == "culture" and out.loc["Hills", "alt"] == "strategy"  # culture lifted above 0.6
    assert binding_factors(long_from_run_rows(runs.loc[runs["scenario"] == "ref"].drop(columns="scenario")))["binding_factor"].tolist() == ["culture", "culture"]
    plain = runs[["scenario", "replicate"]].assign(x=1.0)
    assert district_binding(plain, ["ref"]) is None


def test_robustness_command_breaks_the_result_down_by_district_and_resumes(tmp_path, capsys):
    out = tmp_path / "rob"
    assert cmd_robustness(TINY_DISTRICTS, out, progress=False) == 0
    assert "10 done now" in capsys.readouterr().out
    folder = out / "robustness"
    table = pd.read_csv(folder / "districts_robustness.csv")
    assert list(dict.fromkeys(table["district"])) == ["Old town", "New town", "Hills"]
    assert list(dict.fromkeys(table["urban_type"])) == ["core", "suburban", "rural_mountain"]
    assert set(table["kpi"]) == {"incidents_per_1000", "satisfaction"}
    sums = table.groupby(["district", "kpi"])["p_best"].sum()
    assert len(sums) == 6 and sums.to_numpy() == pytest.approx(1.0)
    assert (table["expected_regret"] >= 0).all() and (table["n_parameter_sets"] == 4).all()
    assert (folder / "figures" / "districts_p_best.png").stat().st_size > 0
    report = (folder / "report.md").read_text()
    assert "## By district — Incidents per 1,000" in report and "| Hills | rural_mountain |" in report
    assert "By district, on Incidents per 1,000" in report
    assert "By district" in (folder / "report.html").read_text()
    # resumed from the store: nothing re-run, the same table
    assert cmd_robustness(TINY_DISTRICTS, out, progress=False) == 0
    assert "0 done now, 10 already stored" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_csv(folder / "districts_robustness.csv"), table)


def test_bad_district_kpis_in_a_spec_is_one_input_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    text = TINY_DISTRICTS.read_text().replace("compare: robustness_tiny_compare.yaml", f"compare: {DATA / 'robustness_tiny_compare.yaml'}")
    bad.write_text(text + "district_kpis: [fraud_losses_cny]\n")
    with pytest.raises(InputError, match="^district_kpis: 'fraud_losses_cny' is not a per-district KPI; expected one of incidents_per_1000"):
        cmd_robustness(bad, tmp_path / "o", progress=False)
    assert not (tmp_path / "o").exists()  # nothing written


def test_run_command_text_names_each_districts_binding_factor():
    from experiments.reporting.district_outputs import district_text

    table = _district_table(10.0, 5.0, culture_hills=0.95).assign(
        urban_type=["core", "rural_mountain"], residents=[1000.0, 500.0], fraud_victims_per_1000=1.0, reporting_rate=0.5,
        active_volunteers_per_1000=40.0, response_hours=[0.5, 1.25], binding_factor=["culture", "strategy"])  # fmt: skip
    text = district_text(table)
    lines = text.splitlines()
    assert lines[0].startswith("Per district") and "binding factor" in lines[1]
    assert lines[2].split()[-1] == "culture" and lines[3].split()[-1] == "strategy"
    assert district_text(table.iloc[:1]) == ""
