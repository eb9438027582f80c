"""Districts from a table: reading and validating tables, the bundled Hangzhou table, urban types,
per-district results, and scale invariance of per-1,000 rates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation import load_config
from simulation.district_metrics import breakdown, district_table
from simulation.errors import InputError
from simulation.model import CommunitySafetyModel
from simulation.runner import run

REPO = Path(__file__).resolve().parents[1]
HANGZHOU = REPO / "configs" / "data" / "hangzhou_districts.csv"
SMALL = {"run.days": 20, "run.warmup_days": 3}

GOOD_CSV = """name,residents,urban_type,police_per_10k,mobile_share,older_share,initial_volunteers,communities
Old Town,6000,core,5,0.2,0.25,600,3
New Town,4000,suburban,,,,,2
Hills,2000,rural_mountain,,0.05,0.3,100,
"""


def _cfg(tmp_path: Path, table_name: str, table_text: str, extra: str = "") -> Path:
    (tmp_path / table_name).write_text(table_text, encoding="utf-8")
    cfg = tmp_path / "world.yaml"
    cfg.write_text(f"world:\n  districts: {table_name}\n{extra}run:\n  days: 5\n  warmup_days: 1\n")
    return cfg


# -- good tables ---------------------------------------------------------------------------------
def test_csv_table_sets_the_world(tmp_path):
    cfg = load_config(_cfg(tmp_path, "d.csv", GOOD_CSV))
    w = cfg.world
    assert w.n_districts == 3 and w.n_residents == 12_000
    assert [r.name for r in w.districts] == ["Old Town", "New Town", "Hills"]
    m = CommunitySafetyModel(cfg)
    lay = m.layout
    assert lay.n_communities == 3 + 2 + 1  # Hills: 2,000 / 1,500 per village -> 1
    assert np.array_equal(np.bincount(lay.district_of_comm, weights=lay.community_sizes), [6000, 4000, 2000])
    district = lay.district_of_comm[m.pop.community]
    older = [np.mean(m.pop.age[district == d] == 2) for d in range(3)]
    assert older[0] == pytest.approx(0.25, abs=0.03) and older[2] == pytest.approx(0.30, abs=0.04)
    mobile = [m.pop.mobile[district == d].mean() for d in range(3)]
    assert mobile[0] == pytest.approx(0.2, abs=0.03)
    assert mobile[1] == pytest.approx(0.18 * cfg.world.urban_types.suburban.mobile_share_mult, abs=0.03)
    assert mobile[2] == pytest.approx(0.05, abs=0.02)
    team = np.bincount(district[m.registered_rows], minlength=3)
    assert team[0] == 600 and team[2] == 100
    assert team[1] == round(4000 * cfg.world.initial_volunteer_share)
    officers = np.bincount(lay.district_of_comm[m.police.community], minlength=3)
    assert officers[0] == 3 * 1  # 5 per 10k in communities of 2,000 -> 1 each


def test_yaml_and_inline_tables_match_the_csv(tmp_path):
    rows = pd.read_csv(pd.io.common.StringIO(GOOD_CSV)).to_dict("records")
    rows = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()} for r in rows]
    import yaml
    (tmp_path / "d.yaml").write_text(yaml.safe_dump({"districts": rows}))
    from_yaml = load_config({"world": {"districts": str(tmp_path / "d.yaml")}})
    inline = load_config({"world": {"districts": rows}})
    from_csv = load_config(_cfg(tmp_path, "d.csv", GOOD_CSV))
    assert from_yaml.world.districts == inline.world.districts == from_csv.world.districts
    assert from_yaml.hash() == inline.hash()


def test_scale_sets_agents_and_keeps_community_size(tmp_path):
    cfg = load_config(_cfg(tmp_path, "d.csv", GOOD_CSV, "  scale: 10\n"))
    assert cfg.world.n_residents == 1_200
    # an override round-trips through the embedded table and recomputes the agents
    assert cfg.with_overrides({"world.scale": 100.0}).world.n_residents == 120
    m = CommunitySafetyModel(cfg)
    assert m.layout.n_communities == 3  # 3, 2, 1 real-size communities / 10, at least one each
    assert m.real_residents == 12_000


BAD_TABLES = {
    "unknown_type": ("name,residents,urban_type\nA,100,metropolis\n", "row 1 (A), column 'urban_type': 'metropolis' is not allowed; expected one of core, suburban, rural_mountain"),
    "negative_residents": ("name,residents\nA,100\nB,-5\n", "row 2 (B), column 'residents': '-5' is not allowed"),
    "share_over_one": ("name,residents,mobile_share\nA,100,1.5\n", "row 1 (A), column 'mobile_share': '1.5' is not allowed"),
    "missing_name": ("name,residents\n,100\n", "row 1, column 'name': missing"),
    "unknown_column": ("name,residents,polce\nA,100,3\n", "row 1 (A), column 'polce': unknown column; columns are name, residents"),
}


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "experiments.commands.cli", *args], capture_output=True, text=True, env=env, timeout=120)


def _assert_one_line_exit_2(proc, out: Path, expected: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: world.districts: ") and expected in lines[0], lines[0]
    assert "Traceback" not in proc.stderr
    assert not out.exists() and not list(out.parent.glob(f".{out.name}*"))


@pytest.mark.parametrize("case", sorted(BAD_TABLES))
def test_bad_table_is_one_line_naming_file_row_column(case, tmp_path):
    text, expected = BAD_TABLES[case]
    cfg = _cfg(tmp_path, "bad.csv", text)
    out = tmp_path / "out"
    proc = _cli("run", str(cfg), "--out", str(out), "--no-progress")
    _assert_one_line_exit_2(proc, out, expected)
    assert "bad.csv" in proc.stderr


def test_missing_table_file(tmp_path):
    cfg = tmp_path / "world.yaml"
    cfg.write_text("world:\n  districts: nowhere.csv\n")
    out = tmp_path / "out"
    proc = _cli("run", str(cfg), "--out", str(out), "--no-progress")
    _assert_one_line_exit_2(proc, out, "nowhere.csv: district table not found")


def test_inline_errors_name_the_config_path():
    with pytest.raises(InputError, match=r"^world\.districts: row 2 \(B\), column 'older_share': 2 is not allowed"):
        load_config({"world": {"districts": [{"name": "A", "residents": 10}, {"name": "B", "residents": 10, "older_share": 2}]}})
    with pytest.raises(InputError, match="district names must be unique"):
        load_config({"world": {"districts": [{"name": "A", "residents": 10}, {"name": "A", "residents": 20}]}})


# -- the bundled Hangzhou table -----------------------------------------------------------------
NAMES = ["Shangcheng", "Gongshu", "Xihu", "Binjiang", "Xiaoshan", "Yuhang", "Linping", "Qiantang",
         "Fuyang", "Lin'an", "Tonglu", "Chun'an", "Jiande"]


def test_hangzhou_table_has_the_13_divisions_with_sources():
    from simulation.districts import read_table

    rows = read_table(HANGZHOU)
    assert [r.name for r in rows] == NAMES
    total = sum(r.residents for r in rows)
    assert total == 12_522_000  # the 2023 bulletin's city total
    assert all(r.source and "Census" in r.source and "杭州市第七次全国人口普查主要数据公报" in r.source for r in rows)
    by_name = {r.name: r for r in rows}
    for name, figure in (("Shangcheng", 1_390_000), ("Xiaoshan", 2_140_000), ("Yuhang", 1_405_000)):  # end-2023, bulletin
        assert by_name[name].residents == figure and "2023年杭州市人口主要数据公报" in by_name[name].source
    assert "1,120,985 in 2020" in by_name["Gongshu"].source  # census 2020, table 1-1
    assert {r.urban_type for r in rows} == {"core", "suburban", "rural_mountain"}
    assert {r.name for r in rows if r.urban_type == "rural_mountain"} == {"Lin'an", "Tonglu", "Chun'an", "Jiande"}
    docs = (REPO / "docs" / "districts.md").read_text(encoding="utf-8")
    assert all(name in docs for name in NAMES)
    cfg = load_config(REPO / "configs" / "hangzhou_city.yaml")
    assert cfg.world.n_districts == 13 and cfg.world.n_residents == total
    quick = load_config(REPO / "configs" / "hangzhou_city_quick.yaml")
    assert quick.world.n_residents == pytest.approx(total / 100, abs=13)


# -- urban types ---------------------------------------------------------------------------------
def test_urban_type_shapes_ties_risk_and_response(tmp_path):
    cfg = load_config(_cfg(tmp_path, "d.csv", "name,residents,urban_type,communities\nC,6000,core,2\nR,6000,rural_mountain,2\n"))
    m = CommunitySafetyModel(cfg.with_overrides({"run.days": 30}))
    m.run_model()
    district = m.layout.district_of_comm[m.pop.community]
    deg = m.network.degree
    assert deg[district == 1].mean() < deg[district == 0].mean() - 1  # fewer ties in the mountains
    rate = np.bincount(m.layout.district_of_comm[m.places.community], weights=m.place_base_rate)
    risk = np.bincount(m.layout.district_of_comm[m.places.community], weights=m.places.risk)
    # expected incidents per resident follow the urban type's multiplier (given the places' risk)
    assert (rate[1] / risk[1]) / (rate[0] / risk[0]) == pytest.approx(0.6)
    # travel time in the mountains: every rural community's response time carries it
    hours = m.response_hours_today
    rural = m.layout.district_of_comm == 1
    assert hours[rural].min() >= cfg.response.base_response_hours + cfg.world.urban_types.rural_mountain.travel_hours
    assert hours[~rural].min() < hours[rural].min()


# -- per-district results ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def three_district_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("d")
    cfg = _cfg(folder, "d.csv", GOOD_CSV)
    out = folder / "run"
    proc = _cli("run", str(cfg), "--out", str(out), "--no-progress", "--days", "30")
    assert proc.returncode == 0, proc.stderr
    return out


def test_run_folder_has_per_district_outputs_that_add_up(three_district_run):
    import json

    out = three_district_run
    for name in ("districts.parquet", "districts.csv", "districts.png"):
        assert (out / name).stat().st_size > 0
    t = pd.read_parquet(out / "districts.parquet")
    s = json.loads((out / "summary.json").read_text())
    assert list(t["district"]) == ["Old Town", "New Town", "Hills"]
    assert t["incidents"].sum() == pytest.approx(s["incidents_total"])
    assert t["residents"].sum() == pytest.approx(s["real_residents"])
    assert (t["incidents"] * 1000 / t["residents"]).sum() > 0
    # the rates are those of the counts
    assert np.allclose(t["incidents_per_1000"], t["incidents"] / t["residents"] * 1000 * 365 / s["days"])
    assert t["registered_volunteers"].sum() == pytest.approx(s["registered_volunteers"])
    assert t["active_volunteers"].sum() == pytest.approx(s["active_volunteers"])
    assert t["spending_cny"].sum() == pytest.approx(s["spending_cny"])
    weighted = (t["fraud_victims_per_1000"] * t["residents"]).sum() / t["residents"].sum()
    assert weighted == pytest.approx(s["fraud_victims_per_1000"])
    assert set(t["binding_factor"]) <= {"subject", "culture", "system", "allocation", "strategy"}
    assert t[[c for c in t.columns if c.startswith("factor_")]].apply(lambda c: c.between(0, 1)).all().all()


def test_reporting_rate_and_response_per_district_weigh_to_the_city():
    res = run({"world": {"districts": [{"name": "A", "residents": 5000}, {"name": "B", "residents": 3000, "urban_type": "suburban"}]}},
              overrides=SMALL, keep_model=True)
    t, s, tally = res.districts, res.summary, res.model.district_tally
    assert tally.reports.sum() / tally.reportable.sum() == pytest.approx(s["reporting_rate"])
    assert tally.response_hours_sum.sum() / tally.reports.sum() == pytest.approx(s["response_hours"])
    assert list(breakdown(t, "incidents_per_1000").index) == ["A", "B"]


def test_registered_volunteers_counted_per_district_by_community_blocks():
    """The daily per-district count of registered volunteers (from where each community's rows
    start) equals counting each volunteer's district, on a table whose districts differ in size."""
    cfg = {"world": {"districts": [{"name": "A", "residents": 5000, "communities": 3},
                                   {"name": "B", "residents": 3000, "urban_type": "suburban", "communities": 2},
                                   {"name": "C", "residents": 800, "urban_type": "rural_mountain", "communities": 1}]}}
    model = run(cfg, overrides=SMALL, keep_model=True).model
    tally = model.district_tally
    by_row = tally._count(model, model.registered_rows)
    assert by_row.sum() == model.n_registered > 0
    assert np.array_equal(tally._count_registered(model), by_row)


