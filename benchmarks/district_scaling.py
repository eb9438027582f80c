"""The whole city from its district table at two scales: time, and per-1,000 rates that agree.

``python -m benchmarks.district_scaling [--scales 1000 100] [--seeds 3] [--days 365]`` runs
``configs/hangzhou_city.yaml`` (13 divisions, status quo) with ``world.scale`` = each scale, for
several seeds, and prints one row per scale: agents, communities, seconds per run (build + year),
and the city's per-1,000 rates as mean ± standard error over seeds.  A modelled community keeps the
size of a real one at every scale, so the rates should agree within their standard errors
(tests/test_districts.py checks this on a smaller table).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

from simulation import load_config
from simulation.runner import run

CITY = Path(__file__).resolve().parents[1] / "configs" / "hangzhou_city.yaml"
KPIS = ("incidents_per_1000", "fraud_victims_per_1000", "volunteers_per_1000", "reporting_rate", "satisfaction")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[1000.0, 100.0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--days", type=int, default=365)
    args = ap.parse_args(argv)
    print(f"# machine: {platform.processor() or platform.machine()}, Python {sys.version.split()[0]}; {args.days} days, seeds 0..{args.seeds - 1}")
    print("| scale | agents | communities | s/run | " + " | ".join(KPIS) + " |")
    print("|---:|---:|---:|---:|" + "---:|" * len(KPIS))
    for scale in args.scales:
        cfg = load_config(CITY).with_overrides({"world.scale": scale, "run.days": args.days, "world.agent_views": "none",
                                                "network.builder": "vectorized"})
        rows, secs, comms = [], [], 0
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            res = run(cfg, seed=seed, keep_model=True)
            secs.append(time.perf_counter() - t0)
            comms = res.model.n_communities
            rows.append(res.summary)
        cells = []
        for k in KPIS:
            v = np.array([r[k] for r in rows])
            se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else float("nan")
            cells.append(f"{v.mean():.3f} ± {se:.3f}")
        print(f"| {scale:g} | {cfg.world.n_residents:,} | {comms:,} | {np.mean(secs):.1f} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
