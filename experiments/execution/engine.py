"""The experiment engine: expand a spec into runs, execute them anywhere, store each as it finishes.

Why it is shaped this way:

* **Plan first, then run.** Every run -- (scenario, design point, replicate) -- is expanded and
  validated up front (bad overrides fail before anything runs) and gets a content key and a
  seed that depend only on the spec, never on executor, worker count or completion order.
* **Skip what is done.** Keys with a shard in the store are not run again, so re-running an
  interrupted sweep resumes it and re-running a finished one costs nothing.
* **Bounded in-flight work.** At most ~2 tasks per worker are submitted at a time; each result
  is written (atomically) the moment it arrives. A kill loses only the runs in flight.
* **Failures are data.** A run that raises is recorded in ``failures/<key>.json`` with its
  traceback; the others carry on; the summary's ``exit_code`` is 1.
* **One task function.** :func:`execute_task` is a top-level function taking a small picklable
  :class:`RunTask`, so the same code runs inline, in a spawned process or on a Dask worker.

:func:`run_experiment` runs a spec; :func:`run_scenarios` is the entry point for scenario
comparisons (``compare``): a list of ``(name, overrides)`` times replicates, with common random
numbers (replicate *i* of every scenario gets the same seed).
"""

from __future__ import annotations

import contextlib
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from experiments.design.designs import Design, make_design
from experiments.execution.executors import Executor, make_executor
from experiments.design.models import canonical, execute_model, make_adapter
from experiments.design.seeding import replicate_seed, run_seed
from experiments.design.spec import ExperimentSpec, build_spec
from experiments.execution.guard import FolderLock, quarantine_damaged, writes_guarded
from experiments.execution.store import ResultStore, load_failures, run_key, update_cache
from simulation.errors import InputError

DEFAULT_SCENARIO = "base"
COMPILED_LOOPS_MIN_RUNS = 20
"""Runs per worker from which a sweep's workers use the compiled loops for every world size
(loading them costs about a second per process; a 20,000-resident year gains about 0.1 s)."""


@dataclass(frozen=True)
class PlannedRun:
    """One run of the plan: where it sits in the experiment and what it overrides."""

    key: str
    scenario: str
    point_id: str
    point_index: int
    replicate: int
    seed: int
    overrides: dict[str, Any]  # scenario overrides, then design-point values (the point wins)
    factors: dict[str, Any]  # the design point's values only (stored as columns)


@dataclass(frozen=True)
class RunTask:
    """What a worker needs: picklable, self-contained (the payload is a config object or params)."""

    key: str
    model: str
    payload: Any
    seed: int
    daily: bool = False
    compiled_loops: bool = False  # see execute_model: many runs in one worker load the loops once


@dataclass
class RunOutcome:
    key: str
    ok: bool
    summary: dict[str, Any] | None = None
    daily: pd.DataFrame | None = None
    elapsed_s: float = 0.0
    error: str | None = None
    traceback: str | None = None


@dataclass
class RunSummary:
    """What happened in one invocation (counts over unique run keys)."""

    out_dir: Path
    planned: int
    done: int = 0  # completed now
    skipped: int = 0  # already in the store
    failed: int = 0
    elapsed_s: float = 0.0
    executor: str = ""
    failures: list[dict[str, Any]] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)  # unreadable shards found on resume, redone now

    @property
    def complete(self) -> bool:
        return self.done + self.skipped == self.planned

    @property
    def exit_code(self) -> int:
        return 0 if self.failed == 0 and self.complete else 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "planned": self.planned,
            "done": self.done,
            "skipped": self.skipped,
            "failed": self.failed,
            "elapsed_s": round(self.elapsed_s, 3),
            "executor": self.executor,
        }


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def execute_task(task: RunTask) -> RunOutcome:
    """Run one task (in any process). Never raises for model errors: they come back as data."""
    t0 = time.perf_counter()
    try:
        summary, daily = execute_model(task.model, task.payload, task.seed, compiled_loops=task.compiled_loops, daily=task.daily)
    except Exception as exc:  # noqa: BLE001 - a failing run is recorded, not fatal
        return RunOutcome(task.key, False, elapsed_s=time.perf_counter() - t0, error=_one_line(exc), traceback=traceback.format_exc())
    return RunOutcome(task.key, True, summary, daily if task.daily else None, time.perf_counter() - t0)