def test_district_results_draw_no_random_numbers():
    """The per-district tally only reads the model: a run's city KPIs do not change with it."""
    cfg = {"world": {"districts": [{"name": "A", "residents": 3000}, {"name": "B", "residents": 2000, "urban_type": "rural_mountain"}]}}
    a = run(cfg, overrides=SMALL, keep_model=True)
    states = {k: g.bit_generator.state for k, g in a.model.streams.items()}
    district_table(a.model)
    assert {k: g.bit_generator.state for k, g in a.model.streams.items()} == states
    b = run(cfg, overrides=SMALL)
    assert a.summary == b.summary


# -- scale invariance ----------------------------------------------------------------------------
SCALE_TABLE = [
    {"name": "core", "residents": 16_000, "urban_type": "core", "communities": 4},
    {"name": "suburb", "residents": 12_000, "urban_type": "suburban", "communities": 4},
    {"name": "hills", "residents": 6_000, "urban_type": "rural_mountain", "communities": 4},
]
SCALE_KPIS = ("incidents_per_1000", "fraud_victims_per_1000", "volunteers_per_1000", "reporting_rate", "satisfaction")


def test_per_1000_rates_agree_between_scale_1_and_10():
    """Same city at scale 1 (34,000 agents) and scale 10 (3,400 agents, real-size communities):
    over 6 seeds each, every rate's means differ by less than 4 standard errors of the difference."""
    base = {"world": {"districts": SCALE_TABLE}, "run": {"days": 40, "warmup_days": 5}}
    by_scale = {}
    for scale in (1.0, 10.0):
        cfg = load_config(base).with_overrides({"world.scale": scale})
        by_scale[scale] = pd.DataFrame([run(cfg, seed=s).summary for s in range(6)])
    one, ten = by_scale[1.0], by_scale[10.0]
    assert one["real_residents"].iloc[0] == ten["real_residents"].iloc[0] == 34_000
    for kpi in SCALE_KPIS:
        se = np.sqrt(one[kpi].var(ddof=1) / len(one) + ten[kpi].var(ddof=1) / len(ten))
        diff = abs(one[kpi].mean() - ten[kpi].mean())
        assert diff < 4 * se + 1e-9, (kpi, one[kpi].mean(), ten[kpi].mean(), se)
    # ... and the smaller world is noisier, as it should be (fewer agents per district)
    assert ten["fraud_victims_per_1000"].std() > one["fraud_victims_per_1000"].std()


