"""Sweep throughput: runs per minute with 1 and 2 workers, and on a Dask local cluster.

Runs one experiment spec (default: configs/sweep_incentives_training.yaml) three times into
fresh folders — in-process (1 worker), a local process pool of 2, and a Dask LocalCluster of 2 —
prints wall time and runs per minute for each, and checks that the three result tables are
identical (same seeds, same values, whatever the executor).

``--before-after`` measures the engine's sweep settings in the same run: inline and on 2
processes, first with the world cache and the compiled loops off (``SAFETYSIM_WORLD_CACHE=0``,
``SAFETYSIM_KERNELS=0``: every run builds its world and runs the numpy code), then on (scenarios
of one replicate share a world; workers with many runs use the loops); the tables must be
identical too.  The last column is the mean time of a run inside its worker (the rest of the wall
time is starting workers, planning and writing results).

    python benchmarks/sweep_throughput.py [SPEC] [--replicates N] [--before-after] [--no-dask]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.execution.engine import run_experiment
from experiments.design.spec import load_spec
from experiments.execution.store import load_results

REPO = Path(__file__).resolve().parents[1]


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
    args = ap.parse_args()
    spec = load_spec(args.spec)
    if args.replicates:
        spec = spec.model_copy(update={"replicates": args.replicates}).with_source(spec.source)
    rows, tables = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        setups = [("inline, 1 worker", "inline", 1, "1"), ("process pool, 2 workers", "process", 2, "1")]
        if not args.no_dask:
            setups.append(("Dask LocalCluster, 2 workers", "dask", 2, "1"))
        if args.before_after:
            setups = [(f"{label}, no world cache, no compiled loops", kind, w, "0") for label, kind, w, _ in setups[:2]] + setups
        load_before = os.getloadavg()[0]
        for label, kind, workers, on in setups:
            out = Path(tmp) / f"{kind}-{on}"
            # Inherited by the pool's fresh workers: "0" switches the world cache and the compiled
            # loops off (every run builds its world; small worlds run the numpy code).
            os.environ["SAFETYSIM_WORLD_CACHE"] = os.environ["SAFETYSIM_KERNELS"] = on
            t0 = time.perf_counter()
            summary = run_experiment(spec, out, kind, workers=workers, progress=False)
            wall = time.perf_counter() - t0
            os.environ.pop("SAFETYSIM_WORLD_CACHE")
            os.environ.pop("SAFETYSIM_KERNELS")
            df = load_results(out, include_meta=False).sort_values(["point_id", "replicate"]).reset_index(drop=True)
            per_run = float(load_results(out)["elapsed_s"].mean())
            tables[label] = df
            rows.append((label, summary.done, wall, summary.done / wall * 60.0, per_run))
    first = next(iter(tables.values()))
    numeric = first.select_dtypes("number").columns
    identical = all(np.array_equal(first[numeric].to_numpy(), t[numeric].to_numpy(), equal_nan=True) for t in tables.values())
    print(f"spec: {spec.display_name}; machine: {machine()}; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    table = pd.DataFrame(rows, columns=["executor", "runs", "wall s", "runs/min", "s per run in its worker"])
    table["speed-up"] = table["runs/min"] / table["runs/min"].iloc[0]
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    print(f"results identical across executors: {identical}")


if __name__ == "__main__":
    main()