# -- planning ----------------------------------------------------------------------------------


def plan_runs(spec: ExperimentSpec, design: Design | None = None) -> list[PlannedRun]:
    """Expand scenarios x design points x replicates into runs with keys and seeds.

    Seeds: with ``seeds: common`` (default) replicate *r* gets ``replicate_seed(root_seed, r)``
    in every scenario and at every design point (paired comparisons); with ``independent`` each
    (scenario, point, replicate) gets its own stream.
    """
    adapter = make_adapter(spec)
    design = design or make_design(spec.design, spec.root_seed)
    scenarios = spec.resolved_scenarios() or [(DEFAULT_SCENARIO, {})]
    runs: list[PlannedRun] = []
    for sname, sover in scenarios:
        for point in design.points:
            overrides = {**sover, **point.values}
            try:
                config_json, _ = adapter.build(overrides)
            except InputError as exc:
                where = f"scenarios.{sname}" if not point.values else f"design point {point.id} of scenario {sname}"
                raise InputError(f"{where}: {exc}") from None
            point_key = canonical({"scenario": sname, "point": point.values})
            for r in range(spec.replicates):
                seed = replicate_seed(spec.root_seed, r) if spec.seeds == "common" else run_seed(spec.root_seed, point_key, r)
                key = run_key(adapter.name, config_json, sname, point.values, r, seed)
                runs.append(PlannedRun(key, sname, point.id, point.index, r, seed, overrides, dict(point.values)))
    return runs


def plan_frame(plan: Sequence[PlannedRun]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": [p.key for p in plan],
            "scenario": [p.scenario for p in plan],
            "point_id": [p.point_id for p in plan],
            "point_index": [p.point_index for p in plan],
            "replicate": [p.replicate for p in plan],
            "seed": [p.seed for p in plan],
            "point": [canonical(p.factors) for p in plan],
        }
    )


# -- executing ---------------------------------------------------------------------------------


def _row(run: PlannedRun, outcome: RunOutcome, kpis: list[str] | str) -> dict[str, Any]:
    summary = outcome.summary or {}
    if kpis != "all":
        missing = [k for k in kpis if k not in summary]
        if missing:
            raise KeyError(f"KPI {missing[0]!r} not reported by the model; available: {', '.join(summary)}")
        summary = {k: summary[k] for k in kpis}
    row: dict[str, Any] = {
        "scenario": run.scenario,
        "point_id": run.point_id,
        "point_index": run.point_index,
        "replicate": run.replicate,
        "seed": run.seed,
        "run_key": run.key,
        "elapsed_s": round(outcome.elapsed_s, 6),
    }
    row.update(run.factors)
    for k, v in summary.items():
        if k in row:
            # A model may echo its seed or a parameter: keep it once if equal, else under model_<name>.
            if row[k] == v:
                continue
            k = f"model_{k}"
        row[k] = v
    return row


def _failure_record(run: PlannedRun, error: str, tb: str | None) -> dict[str, Any]:
    return {
        "scenario": run.scenario,
        "point_id": run.point_id,
        "point_index": run.point_index,
        "replicate": run.replicate,
        "seed": run.seed,
        "overrides": run.overrides,
        "error": error,
        "traceback": tb,
    }


