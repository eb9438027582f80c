"""Scaling benchmark: build time, seconds per simulated day, resident-days per second and peak
memory from ten thousand residents to the whole city, plus a per-process breakdown of the day.

    python benchmarks/scaling.py                          # baseline district, 1e4 1e5 1e6 and the city, 365 days
    python benchmarks/scaling.py --sizes 1e4 1e5 1e6 --days 30                # without the city (a minute)
    python benchmarks/scaling.py --sizes 12522000 --no-baseline --breakdown 12522000   # the city alone

Each size runs in a fresh child process, so the peak resident set size (``ru_maxrss``) is that
size's own; the tables also give how much of it is mapped files (shared libraries' pages, whose
count varies with the page cache: see ``_mapped_files_gib``).  Worlds are ``configs/hangzhou_city.yaml`` (status quo, every process on, no agent
views, the vectorized network builder) with ``world.n_residents`` set to the size and the number
of communities scaled to keep the city's ~3,980 residents per community (13 districts, fewer for
tiny worlds).  Warm-up is off in the benchmark: the build is timed on its own, then ``--days``
recorded days; "year" is build + 365 days at the measured pace.

The per-process breakdown times the phases of the model's own day loop
(``CommunitySafetyModel.PHASES``): the child replaces ``model.phases`` with the same functions
wrapped in a timer, so the benchmark runs exactly the model's code and normal runs carry no
timing at all.  The machine is shared and noisy: compare ratios from one run.

A peer in the same run: with the optional ``peers`` extra installed (``pip install -e .[peers]``,
Starsim 3.7.x) the benchmark also times Starsim's SIS model on a ``RandomNet`` of 10 contacts per
agent, at ``--peer-size`` agents (default 1 M) for the same number of days, each in a fresh child
process as the project's rows; ``--peer-repeats`` pairs (project row at that size, then Starsim)
alternate so both see the same machine load, and the ratio is per pair.  Both are timed on their
public path as users run it: ``CommunitySafetyModel(cfg)`` then ``run_model()`` (with its daily
record), and ``ss.Sim(...)``, ``init()`` then ``run()`` (with its results).  A tiny Starsim run
first compiles its numba kernels, outside the timing.  Without Starsim the row is skipped with a
note.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CITY = REPO / "configs" / "hangzhou_city.yaml"
BASELINE = REPO / "configs" / "baseline.yaml"
CITY_RESIDENTS = 12_522_000
CITY_COMMUNITIES = 13 * 242
CITY_DISTRICTS = 13
DEFAULT_SIZES = (1e4, 1e5, 1e6, CITY_RESIDENTS)


# ----------------------------------------------------------------------------------------------
# timing the model's own phases
# ----------------------------------------------------------------------------------------------
def timed_phases(model, totals: dict[str, float]):
    """The model's phases, each wrapped to add its wall time to ``totals[name]``."""

    def wrap(name, fn):
        def timed(m):
            t0 = time.perf_counter()
            fn(m)
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - t0

        return timed

    return tuple((name, wrap(name, fn)) for name, fn in model.phases)


def world_overrides(n: int) -> dict:
    """City proportions for ``n`` residents: ~3,980 residents per community, up to 13 districts."""
    communities = max(1, round(n * CITY_COMMUNITIES / CITY_RESIDENTS))
    districts = min(CITY_DISTRICTS, communities)
    per_district = max(1, round(communities / districts))
    return {
        "world.districts": None,  # equal districts of equal communities (not the district table)
        "world.n_residents": n,
        "world.n_districts": districts,
        "world.communities_per_district": per_district,
    }


