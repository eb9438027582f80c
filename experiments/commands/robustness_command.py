"""``safetysim robustness SPEC``: build the ensemble, run it through the engine (resumable), write
the tables, figures and report. The statistics are in :mod:`experiments.analysis.robustness`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from experiments.analysis.robustness import (
    DEFAULT_DENSITY,
    DEFAULT_KPIS,
    SPEC_KEYS,
    analyse,
    lhs_points,
    parameter_range,
    posterior_points,
)
from experiments.analysis.district_robustness import analyse_districts, district_kpis
from experiments.design.spec import read_yaml
from simulation.errors import InputError



def _check_keys(data: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(data) - allowed
    if unknown:
        key = sorted(unknown)[0]
        raise InputError(f"{where}{key}: unknown key; expected one of {', '.join(sorted(allowed))}")


def _int(value: Any, field: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InputError(f"{field}: {value!r} is not allowed; expected an integer >= {low}")
    return value


def load_robustness_spec(path: Path) -> dict[str, Any]:
    """Read and check the spec; returns it with ``compare_data`` (the compare file) and folders resolved."""
    data = read_yaml(path, "spec")
    if not isinstance(data, dict):
        raise InputError(f"spec: {path.name} is not a mapping; expected compare, ensemble, kpis, ...")
    _check_keys(data, SPEC_KEYS, "")
    if "compare" not in data:
        raise InputError("compare: missing; expected the path of a compare file (scenarios, base, ...)")
    folder = path.resolve().parent
    compare_path = (folder / str(data["compare"])).resolve()
    compare = read_yaml(compare_path, "compare")
    if not isinstance(compare, dict) or not compare.get("scenarios"):
        raise InputError(f"compare: {compare_path.name} has no scenarios; expected a compare file")
    ens = data.get("ensemble") or {}
    if not isinstance(ens, dict):
        raise InputError("ensemble: expected a mapping with lhs and/or posterior")
    _check_keys(ens, {"lhs", "posterior"}, "ensemble.")
    if not ens:
        raise InputError("ensemble: missing or empty; expected lhs (parameter ranges) and/or posterior (a Parquet file)")
    kpis = data.get("kpis") or list(DEFAULT_KPIS)
    if not isinstance(kpis, list) or not all(isinstance(k, str) for k in kpis):
        raise InputError(f"kpis: {kpis!r} is not allowed; expected a list of KPI names")
    prim = data.get("prim") or {}
    _check_keys(prim, {"density"}, "prim.")
    density = float(prim.get("density", DEFAULT_DENSITY))
    if not 0 < density <= 1:
        raise InputError(f"prim.density: {density!r} is not allowed; expected a number in (0, 1]")
    dk = data.get("district_kpis")
    if dk is not None and (not isinstance(dk, list) or not all(isinstance(k, str) for k in dk)):
        raise InputError(f"district_kpis: {dk!r} is not allowed; expected a list of per-district KPI names")
    district_kpis(kpis, dk)  # checks the names
    return {**data, "folder": folder, "compare_path": compare_path, "compare_data": compare, "ensemble": ens,
            "kpis": kpis, "density": density, "replicates": _int(data.get("replicates", 2), "replicates", 1),
            "root_seed": _int(data.get("root_seed", 0), "root_seed", 0)}  # fmt: skip


def build_points(spec: dict[str, Any], base_cfg: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """Parameter sets: the nominal point first, then the LHS points, then the posterior draws.
    Returns (points, source of each point)."""
    from simulation.config import get_dotted

    ens = spec["ensemble"]
    lhs_points_, post_points = [], []
    if ens.get("lhs"):
        lhs = ens["lhs"]
        _check_keys(lhs, {"n", "seed", "parameters"}, "ensemble.lhs.")
        params = lhs.get("parameters") or {}
        if not isinstance(params, dict) or not params:
            raise InputError("ensemble.lhs.parameters: missing or empty; expected dotted path -> {low, high} or null")
        ranges = {p: parameter_range(p, r, float(get_dotted(base_cfg, p))) for p, r in params.items()}
        lhs_points_ = lhs_points(ranges, _int(lhs.get("n", 16), "ensemble.lhs.n", 2), _int(lhs.get("seed", 0), "ensemble.lhs.seed", 0))
    if ens.get("posterior"):
        post = ens["posterior"]
        _check_keys(post, {"path", "n", "seed"}, "ensemble.posterior.")
        n = post.get("n")
        n = _int(n, "ensemble.posterior.n", 1) if n is not None else None
        post_points = posterior_points(spec["folder"] / str(post.get("path", "")), n, _int(post.get("seed", 0), "ensemble.posterior.seed", 0))
    names = list(dict.fromkeys([k for p in lhs_points_ + post_points for k in p]))
    nominal = {k: get_dotted(base_cfg, k) for k in names}
    points = [nominal] + [{**nominal, **p} for p in lhs_points_ + post_points]
    sources = ["nominal"] + ["lhs"] * len(lhs_points_) + ["posterior"] * len(post_points)
    return points, sources


def cmd_robustness(spec_path: Path, out: Path | None = None, executor: str | None = None, workers: int | None = None,
                   progress: bool = True) -> int:  # fmt: skip
    from experiments.analysis.budget_match import match_budgets
    from experiments.execution.engine import run_experiment
    from experiments.design.spec import build_spec
    from experiments.execution.store import load_results
    from simulation.config import load_config

    spec = load_robustness_spec(Path(spec_path))
    compare, cfolder = dict(spec["compare_data"]), spec["compare_path"].parent
    name = str(spec.get("name") or Path(spec_path).stem)
    overrides = dict(spec.get("overrides") or {})
    base = compare.get("base")
    base_src = cfolder / base if isinstance(base, str) else base
    base_cfg = load_config(base_src).with_overrides(overrides)
    scenarios = []
    for sname, value in compare["scenarios"].items():
        if isinstance(value, str):
            value = read_yaml(cfolder / value, f"scenarios.{sname}")
        scenarios.append((str(sname), {**overrides, **dict(value or {})}))
    out_dir = Path(out) if out is not None else Path("results") / name
    points, sources = build_points(spec, base_cfg)
    if compare.get("budget_match") is not None:
        print("matching budgets at the nominal parameters (one run per try) ...")
        scenarios, table, target = match_budgets(base_cfg, scenarios, compare["budget_match"], spec["root_seed"])
        print(f"budget matched to {target:,.0f} CNY/yr: " + "; ".join(f"{m.scenario}: {m.knob} = {m.value:g}" for m in table))
    data = {
        "name": name, "base": base_cfg.to_dict(), "scenarios": dict(scenarios), "replicates": spec["replicates"],
        "root_seed": spec["root_seed"], "seeds": "common", "design": {"kind": "explicit", "points": points},
        "executor": spec.get("executor") or {"kind": "inline"},
    }  # fmt: skip
    if executor is not None or workers is not None:
        data["executor"] = {"kind": executor or data["executor"].get("kind", "process"), "workers": workers}
    exp = build_spec(data, folder=spec["folder"])
    n_runs = len(points) * len(scenarios) * exp.replicates
    print(f"robustness {name}: {len(scenarios)} scenarios x {len(points)} parameter sets (1 nominal) x {exp.replicates} "
          f"replicates = {n_runs} runs (common random numbers) -> {out_dir}")  # fmt: skip
    summary = run_experiment(exp, out_dir, exp.executor.kind, workers=exp.executor.workers, progress=progress)
    print(f"runs: {summary.done} done now, {summary.skipped} already stored, {summary.failed} failed")
    if summary.failed:
        print(f"{summary.failed} run(s) failed; see {out_dir / 'failures'} — re-run the same command to retry them")
        return 1
    runs = load_results(out_dir)
    missing = [k for k in spec["kpis"] if k not in runs.columns]
    if missing:
        raise InputError(f"kpis: {missing[0]!r} is not a KPI of the runs; expected names like incidents_per_1000")
    params = pd.DataFrame(points).assign(point_index=range(len(points)), source=sources)
    result = analyse(runs, params.drop(columns="source"), spec["kpis"], recommended=spec.get("recommended"), density=spec["density"])
    from simulation.districts import build_layout

    layout = build_layout(base_cfg)  # names and urban types only (cheap: no agents)
    result["districts"] = analyse_districts(runs, district_kpis(spec["kpis"], spec.get("district_kpis")),
                                            dict(zip(layout.names, layout.urban_type)) if layout.table else None)
    from experiments.reporting.robustness_report import write_robustness_outputs

    paths = write_robustness_outputs(out_dir / "robustness", result, params, {
        "experiment": name, "spec": str(spec_path), "compare": str(spec["compare_path"]), "replicates": exp.replicates,
        "root_seed": exp.root_seed, "parameter_sets": f"{len(points) - 1} + nominal", "overrides": overrides,
    })  # fmt: skip
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(paths.table.to_string(index=False))
    print(f"\nrecommendation: {paths.recommendation}\nreport: {paths['report_html']}")
    return 0