def execute_plan(
    spec: ExperimentSpec,
    plan: Sequence[PlannedRun],
    store: ResultStore,
    executor: Executor | str | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    desc: str | None = None,
) -> RunSummary:
    """Run every planned key not yet in the store; write each result as it arrives.

    ``executor`` is an :class:`Executor` (the caller owns and shuts it down), a kind name, or
    None for the spec's ``executor`` section; ``workers``/``scheduler`` override the spec.
    """
    from tqdm.auto import tqdm

    adapter = make_adapter(spec)
    t_start = time.perf_counter()
    unique: dict[str, PlannedRun] = {}
    for run in plan:
        unique.setdefault(run.key, run)
    damaged = quarantine_damaged(store.root, unique)
    if damaged:
        store.update_invocation(damaged=damaged)
    done_before = store.done_keys()
    # Seed by seed: under common random numbers the runs of one seed share a world, which a
    # worker's world cache then builds once however many replicates the sweep has (the cache
    # holds a few worlds; scenario by scenario it would cycle through all of them).
    todo = [r for k, r in unique.items() if k not in done_before]
    if spec.seeds == "common":
        todo.sort(key=lambda r: r.replicate)
    summary = RunSummary(store.root, planned=len(unique), skipped=len(unique) - len(todo), damaged=damaged)
    if not todo:
        summary.elapsed_s = time.perf_counter() - t_start
        return summary

    owned = not isinstance(executor, Executor)
    if owned:
        kind = executor if isinstance(executor, str) else spec.executor.kind
        scheduler = scheduler if scheduler is not None else (spec.executor.scheduler if kind == "dask" else None)
        if scheduler and kind != "dask" and executor is None:
            kind = "dask"
        ex = make_executor(kind, workers or spec.executor.workers, scheduler)
    else:
        ex = executor  # type: ignore[assignment]
    summary.executor = ex.describe()
    store.update_invocation(executor=summary.executor)
    store.flush(force=True)
    window = 1 if ex.kind == "inline" else max(2, 2 * ex.workers)
    compiled_loops = len(todo) >= COMPILED_LOOPS_MIN_RUNS * max(1, ex.workers)
    kpis = spec.outputs.kpis
    seen_kpis: list[str] = list(store.read_manifest().get("kpis") or [])
    run_seconds = 0.0
    fresh_rows: list[dict[str, Any]] = []

    bar = tqdm(total=len(todo), unit="run", desc=desc or spec.display_name, disable=not progress, dynamic_ncols=True, smoothing=0.05)
    pending: dict[Future, PlannedRun] = {}
    queue = iter(todo)

    def submit(run: PlannedRun) -> None:
        _, payload = adapter.build(run.overrides)
        task = RunTask(run.key, adapter.name, payload, run.seed, spec.outputs.daily, compiled_loops)
        pending[ex.submit(execute_task, task)] = run

    def submit_next() -> bool:
        run = next(queue, None)
        if run is None:
            return False
        submit(run)
        return True

    def record_failure(run: PlannedRun, error: str, tb: str | None) -> None:
        store.write_failure(run.key, _failure_record(run, error, tb))
        summary.failed += 1
        summary.failures.append({"key": run.key, "scenario": run.scenario, "point_id": run.point_id, "replicate": run.replicate, "error": error})
        bar.set_postfix(failed=summary.failed)

    def collect(fut: Future, run: PlannedRun, isolated: bool) -> None:
        nonlocal run_seconds
        try:
            outcome: RunOutcome = fut.result()
        except BrokenProcessPool as exc:
            if not isolated:
                # A worker process died and took every run in flight with it; we cannot tell
                # which run killed it, so each is retried alone at the end.
                suspects.append(run)
                return
            record_failure(run, f"{_one_line(exc)} (the run crashed its worker process)", "".join(traceback.format_exception(exc)))
        except Exception as exc:  # noqa: BLE001 - task not picklable, dask worker lost, ...
            record_failure(run, _one_line(exc), "".join(traceback.format_exception(exc)))
        else:
            if not outcome.ok:
                record_failure(run, outcome.error or "failed", outcome.traceback)
            else:
                try:
                    row = _row(run, outcome, kpis)
                except KeyError as exc:
                    record_failure(run, str(exc.args[0]), None)
                else:
                    store.write_run(row, outcome.daily)
                    fresh_rows.append(row)
                    summary.done += 1
                    run_seconds += outcome.elapsed_s
                    for k in outcome.summary or {}:
                        if k not in seen_kpis and (kpis == "all" or k in kpis):
                            seen_kpis.append(k)
        bar.update(1)
        store.update_invocation(completed=summary.done, failed=summary.failed)
        store.flush()

    suspects: list[PlannedRun] = []
    try:
        while len(pending) < window and submit_next():
            pass
        while pending:
            finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for fut in finished:
                collect(fut, pending.pop(fut), isolated=False)
            while len(pending) < window and submit_next():
                pass
        for run in suspects:  # one at a time, so a crashing run only takes itself down
            submit(run)
            (fut,) = list(pending)
            wait([fut])
            collect(fut, pending.pop(fut), isolated=True)
    except BaseException:
        for fut in pending:
            fut.cancel()
        store.update_invocation(status="interrupted", finished=_now())
        store.update(status="interrupted", kpis=seen_kpis)
        store.refresh_counts(keys=unique)
        with contextlib.suppress(OSError):  # best effort: the disk may be what failed
            store.flush(force=True)
        if owned:
            ex.shutdown(wait=False, cancel_futures=True)
        bar.close()
        raise
    bar.close()
    if owned:
        ex.shutdown(wait=True)
    update_cache(store.root, fresh_rows)
    summary.elapsed_s = time.perf_counter() - t_start
    store.update(kpis=seen_kpis)
    store.update_invocation(run_s_total=round(run_seconds, 3), run_s_mean=round(run_seconds / summary.done, 4) if summary.done else None)
    return summary


