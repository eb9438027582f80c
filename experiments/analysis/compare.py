"""``safetysim compare``: scenarios x seeded replicates with common random numbers, then statistics.

A compare file is an experiment spec (see ``experiments/design/spec.py``) with scenarios, plus two
compare-only keys, ``reference`` (the scenario differences are taken against; default: the first)
and ``adjust`` (multiple-comparison adjustment of the p-values: holm (default), bh or none).
Replicate i of every scenario uses the same seed, so differences are paired.  Runs go through the
experiment engine (resumable result store, any executor); the analysis writes the tidy table,
summary tables, figures and the report (``experiments/reporting/compare_outputs.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from experiments.design.inputs import read_yaml
from experiments.design.spec import build_spec
from experiments.analysis.statistics import DEFAULT_ADJUST, check_adjust
from simulation.errors import InputError

ANALYSIS_DIR = "analysis"


def load_compare_file(path: Path) -> tuple[dict[str, Any], str | None]:
    data = read_yaml(Path(path), "config")
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping (base, scenarios, replicates, ...)")
    reference = data.pop("reference", None)
    if not data.get("scenarios"):
        raise InputError(f"{path}: scenarios: missing or empty; expected scenario name -> overrides or a path file")
    if reference is not None and reference not in data["scenarios"]:
        raise InputError(f"reference: {reference!r} is not a scenario; expected one of {', '.join(data['scenarios'])}")
    return data, reference


def daily_with_ids(daily: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame | None:
    """Attach scenario and replicate to the daily rows (stored keyed by run key)."""
    if daily is None or daily.empty:
        return None
    if "scenario" in daily.columns and "replicate" in daily.columns:
        return daily
    ids = runs[["run_key", "scenario", "replicate"]]
    return daily.merge(ids, on="run_key", how="inner").drop(columns=["run_key"])


def _match_budgets(data: dict[str, Any], budget_spec: Any, config: Path) -> tuple[dict[str, dict[str, Any]], str]:
    """Resolve scenario files, set each scenario's knob to the common budget, print what was set."""
    from experiments.analysis.budget_match import match_budgets
    from simulation.config import load_config

    folder = config.resolve().parent
    scenarios = []
    for name, value in data["scenarios"].items():
        if isinstance(value, str):
            value = read_yaml(folder / value, f"scenarios.{name}")
        scenarios.append((name, dict(value or {})))
    base = data.get("base")
    cfg = load_config(folder / base if isinstance(base, str) else base)
    seed = int(data.get("root_seed", 0))
    print("matching budgets (one run per try, root seed) ...")
    scenarios, table, target = match_budgets(cfg, scenarios, budget_spec, seed)
    lines = [f"budget matched to {target:,.0f} CNY/yr:"]
    lines += [f"  {m.scenario}: {m.knob} = {m.value:g} -> {m.spending_cny_per_year:,.0f} CNY/yr" for m in table]
    print("\n".join(lines))
    return dict(scenarios), "; ".join(lines)


def cmd_compare(config: Path, replicates: int | None = None, jobs: int | None = None, out: Path | None = None,
                executor: str | None = None, scheduler: str | None = None, progress: bool = True,
                adjust: str | None = None) -> int:
    from experiments.reporting.compare_outputs import write_compare_outputs
    from experiments.execution.engine import run_experiment
    from experiments.execution.store import load_daily, load_results

    config = Path(config)
    data, reference = load_compare_file(config)
    file_adjust = check_adjust(data.pop("adjust", DEFAULT_ADJUST))
    adjust = check_adjust(adjust, "--adjust") if adjust is not None else file_adjust
    budget_spec = data.pop("budget_match", None)
    matched_note = None
    if budget_spec is not None:
        data["scenarios"], matched_note = _match_budgets(data, budget_spec, config)
    if replicates is not None:
        if replicates < 2:
            raise InputError(f"--replicates: {replicates} is not allowed; expected an integer >= 2 (paired statistics need pairs)")
        data["replicates"] = replicates
    data.setdefault("outputs", {})
    data["outputs"]["daily"] = True
    data["seeds"] = "common"
    if jobs is not None:
        if jobs < 1:
            raise InputError(f"--jobs: {jobs} is not allowed; expected an integer >= 1")
        kind = executor or ("inline" if jobs == 1 else "process")
        data["executor"] = {"kind": kind, "workers": jobs}
    elif executor or scheduler:
        data["executor"] = {"kind": executor or "dask", "workers": None, "scheduler": scheduler}
    spec = build_spec(data, folder=config.resolve().parent)
    reference = reference or next(iter(data["scenarios"]))
    out_dir = Path(out) if out is not None else Path("results") / spec.display_name
    print(f"compare {spec.display_name}: {len(data['scenarios'])} scenarios x {spec.replicates} replicates "
          f"(common random numbers, root seed {spec.root_seed}); reference {reference} -> {out_dir}")
    summary = run_experiment(spec, out_dir, spec.executor.kind, workers=spec.executor.workers,
                             scheduler=spec.executor.scheduler, progress=progress)
    if summary.failed:
        print(f"{summary.failed} run(s) failed; see {out_dir / 'failures'} — re-run the same command to retry them")
        return 1
    runs = load_results(out_dir)
    daily = daily_with_ids(load_daily(out_dir), runs)
    runs = runs.drop(columns=[c for c in ("point_index", "run_key", "elapsed_s", "point_id") if c in runs.columns])
    meta = {"experiment": spec.display_name, "config": str(config), "replicates": spec.replicates,
            "root_seed": spec.root_seed, "reference": reference}
    if matched_note:
        meta["budget_match"] = matched_note
    outputs = write_compare_outputs(out_dir / ANALYSIS_DIR, runs, daily, reference, meta=meta, adjust=adjust)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 40):
        print(outputs.table.to_string())
    print(f"\nreport: {outputs['report_html']}\nsummary: {outputs['summary_csv']}")
    return 0
