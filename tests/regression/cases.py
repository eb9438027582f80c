"""The seeded regression cases: small worlds whose end-of-run KPIs are kept in baseline_kpis.json.

Regenerate the baseline only deliberately, when a model change is meant to change results:
    python -m tests.regression.cases --write
and say why in the commit message.

NumPy picks its SIMD kernels for the CPU it runs on (AVX2 or AVX-512 on x86), and those kernels
round the last bit of sums, exp and log differently; one flipped comparison with a random draw
then changes the whole trajectory.  So the cases always run in a child process with NumPy's
AVX-512 kernels switched off (``PORTABLE_NUMPY``): the same numbers on every x86-64 machine with
AVX2, whichever CPU generated the baseline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from simulation import load_config, run
from simulation.paths import lever_overrides

BASELINE = Path(__file__).with_name("baseline_kpis.json")
REPO = Path(__file__).resolve().parents[2]
WORLD = {
    "run": {"days": 180, "warmup_days": 20, "seed": 11},
    "world": {"n_residents": 4000, "communities_per_district": 4, "places_per_community": 10},
}
CASES = {"status_quo": {}, "all_paths": lever_overrides("all_paths")}
# NumPy >= 2.4 names its x86 dispatch levels X86_V3 (AVX2), X86_V4 (AVX-512) and later ones.
PORTABLE_NUMPY = {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}


def compute_portable() -> dict[str, dict[str, float]]:
    """:func:`compute` in a child process whose NumPy uses the portable (AVX2) kernels."""
    env = {**os.environ, **PORTABLE_NUMPY, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "tests.regression.cases"], env=env, cwd=REPO,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


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
        BASELINE.write_text(json.dumps(compute_portable(), indent=1, sort_keys=True) + "\n")
        print(f"wrote {BASELINE}")