def _now() -> str:
    from experiments.execution.store import now_iso

    return now_iso()


def _finish(store: ResultStore, summary: RunSummary, keys: Sequence[str]) -> None:
    counts = store.refresh_counts(planned=summary.planned, keys=keys)
    failures = load_failures(store.root)
    status = "complete" if counts.get("missing", 0) == 0 else ("failed" if counts.get("failed") else "incomplete")
    store.update(status=status, failures=[{k: f.get(k) for k in ("key", "scenario", "point_id", "replicate", "error")} for f in failures[:100]])
    store.update_invocation(
        status=status,
        finished=_now(),
        wall_s=round(summary.elapsed_s, 3),
        completed=summary.done,
        skipped=summary.skipped,
        failed=summary.failed,
    )
    store.flush(force=True)


# -- entry points ------------------------------------------------------------------------------


def run_experiment(
    spec: ExperimentSpec,
    out_dir: str | Path,
    executor: Executor | str | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> RunSummary:
    """Run (or resume) a whole experiment into ``out_dir``; return counts done/skipped/failed."""
    design = make_design(spec.design, spec.root_seed)
    plan = plan_runs(spec, design)
    store = ResultStore(out_dir)
    scenarios = spec.resolved_scenarios() or [(DEFAULT_SCENARIO, {})]
    info = {
        "experiment": spec.display_name,
        "model": spec.model,
        "spec_file": str(spec.source) if spec.source else None,
        "spec_hash": spec.spec_hash(),
        "root_seed": spec.root_seed,
        "seeds": spec.seeds,
        "replicates": spec.replicates,
        "design": spec.design.kind if spec.design else None,
        "design_points": len(design.points),
        "factors": design.factors,
        "scenarios": {name: overrides for name, overrides in scenarios},
    }
    with writes_guarded(out_dir), FolderLock(out_dir):  # one writer; a full/read-only disk -> one line
        store.begin(info, plan_frame(plan), spec.model_dump(mode="json"))
        summary = execute_plan(spec, plan, store, executor, workers=workers, scheduler=scheduler, progress=progress)
        _finish(store, summary, [p.key for p in plan])
    return summary


def run_scenarios(
    scenarios: Sequence[tuple[str, dict[str, Any]]],
    replicates: int,
    out_dir: str | Path,
    *,
    root_seed: int = 0,
    base: str | Path | dict[str, Any] | None = None,
    model: str = "simulation",
    executor: Executor | str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    daily: bool = False,
    kpis: list[str] | str = "all",
    name: str = "compare",
    progress: bool = True,
) -> RunSummary:
    """Scenarios x replicates with common random numbers (for ``compare``); see :func:`run_experiment`.

    ``scenarios`` is an ordered list of ``(name, dotted-path overrides)``; names must be unique.
    Results: ``load_results(out_dir)`` has one row per (scenario, replicate), same seed per replicate.
    """
    names = [n for n, _ in scenarios]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"scenarios: {dupes[0]!r} appears more than once; expected unique scenario names")
    if not scenarios:
        raise InputError("scenarios: [] is empty; expected at least one (name, overrides) pair")
    data: dict[str, Any] = {
        "name": name,
        "model": model,
        "base": str(base) if isinstance(base, Path) else base,
        "scenarios": {n: dict(o) for n, o in scenarios},
        "replicates": replicates,
        "root_seed": root_seed,
        "seeds": "common",
        "outputs": {"kpis": kpis, "daily": daily},
    }
    if isinstance(executor, str):
        data["executor"] = {"kind": executor, "workers": workers, "scheduler": scheduler}
    spec = build_spec(data, folder=Path.cwd())
    return run_experiment(spec, out_dir, executor, workers=workers, scheduler=scheduler, progress=progress)
