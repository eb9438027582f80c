"""Command bodies for ``sweep``, ``sensitivity``, ``optimize`` and ``status``: plain functions.

Why plain functions: the typer CLI wires each with one line
(``raise typer.Exit(cmd_sweep(spec, out, executor, workers, scheduler))``), and tests call
them directly. They print human-readable tables to stdout (progress bars go to stderr) and
return the exit code: 0 = everything done, 1 = some runs failed / nothing feasible / incomplete.
Bad input raises :class:`simulation.errors.InputError` (one line), which the CLI turns into
``error: ...`` and exit status 2.

Options shared by the run commands: ``out`` (default ``results/<spec name>``), ``executor``
(``inline | process | dask``; default: the spec's ``executor.kind``), ``workers`` (default: the
spec's, else ``os.cpu_count()``), ``scheduler`` (a Dask address such as ``tcp://HOST:8786``;
implies ``dask``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

from experiments.design.spec import ExperimentSpec, load_spec
from experiments.execution.store import MANIFEST, PLAN, ResultStore, load_failures, read_manifest
from simulation.errors import InputError

RESULTS_DIR = Path("results")
MAX_FAILURES_SHOWN = 10


def default_out(spec: ExperimentSpec) -> Path:
    return RESULTS_DIR / spec.display_name


def _executor_choice(spec: ExperimentSpec, executor: str | None, scheduler: str | None) -> str:
    if executor is None:
        return "dask" if scheduler else spec.executor.kind
    return executor


def table(rows: Sequence[Sequence[Any]], header: Sequence[str] | None = None) -> str:
    """Left-aligned text columns (numbers right-aligned)."""
    cells = [[_fmt(v) for v in r] for r in ([header] if header else []) + [list(r) for r in rows]]
    if not cells:
        return ""
    widths = [max(len(r[i]) for r in cells if i < len(r)) for i in range(max(len(r) for r in cells))]
    lines = []
    for n, r in enumerate(cells):
        raw = ([header] if header else []) + [list(x) for x in rows]
        parts = []
        for i, c in enumerate(r):
            numeric = header is not None and isinstance(raw[n][i], (int, float)) and not isinstance(raw[n][i], bool)
            parts.append(c.rjust(widths[i]) if numeric else c.ljust(widths[i]))
        lines.append("  ".join(parts).rstrip())
        if header and n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"
    return str(v)


def _print_failures(failures: list[dict[str, Any]], out: Path) -> None:
    print(f"\n{len(failures)} run(s) failed (details and tracebacks: {out / 'failures'}):")
    rows = [(f.get("scenario"), f.get("point_id"), f.get("replicate"), str(f.get("error", ""))[:100]) for f in failures[:MAX_FAILURES_SHOWN]]
    print(table(rows, ("scenario", "point", "replicate", "error")))
    if len(failures) > MAX_FAILURES_SHOWN:
        print(f"... and {len(failures) - MAX_FAILURES_SHOWN} more")


def _run_sweep(spec: ExperimentSpec, out_dir: Path, executor: str | None, workers: int | None, scheduler: str | None, progress: bool) -> int:
    from experiments.execution.engine import run_experiment

    kind = _executor_choice(spec, executor, scheduler)
    print(f"experiment {spec.display_name}: model {spec.model}, {spec.replicates} replicate(s), root seed {spec.root_seed} -> {out_dir}")
    summary = run_experiment(spec, out_dir, kind, workers=workers, scheduler=scheduler, progress=progress)
    if summary.damaged:
        print(f"{len(summary.damaged)} run shard(s) were unreadable (truncated or corrupt), moved to {out_dir / 'damaged'} and redone: {', '.join(summary.damaged[:5])}{' ...' if len(summary.damaged) > 5 else ''}")
    print(
        table(
            [(summary.planned, summary.done, summary.skipped, summary.failed, round(summary.elapsed_s, 1), summary.executor or "(nothing to run)")],
            ("planned", "done now", "already done", "failed", "seconds", "executor"),
        )
    )
    if summary.failed:
        _print_failures(load_failures(out_dir), out_dir)
    return summary.exit_code


def cmd_sweep(
    spec_path: str | Path,
    out: str | Path | None = None,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> int:
    """Run (or resume) every run of a spec; exit code 1 if any run failed."""
    spec = load_spec(spec_path)
    out_dir = Path(out) if out is not None else default_out(spec)
    code = _run_sweep(spec, out_dir, executor, workers, scheduler, progress)
    print(f"results: {out_dir}  (load with experiments.execution.store.load_results)")
    return code


def cmd_sensitivity(
    spec_path: str | Path,
    out: str | Path | None = None,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> int:
    """Run (or resume) the sobol/morris sweep of a spec, then compute and write the indices."""
    from experiments.analysis.sensitivity import SENSITIVITY_DIR, IncompleteResults, analyze, markdown_table

    spec = load_spec(spec_path)
    if spec.design is None or spec.design.kind not in ("sobol", "morris"):
        kind = spec.design.kind if spec.design is not None else None
        raise InputError(f"design.kind: {kind!r} is not allowed for sensitivity; expected sobol or morris")
    out_dir = Path(out) if out is not None else default_out(spec)
    code = _run_sweep(spec, out_dir, executor, workers, scheduler, progress)
    if code != 0:
        print("sensitivity indices need every design point; fix the failures and re-run to resume")
        return 1
    try:
        frame = analyze(spec, out_dir)
    except IncompleteResults as exc:
        print(f"cannot analyse: {exc}")
        return 1
    for (scenario, kpi), group in frame.groupby(["scenario", "kpi"], sort=False):
        print(f"\n{kpi}" + (f" ({scenario})" if frame["scenario"].nunique() > 1 else ""))
        shown = group.drop(columns=["scenario", "kpi"])
        if not shown["note"].astype(bool).any():
            shown = shown.drop(columns=["note"])
        print(markdown_table(shown))
    print(f"\nindices and figures: {out_dir / SENSITIVITY_DIR}")
    return 0


def cmd_optimize(
    spec_path: str | Path,
    out: str | Path | None = None,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> int:
    """Run (or resume) the budget-constrained lever search; exit code 1 if nothing met the budget."""
    from experiments.analysis.optimize import run_optimization

    spec = load_spec(spec_path)
    if spec.optimize is None:
        raise InputError("optimize: missing; expected an optimize section (objective, space, budget, n_trials)")
    out_dir = Path(out) if out is not None else default_out(spec)
    kind = _executor_choice(spec, executor, scheduler)
    opt = spec.optimize
    cap = f", budget cap {opt.budget.max_cny_per_year:,.0f} CNY/year on {opt.budget.kpi}" if opt.budget else ""
    print(f"optimize {spec.display_name}: {opt.n_trials} trials x {spec.replicates} replicate(s){cap} -> {out_dir}")
    result = run_optimization(spec, out_dir, kind, workers=workers, scheduler=scheduler, progress=progress)
    if result.failed_runs:
        _print_failures(load_failures(out_dir), out_dir)
    if result.best is None:
        print(f"no feasible setting in {result.n_trials} trials ({result.feasible_trials} within budget); see {out_dir / 'trials.csv'}")
        return 1
    best = result.best
    print(f"\nbest within budget: trial {best['trial']}, objective {_fmt(best['objective'])} ({best['direction']}); {result.feasible_trials} of {result.n_trials} trials within budget")
    print(table(list(best["settings"].items()), ("lever", "setting")))
    print()
    shown = _headline_kpis(spec, list(best["kpis"]))
    rows = [(k, v["mean"], v["ci_low"], v["ci_high"], v["n"]) for k, v in best["kpis"].items() if k in shown]
    print(table(rows, ("KPI", "mean", "95% CI low", "95% CI high", "n")))
    if len(shown) < len(best["kpis"]):
        print(f"({len(best['kpis']) - len(shown)} more KPIs with their intervals in best.csv)")
    print(f"\noutputs: {out_dir} (best.json, best.csv, trials.csv, trial_history.png, cost_vs_outcome.png)")
    return 0


def _headline_kpis(spec: ExperimentSpec, available: list[str]) -> list[str]:
    """The objective's KPIs, the budget KPI and any KPIs the spec lists under outputs."""
    opt = spec.optimize
    assert opt is not None
    wanted = [opt.objective.kpi] if opt.objective.kpi else list(opt.objective.weights or {})
    if opt.budget is not None:
        wanted.append(opt.budget.kpi)
    if spec.outputs.kpis != "all":
        wanted.extend(spec.outputs.kpis)
    return [k for k in dict.fromkeys(wanted) if k in available]


