"""Budget-constrained lever search: which lever mix does best for a fixed annual budget?

Why this shape:

* **Optuna TPE, seeded, stored in SQLite** (``<out>/optuna.db``, ``load_if_exists``): a study
  survives interruption and continues where it stopped; re-running asks only for the trials
  still missing. Trials left "running" by a killed process are marked failed and their setting
  is re-queued.
* **Each trial = N seeded replicates through the normal engine** (common random numbers:
  replicate *r* has the same seed in every trial, so trials are compared on the same noise).
  Runs are stored as shards like any sweep, so a repeated setting costs nothing and every
  number in the outputs can be traced to runs.
* **The budget is a constraint, not a hope.** A trial is feasible when the budget KPI
  (``spending_cny_per_year`` by default) is at or under the cap in *every* replicate, or when an
  ex-ante estimate function says so. Infeasible trials are told to the sampler as a violated
  Optuna constraint (so it learns where the cap binds) and are never reported as best.

Outputs in the output folder: ``best.json`` and ``best.csv`` (settings, every KPI's mean and
95% t-interval over replicates), ``trials.csv``, ``trial_history.png`` and
``cost_vs_outcome.png``.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from matplotlib.figure import Figure
from scipy import stats

from experiments.execution.engine import PlannedRun, execute_plan
from experiments.execution.executors import Executor, make_executor
from experiments.design.models import import_function, make_adapter
from experiments.design.seeding import design_seed, replicate_seed
from experiments.design.spec import ExperimentSpec, FactorSpec
from experiments.execution.guard import FolderLock, writes_guarded
from experiments.execution.store import ResultStore, atomic_write_bytes, atomic_write_json, run_key
from simulation.errors import InputError

STUDY_DB = "optuna.db"
SCENARIO = "optimize"


@dataclass
class OptimizeResult:
    out_dir: Path
    n_trials: int
    feasible_trials: int
    best: dict[str, Any] | None
    failed_runs: int = 0
    files: list[Path] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.best is not None else 1


def _suggest(trial: Any, name: str, f: FactorSpec) -> Any:
    if f.levels is not None:
        return trial.suggest_categorical(name, list(f.levels))
    if f.value_kind == "int":
        return trial.suggest_int(name, int(f.low), int(f.high))  # type: ignore[arg-type]
    return trial.suggest_float(name, float(f.low), float(f.high))  # type: ignore[arg-type]


def _constraints(trial: Any) -> list[float]:
    """Optuna < 5 constraint function: <= 0 is feasible (cost minus cap)."""
    return [float(trial.user_attrs.get("constraint", 0.0))]


def _has_set_constraint() -> bool:
    import optuna

    return hasattr(optuna.trial.Trial, "set_constraint")


def _mark_constraint(trial: Any, violation: float) -> None:
    """Record cost minus cap (<= 0 feasible) for our outputs and for the sampler (before ``tell``)."""
    trial.set_user_attr("constraint", float(violation))
    if _has_set_constraint():  # Optuna >= 5; older versions read it through ``_constraints``
        trial.set_constraint("budget", float(violation))


def _objective(spec: ExperimentSpec, means: dict[str, float]) -> float:
    o = spec.optimize.objective  # type: ignore[union-attr]
    terms = {o.kpi: 1.0} if o.kpi is not None else dict(o.weights or {})
    missing = [k for k in terms if k not in means]
    if missing:
        where = "optimize.objective.kpi" if o.kpi is not None else "optimize.objective.weights"
        raise InputError(f"{where}: {missing[0]!r} is not reported by the model; expected one of {', '.join(means)}")
    return float(sum(w * means[k] for k, w in terms.items()))


def mean_ci(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t-interval (NaN bounds with fewer than two values)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if values.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size))
    return mean, mean - half, mean + half


def _trial_runs(spec: ExperimentSpec, adapter: Any, number: int, params: dict[str, Any], fixed: dict[str, Any]) -> list[PlannedRun]:
    overrides = {**fixed, **params}
    config_json, _ = adapter.build(overrides)
    runs = []
    for r in range(spec.replicates):
        seed = replicate_seed(spec.root_seed, r)
        key = run_key(adapter.name, config_json, SCENARIO, params, r, seed)
        runs.append(PlannedRun(key, SCENARIO, f"t{number:05d}", number, r, seed, overrides, dict(params)))
    return runs


def _read_rows(store: ResultStore, keys: list[str]) -> pd.DataFrame | None:
    paths = [store.run_path(k) for k in keys]
    if not all(p.is_file() for p in paths):
        return None
    return pd.concat([pq.read_table(p).to_pandas() for p in paths], ignore_index=True)


def _numeric(rows: pd.DataFrame, exclude: set[str]) -> list[str]:
    return [c for c in rows.columns if c not in exclude and pd.api.types.is_numeric_dtype(rows[c]) and not pd.api.types.is_bool_dtype(rows[c])]


def run_optimization(
    spec: ExperimentSpec,
    out_dir: str | Path,
    executor: Executor | str | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> OptimizeResult:
    """Run (or resume) the Optuna study of ``spec.optimize`` and write the outputs."""
    opt = spec.optimize
    if opt is None:
        raise InputError("optimize: missing; expected an optimize section (objective, space, budget, n_trials)")
    scen = spec.resolved_scenarios()
    if len(scen) > 1:
        raise InputError(f"scenarios: {len(scen)} scenarios given; optimize takes at most one (its overrides are held fixed)")
    fixed = scen[0][1] if scen else {}
    adapter = make_adapter(spec)
    out = Path(out_dir)
    # One writer per folder (a second optimize or sweep on it is refused with one line), and a
    # full or read-only disk stops with one line, as for sweeps (experiments/execution/guard.py).
    with writes_guarded(out), FolderLock(out):
        return _optimize_locked(spec, out, executor, workers, scheduler, progress, opt, fixed, adapter)


def _optimize_locked(spec: ExperimentSpec, out: Path, executor: Executor | str | None, workers: int | None, scheduler: str | None,
                     progress: bool, opt: Any, fixed: dict[str, Any], adapter: Any) -> OptimizeResult:
    import optuna
    from optuna.trial import TrialState
    from tqdm.auto import tqdm

    store = ResultStore(out)
    store.begin(
        {
            "experiment": spec.display_name,
            "kind": "optimize",
            "model": spec.model,
            "spec_file": str(spec.source) if spec.source else None,
            "spec_hash": spec.spec_hash(),
            "root_seed": spec.root_seed,
            "seeds": "common",
            "replicates": spec.replicates,
            "factors": list(opt.space),
            "scenarios": {SCENARIO: fixed},
        },
        None,
        spec.model_dump(mode="json"),
    )
    estimate = import_function(opt.budget.estimate) if opt.budget is not None and opt.budget.estimate else None

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seed = opt.seed if opt.seed is not None else design_seed(spec.root_seed, "optuna")
    sampler = optuna.samplers.TPESampler(
        seed=seed,
        constraints_func=_constraints if opt.budget is not None and not _has_set_constraint() else None,
        n_startup_trials=opt.n_startup_trials or min(10, max(2, opt.n_trials // 3)),
    )
    study = optuna.create_study(
        storage=f"sqlite:///{(out / STUDY_DB).resolve()}",
        study_name=spec.display_name,
        direction=opt.objective.direction,
        sampler=sampler,
        load_if_exists=True,
    )
    # Trials a killed process left running: mark failed, and ask for their setting again.
    for stale in study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING)):
        if stale.state == TrialState.RUNNING:
            study._storage.set_trial_state_values(stale._trial_id, state=TrialState.FAIL)
            if stale.params:
                study.enqueue_trial(stale.params, skip_if_exists=False)
    finished_states = (TrialState.COMPLETE, TrialState.PRUNED)
    already = len(study.get_trials(deepcopy=False, states=finished_states))
    todo = max(0, opt.n_trials - already)

    own = not isinstance(executor, Executor)
    ex: Executor | None = executor if isinstance(executor, Executor) else None
    failed_runs = 0
    t0 = time.perf_counter()
    bar = tqdm(total=opt.n_trials, initial=already, unit="trial", desc=spec.display_name, disable=not progress, dynamic_ncols=True)
    try:
        for _ in range(todo):
            trial = study.ask()
            params = {name: _suggest(trial, name, f) for name, f in opt.space.items()}
            runs = _trial_runs(spec, adapter, trial.number, params, fixed)
            trial.set_user_attr("keys", [r.key for r in runs])
            if estimate is not None and opt.budget is not None:
                _, payload = adapter.build({**fixed, **params})
                cost = float(estimate(payload))
                trial.set_user_attr("cost_estimate", cost)
                if cost > opt.budget.max_cny_per_year:
                    _mark_constraint(trial, cost - opt.budget.max_cny_per_year)
                    trial.set_user_attr("feasible", False)
                    study.tell(trial, state=TrialState.PRUNED)
                    bar.update(1)
                    continue
            if ex is None:
                kind = executor if isinstance(executor, str) else spec.executor.kind
                sched = scheduler if scheduler is not None else spec.executor.scheduler
                ex = make_executor("dask" if sched and executor is None else kind, workers or spec.executor.workers, sched)
            result = execute_plan(spec, runs, store, ex, progress=False)
            failed_runs += result.failed
            rows = _read_rows(store, [r.key for r in runs])
            if rows is None:
                trial.set_user_attr("error", result.failures[0]["error"] if result.failures else "runs missing")
                study.tell(trial, state=TrialState.FAIL)
                bar.update(1)
                continue
            kpis = _numeric(rows, {"point_index", "replicate", "seed", "elapsed_s", *params})
            means = {k: float(rows[k].mean()) for k in kpis}
            value = _objective(spec, means)
            trial.set_user_attr("kpi_means", means)
            if opt.budget is not None:
                b = opt.budget
                if b.kpi not in rows.columns:
                    raise InputError(f"optimize.budget.kpi: {b.kpi!r} is not reported by the model; expected one of {', '.join(kpis)}")
                cost_max = float(rows[b.kpi].max())
                trial.set_user_attr("cost_max", cost_max)
                trial.set_user_attr("cost_mean", float(rows[b.kpi].mean()))
                _mark_constraint(trial, cost_max - b.max_cny_per_year)
                trial.set_user_attr("feasible", bool(cost_max <= b.max_cny_per_year))
            else:
                trial.set_user_attr("feasible", True)
            study.tell(trial, value)
            bar.update(1)
            store.update_invocation(trials=study_len(study))
            store.flush()
    except BaseException:
        store.update(status="interrupted")
        store.update_invocation(status="interrupted")
        store.flush(force=True)
        raise
    finally:
        bar.close()
        if own and ex is not None:
            ex.shutdown()
    result = write_outputs(spec, study, store)
    result.failed_runs = failed_runs
    store.update(status="complete" if result.best is not None else "no_feasible_setting", best=result.best)
    store.refresh_counts()
    store.update_invocation(status="complete", finished=_now(), wall_s=round(time.perf_counter() - t0, 3))
    store.flush(force=True)
    return result


def study_len(study: Any) -> int:
    return len(study.get_trials(deepcopy=False))


def _now() -> str:
    from experiments.execution.store import now_iso

    return now_iso()


def trials_frame(spec: ExperimentSpec, study: Any) -> pd.DataFrame:
    """One row per trial: number, state, objective, cost, feasibility and the lever settings."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        row: dict[str, Any] = {
            "trial": t.number,
            "state": t.state.name,
            "objective": t.value if t.value is not None else math.nan,
            "feasible": t.user_attrs.get("feasible"),
            "cost_max": t.user_attrs.get("cost_max", t.user_attrs.get("cost_estimate", math.nan)),
            "cost_mean": t.user_attrs.get("cost_mean", math.nan),
        }
        row.update({f"param:{k}": v for k, v in t.params.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def best_trial(spec: ExperimentSpec, study: Any) -> Any | None:
    """Best COMPLETE trial that is feasible (within budget in every replicate); None if there is none."""
    from optuna.trial import TrialState

    opt = spec.optimize
    assert opt is not None
    cap = opt.budget.max_cny_per_year if opt.budget is not None else math.inf
    candidates = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.value is not None
        and math.isfinite(t.value)
        and t.user_attrs.get("feasible") is True
        and (opt.budget is None or float(t.user_attrs.get("cost_max", math.inf)) <= cap)
    ]
    if not candidates:
        return None
    sign = 1.0 if opt.objective.direction == "minimize" else -1.0
    return min(candidates, key=lambda t: (sign * t.value, t.number))


def write_outputs(spec: ExperimentSpec, study: Any, store: ResultStore) -> OptimizeResult:
    """best.json/best.csv (with 95% CIs), trials.csv and the two figures."""
    opt = spec.optimize
    assert opt is not None
    out = store.root
    trials = trials_frame(spec, study)
    files = [out / "trials.csv", out / "best.json", out / "best.csv", out / "trial_history.png", out / "cost_vs_outcome.png"]
    atomic_write_bytes(files[0], trials.to_csv(index=False).encode("utf-8"))
    best = best_trial(spec, study)
    best_info: dict[str, Any] | None = None
    ci_rows: list[dict[str, Any]] = []
    if best is not None:
        rows = _read_rows(store, list(best.user_attrs.get("keys", [])))
        if rows is not None:
            for kpi in _numeric(rows, {"point_index", "replicate", "seed", "elapsed_s", *best.params}):
                mean, lo, hi = mean_ci(rows[kpi].to_numpy(dtype=float))
                ci_rows.append({"kpi": kpi, "n": int(rows[kpi].notna().sum()), "mean": mean, "ci_low": lo, "ci_high": hi})
        best_info = {
            "trial": best.number,
            "objective": best.value,
            "direction": opt.objective.direction,
            "objective_definition": opt.objective.model_dump(mode="json"),
            "budget_cap_cny_per_year": opt.budget.max_cny_per_year if opt.budget else None,
            "budget_kpi": opt.budget.kpi if opt.budget else None,
            "cost_max": best.user_attrs.get("cost_max"),
            "replicates": spec.replicates,
            "settings": dict(best.params),
            "kpis": {r["kpi"]: {k: r[k] for k in ("mean", "ci_low", "ci_high", "n")} for r in ci_rows},
        }
    summary = {
        "experiment": spec.display_name,
        "n_trials": int(len(trials)),
        "feasible_trials": int((trials.get("feasible") == True).sum()) if not trials.empty else 0,  # noqa: E712
        "best": best_info,
        "message": None if best_info else "no trial met the budget cap; raise the cap, widen the space or add trials",
    }
    atomic_write_json(files[1], json.loads(json.dumps(summary, default=_json_default)))
    best_csv = pd.DataFrame(ci_rows)
    if best_info is not None:
        settings = pd.DataFrame([{"kpi": f"setting:{k}", "n": None, "mean": v, "ci_low": None, "ci_high": None} for k, v in best_info["settings"].items()])
        best_csv = pd.concat([settings, best_csv], ignore_index=True)
    atomic_write_bytes(files[2], best_csv.to_csv(index=False).encode("utf-8"))
    _history_figure(trials, opt.objective.direction, files[3])
    _cost_figure(trials, opt.budget.max_cny_per_year if opt.budget else None, best.number if best is not None else None, files[4])
    return OptimizeResult(out, int(len(trials)), summary["feasible_trials"], best_info, files=files)


def _json_default(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return str(v)


def _history_figure(trials: pd.DataFrame, direction: str, path: Path) -> None:
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    if not trials.empty:
        done = trials[trials["state"] == "COMPLETE"]
        ok = done[done["feasible"] == True]  # noqa: E712
        bad = done[done["feasible"] != True]  # noqa: E712
        ax.scatter(ok["trial"], ok["objective"], color="#4C72B0", label="within budget", zorder=3)
        ax.scatter(bad["trial"], bad["objective"], color="#C44E52", marker="x", label="over budget", zorder=3)
        if not ok.empty:
            series = ok.set_index("trial")["objective"].sort_index()
            running = series.cummin() if direction == "minimize" else series.cummax()
            ax.step(running.index, running.to_numpy(), where="post", color="black", linewidth=1.2, label="best within budget")
        ax.legend(fontsize="small")
    ax.set_xlabel("trial")
    ax.set_ylabel(f"objective ({direction})")
    ax.set_title("Optimisation history")
    fig.savefig(path, dpi=110)


def _cost_figure(trials: pd.DataFrame, cap: float | None, best: int | None, path: Path) -> None:
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    if not trials.empty:
        done = trials[trials["state"] == "COMPLETE"]
        ok = done["feasible"] == True  # noqa: E712
        ax.scatter(done.loc[ok, "cost_max"], done.loc[ok, "objective"], color="#4C72B0", label="within budget")
        ax.scatter(done.loc[~ok, "cost_max"], done.loc[~ok, "objective"], color="#C44E52", marker="x", label="over budget")
        if best is not None:
            b = trials[trials["trial"] == best]
            ax.scatter(b["cost_max"], b["objective"], s=160, facecolors="none", edgecolors="black", linewidths=1.5, label="best", zorder=4)
        if cap is not None:
            ax.axvline(cap, color="grey", linestyle="--", label=f"budget cap {cap:,.0f}")
        ax.legend(fontsize="small")
    ax.set_xlabel("cost (CNY/year, highest over replicates)")
    ax.set_ylabel("objective")
    ax.set_title("Cost vs outcome of every trial")
    fig.savefig(path, dpi=110)