# ----------------------------------------------------------------------------------------------
# child: one size in a fresh process
# ----------------------------------------------------------------------------------------------
def _rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def _status_gib(field: str) -> float:
    """A memory field of ``/proc/self/status`` (``VmRSS``, ``RssFile``, ...) in GiB; NaN elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def _current_rss_gib() -> float:
    return _status_gib("VmRSS")


def _mapped_files_gib() -> float:
    """The resident pages of mapped files (shared libraries' code and data: LLVM's for numba,
    Arrow's for pandas, ...) at the end of a run.  They are part of the peak RSS, shared with
    every process that maps the same files, and their count moves with the kernel's page cache:
    a library file just written by pip is mapped in larger blocks around each page touched
    (numba's LLVM library took 40 MiB more right after a reinstall than after the page cache
    was dropped).  Subtracted from the peak, what is left is the process's own memory (its
    arrays, the interpreter's objects, the loaded compiled code), which does not move so."""
    return _status_gib("RssFile")


def child(config: str, n: int | None, days: int, seed: int) -> dict:
    from simulation import kernels, load_config
    from simulation.model import CommunitySafetyModel

    cfg = load_config(config)
    over = world_overrides(n) if n is not None else {}
    over.update({"run.days": days, "run.warmup_days": 0, "run.seed": seed})
    cfg = cfg.with_overrides(over)
    t0 = time.perf_counter()
    model = CommunitySafetyModel(cfg)
    build = time.perf_counter() - t0
    rss_build = _current_rss_gib()
    # Large worlds run some daily updates as compiled loops, loaded on the first day: load them
    # here, outside the timing, as the Starsim row compiles its kernels first (reported on its own).
    t_load = time.perf_counter()
    compiled = kernels.enabled(model) and kernels.preload(model)  # the loops this model calls
    load = time.perf_counter() - t_load if compiled else 0.0
    totals: dict[str, float] = {}
    model.phases = timed_phases(model, totals)
    t1 = time.perf_counter()
    model.run_model()
    run = time.perf_counter() - t1
    s = model.summary()
    return {
        "config": Path(config).name,
        "n": model.pop.n,
        "communities": model.n_communities,
        "districts": model.n_districts,
        "ties": model.network.n_ties,
        "views": bool(model._views),
        "days": days,
        "build_s": build,
        "compiled_loops_load_s": load,
        "compiled_loops": bool(compiled and kernels.enabled(model)),
        "run_s": run,
        "s_per_day": run / days,
        "resident_days_per_s": model.pop.n * days / run,
        "rss_after_build_gib": rss_build,
        "peak_rss_gib": _rss_gib(),
        "mapped_files_gib": _mapped_files_gib(),
        "phases_s_per_day": {k: v / days for k, v in totals.items()},
        "registered_volunteers": s["registered_volunteers"],
        "incidents_per_1000": s["incidents_per_1000"],
    }


def peer_available() -> str | None:
    """Starsim's version if the ``peers`` extra is installed, else None."""
    try:
        from importlib.metadata import version

        return version("starsim")
    except Exception:  # noqa: BLE001 - not installed
        return None


def peer_child(n: int, days: int, seed: int) -> dict:
    """Starsim SIS on RandomNet(n_contacts=10): ``n`` agents, ``days`` daily steps."""
    import starsim as ss

    def make(agents: int, ndays: int):
        return ss.Sim(n_agents=agents, diseases=ss.SIS(), networks=ss.RandomNet(n_contacts=10),
                      start="2000-01-01", dur=ss.days(ndays), dt=ss.days(1), rand_seed=seed, verbose=0)

    make(1000, 5).run()  # compile numba kernels (not timed)
    t0 = time.perf_counter()
    sim = make(n, days)
    sim.init()
    build = time.perf_counter() - t0
    steps = len(sim.t)  # time points simulated (Starsim includes both ends)
    t1 = time.perf_counter()
    sim.run()
    run = time.perf_counter() - t1
    return {"config": "starsim", "starsim": ss.__version__, "n": n, "days": days, "steps": steps,
            "build_s": build, "run_s": run, "s_per_day": run / steps,
            "resident_days_per_s": n * steps / run, "peak_rss_gib": _rss_gib(),
            "mapped_files_gib": _mapped_files_gib(),
            "prevalence_end": float(sim.results.sis.prevalence[-1])}


def run_child(config: Path | str, n: int | None, days: int, seed: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--config", str(config),
           "--days", str(days), "--seed", str(seed)]
    if n is not None:
        cmd += ["--n", str(n)]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------------
# report
# ----------------------------------------------------------------------------------------------
def machine() -> dict:
    import mesa
    import numpy
    import scipy

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = float("nan")
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) / 2**20
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": ram, "python": platform.python_version(),
            "numpy": numpy.__version__, "scipy": scipy.__version__, "mesa": mesa.__version__}


def _fmt_n(n: int) -> str:
    return f"{n / 1e6:g} M" if n >= 1_000_000 else f"{n / 1e3:g} k"


def print_machine(m: dict) -> None:
    print(f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']:.1f} GiB RAM; Python {m['python']}, "
          f"numpy {m['numpy']}, scipy {m['scipy']}, Mesa {m['mesa']}")