def cmd_status(out_dir: str | Path) -> int:
    """Progress of an experiment folder (works while it runs); exit 0 if complete without failures."""
    out = Path(out_dir)
    if not (out / MANIFEST).is_file():
        raise InputError(f"dir: {str(out_dir)!r} has no {MANIFEST}; expected an experiment output folder")
    manifest = read_manifest(out)
    store = ResultStore(out)
    plan = store.read_plan() if (out / PLAN).is_file() else None
    keys = set(plan["key"]) if plan is not None else None
    done = store.done_keys() if keys is None else store.done_keys() & keys
    failures = [f for f in load_failures(out) if keys is None or f.get("key") in keys]
    planned = len(keys) if keys is not None else None
    missing = planned - len(done) if planned is not None else None
    invocations = manifest.get("invocations", [])
    rows: list[tuple[str, Any]] = [
        ("experiment", manifest.get("experiment")),
        ("kind", manifest.get("kind", "sweep")),
        ("model", manifest.get("model")),
        ("status", manifest.get("status")),
        ("planned runs", planned),
        ("done", len(done)),
        ("failed", len(failures)),
        ("missing", missing),
        ("root seed", manifest.get("root_seed")),
        ("spec hash", (manifest.get("spec_hash") or "")[:16] or None),
        ("git commit", (manifest.get("git_commit") or "")[:12] or None),
        ("invocations", len(invocations)),
        ("created", manifest.get("created")),
        ("updated", manifest.get("updated")),
    ]
    if manifest.get("kind") == "optimize":
        best = manifest.get("best") or {}
        rows.append(("best trial", best.get("trial")))
        rows.append(("best objective", best.get("objective")))
    print(table(rows))
    if failures:
        _print_failures(failures, out)
    complete = (missing == 0) if missing is not None else manifest.get("status") == "complete"
    return 0 if complete and not failures else 1
