"""How fast the teaching page feels in a browser, next to Mesa's own ``virus_on_network`` example.

Drives both pages as a student does, in real headless Chromium (Debian's, through Playwright),
with every request off 127.0.0.1 blocked, and prints one table:

* page load: from navigation until the page shows day 0 and its Step button;
* Step latency: from a Step click until the page shows the next day and every image on it has
  loaded (median and 95th percentile over ``--steps`` clicks);
* Play: simulated days (model steps) per second from a fresh village (after Reset), at the page's
  default speed, until the run's last day or ``--play-seconds`` (the time of the last day seen).

Both servers run at once (``safetysim app --production`` and ``solara run --production`` of Mesa's
example, on other free ports, with the same offline asset cache); the pages are measured in
alternation, ``--rounds`` times each, each round in a fresh browser context (a new session).

    python benchmarks/page_speed.py                 # 2 rounds, 20 steps, 10 s of Play (~3 min)
    python benchmarks/page_speed.py --rounds 1 --steps 10 --play-seconds 5

The selectors of the project's page are :data:`simulation.teaching.page_selectors.PAGE`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mesa  # noqa: E402
import solara  # noqa: E402

from benchmarks.browser_session import Session, launch  # noqa: E402
from simulation.teaching import page_selectors  # noqa: E402
from simulation.teaching.server import background_server, free_port, prepare_assets, serving  # noqa: E402

MESA_EXAMPLES = Path(mesa.__file__).parent / "examples" / "basic"
# Mesa < 3.4's Altair pages (virus_on_network) fail at start with pandas 3 (np.issubdtype on a
# pandas StringDtype); pyproject.toml keeps that pair out and tests/test_mesa_examples.py checks
# it, so an environment installed from the project measures virus_on_network itself.
SELECTORS = {"current": page_selectors.PAGE}


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores, {cpu}; Python {platform.python_version()}, Mesa {mesa.__version__}, pandas {pandas_version()}, "
            f"Solara {solara.__version__}, Chromium {chromium_version()}; load average {os.getloadavg()[0]:.1f} at the end (shared machine)")


def pandas_version() -> str:
    from importlib.metadata import version

    return version("pandas")


def chromium_version() -> str:
    try:
        return subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=30).stdout.split()[1]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


@contextlib.contextmanager
def solara_server(app_file: Path, log, timeout: float = 120.0):
    """``solara run --production APP`` on a free local port (for Mesa's example page)."""
    port = free_port()
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", MPLBACKEND="Agg")
    proc = subprocess.Popen([sys.executable, "-m", "solara", "run", str(app_file), "--host", "127.0.0.1", "--port", str(port),
                             "--no-open", "--production"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    with serving(proc, port, timeout, f"`solara run {app_file}`") as url:
        yield url


def measure(browser, url: str, sel: dict, steps: int, play_seconds: float) -> dict:
    s = Session(browser, url, sel)
    try:
        load = s.load()
        s.step_latency()  # the first step builds lazily cached things (layouts); not a student's typical wait
        latencies = [s.step_latency() for _ in range(steps)]
        s.click("reset")
        s.wait_day(0)
        s.wait_day_at_most(0)
        day0, t0 = s.start_play()
        day1, t1 = s.play_until(t0 + play_seconds)
        if s.playing():
            s.stop_play()
        return {"load": load, "latencies": latencies, "play": (day1 - day0) / max(t1 - t0, 1e-9), "play_days": day1 - day0,
                "play_time": t1 - t0, "problems": list(s.problems)}
    finally:
        s.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--play-seconds", type=float, default=10.0)
    ap.add_argument("--mesa-example", default="virus_on_network", help="the Mesa example page (in mesa/examples/basic) to compare with")
    ap.add_argument("--selectors", choices=sorted(SELECTORS), default="current", help="which selectors find the project's page's controls")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    prepare_assets()
    logs = ROOT / "results" / "benchmarks"
    logs.mkdir(parents=True, exist_ok=True)
    example = args.mesa_example
    with contextlib.ExitStack() as stack:
        log_a = stack.enter_context(open(logs / "page_speed_app.log", "w"))
        url_a = stack.enter_context(background_server(log=log_a, args=("--production",)))
        log_b = stack.enter_context(open(logs / "page_speed_mesa.log", "w"))
        try:
            url_b = stack.enter_context(solara_server(MESA_EXAMPLES / example / "app.py", log_b))
        except RuntimeError:
            log_b.flush()
            why = [line for line in (logs / "page_speed_mesa.log").read_text().splitlines() if line.strip()][-3:]
            print(f"error: Mesa's {example} page did not start ({' / '.join(why)}); Mesa {mesa.__version__} with pandas "
                  f"{pandas_version()} -- reinstall the project (pip install -e '.[test,app]') for a supported pair", file=sys.stderr)
            return 2
        p = stack.enter_context(sync_playwright())
        ours, theirs = "this project's page", f"Mesa example {example}"
        pages = {ours: SELECTORS[args.selectors], theirs: page_selectors.MESA_EXAMPLE}
        urls = {ours: url_a, theirs: url_b}
        results: dict[str, list[dict]] = {name: [] for name in pages}
        browser = launch(p)
        for r in range(args.rounds):
            for name, sel in pages.items():
                res = measure(browser, urls[name], sel, args.steps, args.play_seconds)
                results[name].append(res)
                print(f"round {r + 1}: {name}: load {res['load']:.2f} s, step median {statistics.median(res['latencies']) * 1000:.0f} ms, "
                      f"play {res['play']:.1f} days/s ({res['play_days']} days in {res['play_time']:.1f} s), problems {len(res['problems'])}", file=sys.stderr)
        browser.close()

    print(f"\nMachine: {machine()}")
    print(f"{args.rounds} rounds per page, alternating; {args.steps} Step clicks, then Reset and Play at the page's default speed "
          f"until its last day or {args.play_seconds:g} s, per round.\n")
    print("| page | load (s) | Step → updated page, median (ms) | p95 (ms) | Play (days/s) | problems |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, runs in results.items():
        lat = sorted(x for r in runs for x in r["latencies"])
        p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
        print(f"| {name} | {statistics.median(r['load'] for r in runs):.2f} | {statistics.median(lat) * 1000:.0f} | {p95 * 1000:.0f} | "
              f"{statistics.median(r['play'] for r in runs):.1f} | {sum(len(r['problems']) for r in runs)} |")
    problems = [p for runs in results.values() for r in runs for p in r["problems"]]
    for line in problems[:20]:
        print("problem:", line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
