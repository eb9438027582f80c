"""Does a new sampling scheme change the model's behaviour beyond sampling error?

When an optimisation changes the random stream (e.g. registration and learning of the programme
drawn by thinning — a binomial count of candidates at the largest possible hazard, then each
kept with its own hazard over that bound — instead of a uniform draw per resident per day), the
seeded regression baseline changes by construction, so "same numbers" no longer shows that the
model is the same.  This script shows it statistically instead: every KPI of the regression
world (tests/regression/cases.py: 4,000 residents, 20 warm-up + 180 days) for the status quo and
each path (configs/paths/*.yaml), over ``--seeds`` seeds, compared with samples recorded from the
old implementation before the change (``benchmarks/data/stream_check_old.json``).
``--world large`` does it on the smallest world that draws its residents and network from
streams of their own (city proportions at ``simulation.model.PARALLEL_BUILD_MIN``, 200,000
residents, 20 warm-up + 180 days; ``benchmarks/data/stream_check_large_old.json``).
``--world exercises`` does the same on the teaching exercises' village
(configs/teaching/exercises.yaml: 2,000 residents, 120 days) for the scenarios whose stated
magnitudes rest on few events — the status quo, matched rewards, clear roles and path 1 — over
60 seeds (``benchmarks/data/stream_check_exercises_old.json``).

Test: Welch's t per (case, KPI) — the two implementations share nothing but the seed numbers,
so the samples are independent — at family-wise alpha 0.05 with Holm's step-down correction
over all (case, KPI) pairs.  KPIs constant in both samples must be equal.

    python benchmarks/stream_check.py --record benchmarks/data/stream_check_old.json   # old code
    python benchmarks/stream_check.py                                                   # compare
    python benchmarks/stream_check.py --world exercises --seeds 60                      # the exercises' village
    python benchmarks/stream_check.py --world large                                     # 200,000 residents
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the regression world lives in tests/regression/cases.py
OLD = REPO / "benchmarks" / "data" / "stream_check_old.json"
OLD_EXERCISES = REPO / "benchmarks" / "data" / "stream_check_exercises_old.json"
OLD_LARGE = REPO / "benchmarks" / "data" / "stream_check_large_old.json"
ALPHA = 0.05


def cases(world: str) -> tuple[Path | dict, dict[str, dict]]:
    """The world's config (a file or the regression world) and its cases (name -> dotted lever overrides)."""
    from simulation.paths import PATH_NAMES, lever_overrides
    from tests.regression.cases import WORLD

    if world == "exercises":
        return REPO / "configs" / "teaching" / "exercises.yaml", {
            "status_quo": {},
            "matched": {"levers.incentives.scheme": "matched"},
            "clarity": {"levers.role_clarity.level": 0.8},
            "p1_subjects": lever_overrides("p1_subjects"),
        }
    paths = {name: lever_overrides(name) for name in PATH_NAMES}
    if world == "large":
        from benchmarks.scaling import CITY, world_overrides
        from simulation.model import PARALLEL_BUILD_MIN

        large = {**world_overrides(PARALLEL_BUILD_MIN), "run.days": WORLD["run"]["days"], "run.warmup_days": WORLD["run"]["warmup_days"]}
        return CITY, {name: {**large, **ov} for name, ov in paths.items()}
    return WORLD, paths


def samples(seeds: list[int], world: str = "regression") -> dict[str, dict[str, list[float]]]:
    from simulation import load_config, run

    config, overrides = cases(world)
    out: dict[str, dict[str, list[float]]] = {}
    for name, ov in overrides.items():
        cfg = load_config(config).with_overrides(ov)
        per: dict[str, list[float]] = {}
        for seed in seeds:
            s = run(cfg, seed=seed).summary
            for k, v in s.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "seed":
                    per.setdefault(k, []).append(float(v))
        out[name] = per
        print(f"  {name}: {len(seeds)} seeds", file=sys.stderr, flush=True)
    return out


def holm(pvals: list[float], alpha: float) -> list[bool]:
    """Reject flags for Holm's step-down procedure at family-wise ``alpha``."""
    order = sorted(range(len(pvals)), key=lambda i: pvals[i])
    reject = [False] * len(pvals)
    m = len(pvals)
    for rank, i in enumerate(order):
        if pvals[i] <= alpha / (m - rank):
            reject[i] = True
        else:
            break
    return reject


def compare(old: dict, new: dict, alpha: float = ALPHA) -> list[dict]:
    from scipy.stats import ttest_ind

    rows = []
    for case in old:
        for k, a in old[case].items():
            b = new[case].get(k)
            if b is None:
                continue
            a_, b_ = np.asarray(a, float), np.asarray(b, float)
            a_, b_ = a_[np.isfinite(a_)], b_[np.isfinite(b_)]
            if len(a_) < 2 or len(b_) < 2:
                continue
            if a_.std() == 0 and b_.std() == 0:
                p = 1.0 if a_[0] == b_[0] else 0.0
            else:
                p = float(ttest_ind(a_, b_, equal_var=False).pvalue)
                p = 1.0 if math.isnan(p) else p
            rows.append({"case": case, "kpi": k, "old": a_.mean(), "new": b_.mean(),
                         "old_sd": a_.std(ddof=1), "new_sd": b_.std(ddof=1), "p": p})
    for r, rej in zip(rows, holm([r["p"] for r in rows], alpha)):
        r["reject"] = rej
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--record", type=Path, help="write this implementation's samples here and stop")
    ap.add_argument("--old", type=Path, default=None, help="recorded samples (default: the world's file in benchmarks/data/)")
    ap.add_argument("--world", choices=("regression", "exercises", "large"), default="regression")
    ap.add_argument("--all", action="store_true", help="print every KPI, not only the smallest p-values")
    args = ap.parse_args(argv)
    seeds = list(range(1, args.seeds + 1))
    new = samples(seeds, args.world)
    if args.record:
        args.record.write_text(json.dumps({"seeds": seeds, "samples": new}, indent=0, sort_keys=True) + "\n")
        print(f"wrote {args.record}")
        return 0
    old = json.loads((args.old or {"exercises": OLD_EXERCISES, "large": OLD_LARGE}.get(args.world, OLD)).read_text())
    if old["seeds"] != seeds:
        print(f"error: --seeds: {args.seeds} differs from the recorded samples ({len(old['seeds'])} seeds); allowed: {len(old['seeds'])}")
        return 2
    rows = compare(old["samples"], new)
    rows.sort(key=lambda r: r["p"])
    n_rej = sum(r["reject"] for r in rows)
    print(f"{len(rows)} (case, KPI) pairs over {len(seeds)} seeds; Welch t, Holm at family-wise alpha {ALPHA}: "
          f"{n_rej} differ. Smallest p-values:")
    print()
    print("| case | KPI | old mean (sd) | new mean (sd) | p | differs |")
    print("|---|---|---:|---:|---:|---|")
    for r in rows if args.all else rows[:15]:
        print(f"| {r['case']} | {r['kpi']} | {r['old']:.4g} ({r['old_sd']:.2g}) | {r['new']:.4g} ({r['new_sd']:.2g}) | "
              f"{r['p']:.3g} | {'YES' if r['reject'] else 'no'} |")
    return 1 if n_rej else 0


if __name__ == "__main__":
    sys.exit(main())