def test_compare_breaks_a_kpi_down_by_district():
    """Run rows carry district__<name>__<kpi> columns (worlds of >1 district); the statistics skip
    them and the compare report gets a district x scenario table of means over replicates."""
    from experiments.reporting.compare_outputs import district_breakdown
    from experiments.analysis.statistics import kpi_columns
    from simulation.district_metrics import run_row_columns

    table = pd.DataFrame({"district": ["A", "B"], "incidents_per_1000": [1.0, 3.0], "fraud_victims_per_1000": [0.5, 0.5],
                          "reporting_rate": [0.6, 0.7], "active_volunteers_per_1000": [40, 50], "satisfaction": [0.8, 0.7],
                          "response_hours": [0.5, 1.2]})
    assert run_row_columns(table.iloc[:1]) == {}  # one district: nothing added
    rows = []
    for scenario, shift in (("ref", 0.0), ("alt", 1.0)):
        for rep in (0, 1):
            t = table.assign(incidents_per_1000=table["incidents_per_1000"] + shift + rep)
            rows.append({"scenario": scenario, "replicate": rep, "incidents_total": 10.0, **run_row_columns(t)})
    runs = pd.DataFrame(rows)
    assert kpi_columns(runs) == ["incidents_total"]
    out = district_breakdown(runs, ["ref", "alt"])
    assert list(out.index) == ["A", "B"] and list(out.columns) == ["ref", "alt"]
    assert out.loc["A", "ref"] == pytest.approx(1.5) and out.loc["B", "alt"] == pytest.approx(4.5)
    assert district_breakdown(runs.drop(columns=[c for c in runs.columns if c.startswith("district__")]), ["ref"]) is None


def test_one_district_counts_equal_counting_each_row():
    """A one-district world counts rows without looking up their district: the same float64
    numbers as the general count."""
    model = run({"world": {"n_residents": 2000, "n_districts": 1, "communities_per_district": 3}},
                overrides=SMALL, keep_model=True).model
    tally = model.district_tally
    rows = model.registered_rows
    general = np.bincount(tally.district_of_comm[model.pop.community[rows]], minlength=1).astype(np.float64)
    assert rows.size > 0 and tally.nd == 1
    for counted in (tally._count(model, rows), tally._count_registered(model)):
        assert counted.dtype == np.float64 and np.array_equal(counted, general)
    assert np.array_equal(tally._count(model, np.empty(0, dtype=np.int64)), [0.0])
