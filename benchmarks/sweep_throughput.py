"""Sweep throughput: runs per minute with 1 and 2 workers, and on a Dask local cluster.

Runs one experiment spec (default: configs/sweep_incentives_training.yaml) three times into
fresh folders — in-process (1 worker), a local process pool of 2, and a Dask LocalCluster of 2 —
prints wall time and runs per minute for each, and checks that the three result tables are
identical (same seeds, same values, whatever the executor).

``--before-after`` measures the engine's sweep settings in the same run: inline and on 2
processes, first with the world cache and the compiled loops off (``SAFETYSIM_WORLD_CACHE=0``,
``SAFETYSIM_KERNELS=0``: every run builds its world and runs the numpy code), then on (scenarios
of one replicate share a world; workers with many runs use the loops); the tables must be
identical too.  The last column is the mean time of a run inside its worker.

A second table says where each row's wall time went, from when each task started and ended in
its worker (wall clock): how long the workers took to start (spawn and imports, until a worker
began its first run), how long they ran runs, and how long they waited for work or the parent
(planning, writing each result, the last runs' imbalance) — what stands between a row and the
runs/min its per-run time would allow.  The process pool also runs the sweep a second time into a
fresh folder on the same executor (``--no-warm`` skips it): what a session that runs several
sweeps on one executor (``run_experiment(spec, out, executor)``) gets once its workers are up —
started, their compiled loops loaded and, for the same worlds and seeds, their worlds cached.

``--repeats N`` runs every row N times, in turn (inline, pool, ..., inline, pool, ...), each pool
started afresh, and adds the median and range of each row's runs/min: on a shared machine one pass
can be a tenth off either way.

    python benchmarks/sweep_throughput.py [SPEC] [--replicates N] [--before-after] [--no-dask] [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: workers import timed_task from the benchmarks package

from experiments.design.spec import load_spec  # noqa: E402
from experiments.execution.engine import execute_task, run_experiment  # noqa: E402
from experiments.execution.executors import Executor, make_executor  # noqa: E402
from experiments.execution.store import load_results  # noqa: E402


def timed_task(task):
    """The engine's task, with the worker's pid and the wall-clock start and end of the run."""
    start = time.time()
    outcome = execute_task(task)
    outcome.span = (os.getpid(), start, time.time())
    return outcome


class Timeline(Executor):
    """An executor around another that runs :func:`timed_task` and keeps each run's span."""

    def __init__(self, inner: Executor) -> None:
        self.inner, self.kind, self.workers = inner, inner.kind, inner.workers
        self.spans: list[tuple[int, float, float]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future = self.inner.submit(timed_task if fn is execute_task else fn, *args, **kwargs)
        future.add_done_callback(self._keep)
        return future

    def _keep(self, future: Future) -> None:
        if not future.cancelled() and future.exception() is None and hasattr(future.result(), "span"):
            self.spans.append(future.result().span)

    def describe(self) -> str:
        return self.inner.describe()

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


def where_the_time_went(label: str, spans: list[tuple[int, float, float]], t0: float, wall: float) -> tuple:
    """(label, workers, start s, running s, waiting s) per worker on average, and the runs/min
    the same runs would give with no start and no waiting."""
    by_worker: dict[int, list[tuple[float, float]]] = {}
    for pid, a, b in spans:
        by_worker.setdefault(pid, []).append((a - t0, b - t0))
    starts = [min(a for a, _ in runs) for runs in by_worker.values()]
    busy = [sum(b - a for a, b in runs) for runs in by_worker.values()]
    k = len(by_worker)
    start, running = sum(starts) / k, sum(busy) / k
    return (label, k, start, running, wall - start - running, len(spans) / (sum(busy) / k) * 60.0)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("spec", nargs="?", default=str(REPO / "configs/sweep_incentives_training.yaml"))
    ap.add_argument("--replicates", type=int, default=None)
    ap.add_argument("--before-after", action="store_true", help="inline and 2 processes, world cache off then on")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster row")
    ap.add_argument("--no-warm", action="store_true",
                    help="skip the second pass on the same process pool (workers already started)")
    ap.add_argument("--repeats", type=int, default=1, help="run every row this many times, in turn (default 1)")
    args = ap.parse_args()
    spec = load_spec(args.spec)
    if args.replicates:
        spec = spec.model_copy(update={"replicates": args.replicates}).with_source(spec.source)
    rows, tables, timeline = [], {}, []
    with tempfile.TemporaryDirectory() as tmp:
        setups = [("inline, 1 worker", "inline", 1, "1"), ("process pool, 2 workers", "process", 2, "1")]
        if not args.no_dask:
            setups.append(("Dask LocalCluster, 2 workers", "dask", 2, "1"))
        if args.before_after:
            setups = [(f"{label}, no world cache, no compiled loops", kind, w, "0") for label, kind, w, _ in setups[:2]] + setups
        load_before = os.getloadavg()[0]
        for rep, (label, kind, workers, on) in ((r, s) for r in range(max(1, args.repeats)) for s in setups):
            # Inherited by the pool's fresh workers: "0" switches the world cache and the compiled
            # loops off (every run builds its world; small worlds run the numpy code).
            os.environ["SAFETYSIM_WORLD_CACHE"] = os.environ["SAFETYSIM_KERNELS"] = on
            t0, t0_wall = time.perf_counter(), time.time()  # the first pass counts starting the executor
            with Timeline(make_executor(kind, workers)) as ex:
                passes = [label]
                if kind == "process" and on == "1" and not args.no_warm:
                    passes.append(f"{label}, warm (the same workers: started, loops and worlds loaded)")
                for i, name in enumerate(passes):
                    out = Path(tmp) / f"{kind}-{on}-{i}-{rep}"
                    ex.spans = []
                    if i:
                        t0, t0_wall = time.perf_counter(), time.time()
                    summary = run_experiment(spec, out, ex, progress=False)
                    wall = time.perf_counter() - t0
                    timeline.append(where_the_time_went(name, ex.spans, t0_wall, wall))
                    df = load_results(out, include_meta=False).sort_values(["point_id", "replicate"]).reset_index(drop=True)
                    tables[name] = df
                    rows.append((name, summary.done, wall, summary.done / wall * 60.0, float(load_results(out)["elapsed_s"].mean())))
            os.environ.pop("SAFETYSIM_WORLD_CACHE")
            os.environ.pop("SAFETYSIM_KERNELS")
    first = next(iter(tables.values()))
    numeric = first.select_dtypes("number").columns
    identical = all(np.array_equal(first[numeric].to_numpy(), t[numeric].to_numpy(), equal_nan=True) for t in tables.values())
    print(f"spec: {spec.display_name}; machine: {machine()}; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    table = pd.DataFrame(rows, columns=["executor", "runs", "wall s", "runs/min", "s per run in its worker"])
    table["speed-up"] = table["runs/min"] / table["runs/min"].iloc[0]
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    print(f"results identical across executors: {identical}")
    print("\nWhere the wall time went (seconds per worker, on average):")
    spent = pd.DataFrame(timeline, columns=["executor", "workers", "starting", "running runs", "waiting",
                                            "runs/min if only running"])
    print(spent.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    if args.repeats > 1:
        print(f"\nOver {args.repeats} passes of each row, in turn (runs/min):")
        by_row = table.groupby("executor", sort=False)["runs/min"]
        over = pd.DataFrame({"median": by_row.median(), "lowest": by_row.min(), "highest": by_row.max()})
        print(over.to_string(float_format=lambda v: f"{v:,.1f}"))


if __name__ == "__main__":
    main()
