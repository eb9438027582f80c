"""Files, figures and report of `safetysim compare`, on synthetic runs with known effects."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.reporting.compare_outputs import write_compare_outputs
from experiments.reporting.report import atomic_write_text, build_reading, fmt_num, markdown_table, write_report
from experiments.analysis.statistics import cost_effectiveness, paired_differences, scenario_summary
from simulation.errors import InputError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
N_REP, N_DAYS = 10, 30
FACTORS = ["factor_subject", "factor_culture", "factor_system", "factor_allocation", "factor_strategy"]


def synthetic(n_rep: int = N_REP, n_days: int = N_DAYS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs and daily records for three scenarios on common random numbers.

    ``training`` clearly cuts incidents and fraud at 50,000 CNY extra; ``twin`` equals ``baseline``.
    """
    rng = np.random.default_rng(11)
    common = rng.normal(0.0, 4.0, n_rep)
    effects = {"baseline": (0.0, 0.0, 0.0), "twin": (0.0, 0.0, 0.0), "training": (-12.0, 50_000.0, 0.05)}
    runs, daily = [], []
    for scenario, (shift, extra, lift) in effects.items():
        own = rng.normal(0.0, 0.8, n_rep) if scenario == "training" else 0.0
        incidents = 120.0 + common + shift + own
        runs.append(
            pd.DataFrame(
                {
                    "scenario": scenario,
                    "replicate": np.arange(n_rep),
                    "seed": 500 + np.arange(n_rep),
                    "incidents_total": incidents,
                    "fraud_losses_cny": 60_000.0 + 400.0 * common + 250.0 * shift,
                    "spending_cny": 300_000.0 + extra,
                    "satisfaction": 0.9 + lift + common / 400.0,
                    "mobile_satisfaction": 0.8 + lift,
                    "registered_satisfaction": 0.92 + lift / 2,
                    "active_volunteers": 400.0 - 3 * shift + common,
                    **{f: 0.3 + 0.1 * i + lift for i, f in enumerate(FACTORS)},
                }
            )
        )
        days = np.arange(n_days)
        for r in range(n_rep):
            daily.append(
                pd.DataFrame(
                    {
                        "scenario": scenario,
                        "replicate": r,
                        "day": days,
                        "incidents_total": incidents[r] / n_days + 0.1 * np.sin(days / 5.0),
                        "satisfaction": 0.9 + lift * days / n_days,
                    }
                )
            )
    return pd.concat(runs, ignore_index=True), pd.concat(daily, ignore_index=True)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    return synthetic()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory, data: tuple[pd.DataFrame, pd.DataFrame]):
    runs, daily = data
    out = tmp_path_factory.mktemp("compare")
    result = write_compare_outputs(out, runs, daily, "baseline", meta={"title": "Paths test", "experiment": "paths.yaml"}, n_boot=300)
    return out, result


EXPECTED_FILES = {
    "runs_parquet": "runs.parquet",
    "runs_csv": "runs.csv",
    "summary_csv": "summary.csv",
    "summary_md": "summary.md",
    "cost_effectiveness_csv": "cost_effectiveness.csv",
    "figure_kpi_bars": "figures/kpi_bars.png",
    "figure_daily": "figures/daily.png",
    "figure_cost_frontier": "figures/cost_frontier.png",
    "figure_factors": "figures/factors.png",
    "figure_satisfaction_groups": "figures/satisfaction_groups.png",
    "report_md": "report.md",
    "report_html": "report.html",
}


