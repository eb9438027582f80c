"""Where a sweep run's day goes: per-phase time and the random draws' share, at a sweep's settings.

A sweep's runs are small worlds run many times, so per-call overhead, not arithmetic, sets their
pace. This script runs the sweep's world (default: the baseline district) as the experiment
engine runs it — compiled loops on at every size, no agent views, the end-of-day state on the last
day only — for a few seeds, and prints µs per day for each phase of the model's own day loop
(``CommunitySafetyModel.PHASES``, wrapped in a timer as in ``scaling.py``) and for the calls to
the random generators (each stream wrapped in a timer that forwards every call): what a day costs
that no optimisation keeping the random stream can remove.  Streams the compiled loops draw from
(``compiled_processes.STREAMS``) are not wrapped — a compiled loop takes only a real generator — so
none of their draws is counted; their time is in their phases'.

    python benchmarks/day_anatomy.py [CONFIG] [--seeds N]

The timers add a little to each call; compare shares, and machines only within one run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: the repository root holds the benchmarks package


class TimedStream:
    """A random generator whose method calls are timed (the same calls, so the same numbers)."""

    def __init__(self, generator, seconds: dict, calls: Counter) -> None:
        self._generator, self._seconds, self._calls = generator, seconds, calls

    def __getattr__(self, name):
        attr = getattr(self._generator, name)
        if not callable(attr):
            return attr

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self._seconds[name] += time.perf_counter() - t0
                self._calls[name] += 1

        return timed


def main(argv: list[str] | None = None) -> int:
    from benchmarks.scaling import machine, print_machine, timed_phases
    from simulation import kernels, load_config
    from simulation.model import CommunitySafetyModel

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config", nargs="?", default=str(REPO / "configs" / "baseline.yaml"))
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args(argv)
    cfg = load_config(args.config).with_overrides({"world.agent_views": "none"})
    compiled_streams: tuple[str, ...] = ()
    if kernels.preload():
        from simulation.compiled_processes import STREAMS as compiled_streams
    phases: dict[str, float] = {}
    rng_seconds: dict[str, float] = defaultdict(float)
    rng_calls: Counter = Counter()
    wall = 0.0
    days = 0
    with kernels.for_all_sizes(True):
        for seed in range(1, args.seeds + 1):
            model = CommunitySafetyModel(cfg, seed=seed, daily_state=False)
            # Streams the compiled loops draw from stay generators: their draws count in their phase.
            model.streams = {name: g if name in compiled_streams else TimedStream(g, rng_seconds, rng_calls)
                             for name, g in model.streams.items()}
            model.phases = timed_phases(model, phases)
            t0 = time.perf_counter()
            model.run_model()
            wall += time.perf_counter() - t0
            days += cfg.run.days
    print_machine(machine())
    print(f"{Path(args.config).name}: {cfg.world.n_residents:,} residents, {args.seeds} seeds x {cfg.run.days} recorded days, "
          f"as the experiment engine runs them\n")
    print("| phase | µs / day | share |")
    print("|---|---:|---:|")
    total = sum(phases.values())
    for name, s in sorted(phases.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {s / days * 1e6:.0f} | {s / total:.0%} |")
    print(f"| **all phases** | {total / days * 1e6:.0f} | |")
    print(f"\nWall time per recorded day (with Mesa's step): {wall / days * 1e6:.0f} µs.")
    rng = sum(rng_seconds.values())
    print(f"Random draws: {sum(rng_calls.values()) / days:.1f} generator calls a day, {rng / days * 1e6:.0f} µs a day "
          f"({rng / total:.0%} of the phases' time) — fixed by the random stream.")
    if compiled_streams:
        print(f"Not counted here: every draw from the {', '.join(compiled_streams)} streams, which are handed to compiled "
              "loops and so cannot be wrapped in a timer (their time is in their phases').")
    print("\n| generator method | calls / day | µs / call |")
    print("|---|---:|---:|")
    for name, s in sorted(rng_seconds.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {rng_calls[name] / days:.1f} | {s / rng_calls[name] * 1e6:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