def print_table(rows: list[dict]) -> None:
    print()
    print("| world | residents | communities | ties | days | build (s) | s / day | resident-days / s | year incl. build (s) | peak RSS (GiB) | of it mapped files (GiB) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        label = "baseline district" if r["config"] == BASELINE.name else "city proportions"
        year = r["build_s"] + 365 * r["s_per_day"]
        print(f"| {label} | {_fmt_n(r['n'])} | {r['communities']:,} | {r['ties'] / 1e6:.1f} M | {r['days']} | "
              f"{r['build_s']:.1f} | {r['s_per_day']:.4f} | {r['resident_days_per_s'] / 1e6:.1f} M | {year:.{1 if year < 100 else 0}f} | "
              f"{r['peak_rss_gib']:.2f} | {r['mapped_files_gib']:.2f} |")


def print_peer(pairs: list[tuple[dict, dict]], version: str) -> None:
    """The project at the peer size next to Starsim SIS, pair by pair (alternating children)."""
    print()
    print(f"Peer in the same run: Starsim {version} SIS, RandomNet(n_contacts=10), vs this model "
          f"(every process on, public path); pairs run alternately:")
    print()
    print("| pair | model | agents | build (s) | s / day | agent-days / s | peak RSS (GiB) | peak RSS (MiB) "
          "| of it mapped files (MiB) | peak less mapped files (MiB) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios = []
    for i, (ours, peer) in enumerate(pairs, 1):
        for label, r in (("this model", ours), ("Starsim SIS", peer)):
            files = r["mapped_files_gib"]
            print(f"| {i} | {label} | {_fmt_n(r['n'])} | {r['build_s']:.2f} | {r['s_per_day']:.4f} | "
                  f"{r['resident_days_per_s'] / 1e6:.2f} M | {r['peak_rss_gib']:.2f} | {r['peak_rss_gib'] * 1024:.1f} | "
                  f"{files * 1024:.1f} | {(r['peak_rss_gib'] - files) * 1024:.1f} |")
        ratios.append(ours["resident_days_per_s"] / peer["resident_days_per_s"])
    print()
    print("agent-days/s ratio (this model / Starsim SIS), per pair: " + ", ".join(f"{x:.1f}x" for x in ratios)
          + (f"; median {statistics.median(ratios):.1f}x" if len(ratios) > 1 else ""))
    print("(Mapped files: resident pages of shared libraries at the end of the run, shared between "
          "processes; how many count varies with the page cache. The rest is the process's own memory.)")


def print_breakdown(r: dict) -> None:
    ph = r["phases_s_per_day"]
    total = sum(ph.values())
    print()
    print(f"Per-process time per day at {_fmt_n(r['n'])} residents ({r['days']} days; "
          f"the rest of s/day is Mesa's step and data collection):")
    print()
    print("| phase | ms / day | share |")
    print("|---|---:|---:|")
    for name, v in sorted(ph.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {v * 1000:.1f} | {v / total:.0%} |")
    print(f"| **all phases** | {total * 1000:.1f} | 100% |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", type=float, default=list(DEFAULT_SIZES),
                    help="numbers of residents (default 1e4 1e5 1e6 12522000, the whole city)")
    ap.add_argument("--days", type=int, default=365, help="recorded days per size (default 365)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--breakdown", nargs="*", type=float, default=[1e6],
                    help="sizes whose per-process breakdown is printed (default 1e6)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the baseline district row (configs/baseline.yaml)")
    ap.add_argument("--json", type=Path, help="also write the raw results to this JSON file")
    ap.add_argument("--peer-size", type=float, default=1e6, help="agents for the Starsim peer row (default 1e6)")
    ap.add_argument("--peer-repeats", type=int, default=1, help="alternating (this model, Starsim) pairs (default 1)")
    ap.add_argument("--no-peer", action="store_true", help="skip the Starsim peer row")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--config", default=str(CITY), help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        if args.config == "starsim":
            print(json.dumps(peer_child(args.n, args.days, args.seed)))
        else:
            print(json.dumps(child(args.config, args.n, args.days, args.seed)))
        return 0

    m = machine()
    print_machine(m)
    rows = []
    if not args.no_baseline:
        rows.append(run_child(BASELINE, None, args.days, args.seed))
        print(f"  baseline district: {rows[-1]['build_s']:.1f} s build, {rows[-1]['s_per_day']:.4f} s/day", file=sys.stderr, flush=True)
    for size in args.sizes:
        rows.append(run_child(CITY, int(size), args.days, args.seed))
        r = rows[-1]
        print(f"  {_fmt_n(r['n'])}: {r['build_s']:.1f} s build, {r['s_per_day']:.4f} s/day, peak {r['peak_rss_gib']:.2f} GiB",
              file=sys.stderr, flush=True)
    pairs: list[tuple[dict, dict]] = []
    version = None if args.no_peer else peer_available()
    if version:
        n_peer = int(args.peer_size)
        for _ in range(max(1, args.peer_repeats)):
            ours = run_child(CITY, n_peer, args.days, args.seed)
            peer = run_child("starsim", n_peer, args.days, args.seed)
            pairs.append((ours, peer))
            print(f"  pair: this model {ours['resident_days_per_s'] / 1e6:.1f} M, Starsim {peer['resident_days_per_s'] / 1e6:.1f} M agent-days/s",
                  file=sys.stderr, flush=True)
    print_table(rows)
    if pairs:
        print_peer(pairs, version)
    elif not args.no_peer:
        print()
        print("Peer row skipped: Starsim is not installed (pip install -e .[peers] adds starsim>=3.7,<3.8).")
    for r in rows:
        if r["config"] != BASELINE.name and any(abs(r["n"] - b) < 1 for b in args.breakdown):
            print_breakdown(r)
    if args.json:
        args.json.write_text(json.dumps({"machine": m, "rows": rows, "peer_pairs": pairs}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