def test_every_file_is_written_and_non_empty(outputs) -> None:
    out, result = outputs
    assert {k: Path(v) for k, v in result.items()} == {k: out / v for k, v in EXPECTED_FILES.items()}
    for path in result.values():
        assert Path(path).is_file() and Path(path).stat().st_size > 0, path
    for key in (k for k in result if k.startswith("figure_")):
        assert Path(result[key]).read_bytes()[:8] == PNG_MAGIC, key
    leftovers = [p.name for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_runs_tables_round_trip(outputs, data) -> None:
    out, result = outputs
    runs, _ = data
    pd.testing.assert_frame_equal(pd.read_parquet(result["runs_parquet"]), runs, check_dtype=False)
    assert len(pd.read_csv(result["runs_csv"])) == len(runs)


def test_summary_csv_holds_means_differences_and_cost_effectiveness(outputs) -> None:
    _, result = outputs
    summary = pd.read_csv(result["summary_csv"])
    inc = summary.set_index(["scenario", "kpi"])
    assert inc.loc[("twin", "incidents_total"), "mean_diff"] == 0.0
    assert not inc.loc[("twin", "incidents_total"), "significant"]
    assert inc.loc[("training", "incidents_total"), "significant"]
    assert inc.loc[("training", "incidents_total"), "mean_diff"] < -10.0
    assert inc.loc[("training", "incidents_total"), "verdict"] == "better"
    assert np.isnan(inc.loc[("baseline", "incidents_total"), "mean_diff"])
    ratio = inc.loc[("training", "fraud_losses_avoided_cny_per_10k_cny")]
    assert ratio["mean"] == pytest.approx(12.0 * 250.0 / 5.0)  # 3,000 CNY avoided per 50,000 CNY extra
    assert ratio["note"] == "costlier_better"
    md = Path(result["summary_md"]).read_text()
    assert "## Means by scenario" in md and "## Difference vs 'baseline'" in md and "Cost-effectiveness" in md


def test_terminal_table(outputs) -> None:
    _, result = outputs
    table = result.table
    assert list(table.index) == ["baseline (ref)", "twin", "training"]
    assert list(table.columns)[:3] == ["incidents_total", "fraud_losses_cny", "satisfaction"]
    assert table.loc["training", "incidents_total"].endswith("***")
    assert "[" in table.loc["twin", "incidents_total"] and "*" not in table.loc["twin", "incidents_total"]


def test_html_is_self_contained_with_reading(outputs) -> None:
    _, result = outputs
    html = Path(result["report_html"]).read_text()
    assert html.count('src="data:image/png;base64,') == 5
    assert "<table" in html and "<style>" in html
    assert "'training' ranks first" in html
    assert "'twin': no KPI differs significantly" in html
    assert "Incidents prevented (count), per 10,000 CNY of extra spending" in html
    md = Path(result["report_md"]).read_text()
    assert "](figures/kpi_bars.png)" in md and "## Reading" in md
    assert "'training': better on Incidents (count)" in md and "worse on Spending (CNY)" in md


def test_missing_columns_skip_their_figures(tmp_path: Path, data) -> None:
    runs, _ = data
    slim = runs.drop(columns=[*FACTORS, "mobile_satisfaction", "spending_cny"])
    result = write_compare_outputs(tmp_path, slim, None, "baseline", kpis=["incidents_total", "satisfaction"], n_boot=50)
    assert {k for k in result if k.startswith("figure_")} == {"figure_kpi_bars"}
    assert "cost_effectiveness_csv" not in result
    assert list(result.table.columns) == ["incidents_total", "satisfaction"]
    assert Path(result["report_html"]).read_text().count("data:image/png;base64,") == 1


def test_bad_reference_writes_nothing(tmp_path: Path, data) -> None:
    runs, daily = data
    with pytest.raises(InputError, match="reference"):
        write_compare_outputs(tmp_path / "out", runs, daily, "nope")
    with pytest.raises(InputError, match="daily: missing column"):
        write_compare_outputs(tmp_path / "out", runs, daily.drop(columns="day"), "baseline")
    assert not (tmp_path / "out").exists()


def test_reading_follows_direction_overrides(data) -> None:
    runs, _ = data
    tables = {
        "scenario_summary": scenario_summary(runs, reference="baseline"),
        "paired_differences": paired_differences(runs, "baseline"),
        "cost_effectiveness": cost_effectiveness(runs, "baseline", n_boot=50),
    }
    meta = {"reference": "baseline"}
    default = build_reading(tables, meta, kpis=["incidents_total"])
    flipped = build_reading(tables, meta, {"incidents_total": "higher"}, kpis=["incidents_total"])
    assert any("Incidents (count) (lower is better): 'training' ranks first" in b for b in default)
    assert any("Incidents (count) (higher is better): 'baseline' ranks first" in b for b in flipped)
    training = next(b for b in flipped if b.startswith("'training':"))
    assert "worse on Incidents (count) -" in training and "better on Incidents" not in training


def test_write_report_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    md, html = write_report(tmp_path, {"extra": pd.DataFrame({"a": [1.23456, np.nan], "b": ["x|y", "z"]})}, {"none": None}, {"title": "T"})
    assert md.read_text().startswith("# T") and "x\\|y" in md.read_text() and "<td>1.23</td>" in html.read_text()
    before = md.read_text()

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        atomic_write_text(md, "new")
    assert md.read_text() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_formatting_helpers() -> None:
    assert [fmt_num(v) for v in (np.nan, 0, 0.04567, 3.14159, 98.96, 12345.6, np.inf)] == ["", "0", "0.0457", "3.14", "99.0", "12,346", "inf"]
    assert markdown_table(pd.DataFrame({"k": ["a"], "v": ["1"]})) == "| k | v |\n|---|---|\n| a | 1 |"
