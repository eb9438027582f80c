"""Building a large world with and without transparent huge pages, on cold and on warm memory.

NumPy asks the kernel for huge pages for every array of 4 MiB or more; the model switches that
off while it builds its world (``simulation/memory.py``, ``small_pages``).  Why it matters here:
on a virtual machine whose host takes back the memory that processes free, the first touch of
fresh memory is slow, and slower for huge pages.  This script builds a world of ``--size``
residents (``configs/hangzhou_city.yaml`` at city proportions, as ``scaling.py``) in fresh
processes, alternating the model's setting (``SAFETYSIM_SMALL_PAGES=1`` / ``0``), each after
``--idle`` seconds of an idle machine (cold: the memory freed by the last process has had time to
go back to the host) and then at once again (warm), and prints the build's wall time, its time in the kernel (faulting memory in), its
time in user code, the page faults and the peak memory: median and range over ``--pairs``.

    python benchmarks/build_pages.py [--size 1e6] [--pairs 3] [--idle 25]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: the repository root holds the benchmarks package

from benchmarks.scaling import CITY, machine, print_machine, world_overrides  # noqa: E402

SETTINGS = {"1": "small pages (the model's build)", "0": "huge pages (NumPy's default)"}


def child(n: int) -> dict:
    from simulation import load_config
    from simulation.model import CommunitySafetyModel

    cfg = load_config(CITY).with_overrides(  # the world of scaling.py's rows at this size
        {**world_overrides(n), "run.days": 1, "run.warmup_days": 0, "run.seed": 1})
    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    CommunitySafetyModel(cfg)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {"build_s": wall, "sys_s": after.ru_stime - before.ru_stime, "user_s": after.ru_utime - before.ru_utime,
            "faults": after.ru_minflt - before.ru_minflt, "peak_gib": after.ru_maxrss / 2**20}


def run_child(n: int, setting: str) -> dict:
    env = {**os.environ, "SAFETYSIM_SMALL_PAGES": setting}
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(n)], check=True,
                         stdout=subprocess.PIPE, text=True, cwd=REPO, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def spread(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=float, default=1e6, help="residents (default 1e6)")
    ap.add_argument("--pairs", type=int, default=3, help="cold+warm builds per setting (default 3)")
    ap.add_argument("--idle", type=float, default=25.0, help="seconds idle before each cold build (default 25)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    n = int(args.size)
    results: dict[tuple[str, str], list[dict]] = {}
    for i in range(args.pairs):
        order = ("1", "0") if i % 2 == 0 else ("0", "1")  # alternate which setting goes first
        for setting in order:
            time.sleep(args.idle)
            results.setdefault((setting, "cold"), []).append(run_child(n, setting))
            results.setdefault((setting, "warm"), []).append(run_child(n, setting))
    print_machine(machine())
    print(f"Build of a {n:,}-resident world (city proportions) in a fresh process; median (range) over "
          f"{args.pairs} builds; cold = after {args.idle:g} s idle, warm = right after another build.\n")
    print("| pages | memory | build (s) | in the kernel (s) | in user code (s) | page faults | peak (GiB) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for condition in ("cold", "warm"):
        for setting in ("1", "0"):
            rows = results[(setting, condition)]
            print(f"| {SETTINGS[setting]} | {condition} | {spread([r['build_s'] for r in rows], '.2f')} | "
                  f"{spread([r['sys_s'] for r in rows], '.2f')} | {spread([r['user_s'] for r in rows], '.2f')} | "
                  f"{statistics.median(r['faults'] for r in rows):,.0f} | {max(r['peak_gib'] for r in rows):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
