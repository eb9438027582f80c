"""The seeded regression cases: small worlds whose end-of-run KPIs are kept in baseline_kpis.json.

Regenerate the baseline only deliberately, when a model change is meant to change results:
    python -m tests.regression.cases --write
and say why in the commit message.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from simulation import load_config, run
from simulation.paths import lever_overrides

BASELINE = Path(__file__).with_name("baseline_kpis.json")
WORLD = {
    "run": {"days": 180, "warmup_days": 20, "seed": 11},
    "world": {"n_residents": 4000, "communities_per_district": 4, "places_per_community": 10},
}
CASES = {"status_quo": {}, "all_paths": lever_overrides("all_paths")}


def compute() -> dict[str, dict[str, float]]:
    out = {}
    for name, overrides in CASES.items():
        summary = run(load_config(WORLD).with_overrides(overrides)).summary
        out[name] = {k: v for k, v in summary.items() if isinstance(v, (int, float))}
    return out


if __name__ == "__main__":
    if "--write" not in sys.argv:
        print(json.dumps(compute(), indent=1))
    else:
        BASELINE.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
        print(f"wrote {BASELINE}")
