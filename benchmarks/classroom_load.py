"""A class of students on one ``safetysim app --classroom`` server, in real headless Chromium.

Starts the server (loopback only), opens ``--sessions`` pages (one Chromium, a browser context —
a separate session — per student), presses Play in every page, lets them all play for
``--play-seconds``, then reads, in each page's own clock, the day it reached and when (a session
that reaches the run's last day stops there).  Prints, per session, the simulated days per second
from its Play click to its last screen update, its screen updates per second, and its problems (console errors, page errors, failed or off-machine requests, HTTP
errors: all must be 0); and the server's resident memory (its whole process tree, psutil) before
the first page, with all pages open, and after they are closed, with the sessions and models the
server still holds (``/_safetysim/stats``).  Bounded: ``--sessions`` <= 60, ``--play-seconds`` <= 300.

    python benchmarks/classroom_load.py                    # 30 sessions, 30 s of Play (~5 min)
    python benchmarks/classroom_load.py --sessions 5 --play-seconds 10
    python benchmarks/classroom_load.py --selectors stable  # a page exposing the ss-* classes

Goal: every session >= 5 days/s (``--goal``); the exit status is 1 if a session misses it or has
a problem.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from benchmarks.browser_session import Session, launch  # noqa: E402
from benchmarks.page_speed import SELECTORS, machine  # noqa: E402
from simulation.teaching.page_selectors import DAY_JS  # noqa: E402
from simulation.teaching.server import background_server, prepare_assets, server_stats  # noqa: E402


# Installed in each page before Play: the time of the Play click, and of every screen update (a
# change of the day shown) with its day, in the browser's clock.  A session that reaches the last
# day stops early, so its days/s is measured up to its last update, not to the end of the wait.
FRAME_COUNTER_JS = """([css, pattern]) => {
  const day = (""" + DAY_JS + """);
  window.__ssFrames = 0; window.__ssT0 = undefined;
  document.addEventListener('click', () => {
    if (window.__ssT0 === undefined) { window.__ssT0 = performance.now(); window.__ssD0 = day([css, pattern]); }
  }, {capture: true, once: true});
  const el = document.querySelector(css).parentElement;
  let last = day([css, pattern]);
  new MutationObserver(() => {
    const d = day([css, pattern]);
    if (d !== last) { last = d; window.__ssFrames += 1; window.__ssT1 = performance.now(); window.__ssD1 = d; }
  }).observe(el, {subtree: true, childList: true, characterData: true});
}"""
PLAY_RESULT_JS = "() => [window.__ssD0, window.__ssT0, window.__ssD1, window.__ssT1, window.__ssFrames]"


def tree_rss_mb(pid: int) -> float:
    proc = psutil.Process(pid)
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--play-seconds", type=float, default=30.0)
    ap.add_argument("--goal", type=float, default=5.0, help="days per second every session should reach")
    ap.add_argument("--selectors", choices=sorted(SELECTORS), default="current")
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= 60 or not 1 <= args.play_seconds <= 300:
        ap.error("--sessions must be 1..60 and --play-seconds 1..300")
    from playwright.sync_api import sync_playwright

    sel = SELECTORS[args.selectors]
    prepare_assets()
    logs = ROOT / "results" / "benchmarks"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "classroom_load_server.log", "w") as log, background_server(log=log, args=("--classroom", "--host", "127.0.0.1")) as url, \
            sync_playwright() as p:
        pid = background_server.process.pid
        rss0, stats0 = tree_rss_mb(pid), server_stats(url)
        browser = launch(p)
        sessions, loads = [], []
        t_open = time.perf_counter()
        for _ in range(args.sessions):
            s = Session(browser, url, sel, viewport=(1280, 900))
            loads.append(s.load())
            s.step_latency()  # the first day builds the network layout once; Play is measured after it
            sessions.append(s)
        opened_in = time.perf_counter() - t_open
        rss_open, stats_open = tree_rss_mb(pid), server_stats(url)
        for s in sessions:  # count the screen updates (changes of the day shown) while playing
            s.page.evaluate(FRAME_COUNTER_JS, [sel["day"], sel["day_pattern"]])
        for s in sessions:
            s.click("play")
        for s in sessions:
            s.wait_playing(timeout_ms=300_000)
        time.sleep(args.play_seconds)
        rates, ends, fps = [], [], []
        for s in sessions:
            d0, t0, d1, t1, frames = s.page.evaluate(PLAY_RESULT_JS)
            if d1 is None:  # no update at all while playing
                d1, t1 = d0, t0 + args.play_seconds * 1000
            rates.append((d1 - d0) / max(t1 - t0, 1.0) * 1000)
            ends.append(d1)
            fps.append(frames / max(t1 - t0, 1.0) * 1000)
        for s in sessions:
            if s.playing():
                s.stop_play(timeout_ms=300_000)
        rss_played = tree_rss_mb(pid)
        problems = [list(s.problems) for s in sessions]
        for s in sessions:
            s.page.close(run_before_unload=True)  # as a student closes the tab
            s.close()
        browser.close()
        deadline = time.time() + 30  # closing waits for a step in progress
        while (stats_closed := server_stats(url))["models"] > stats0["models"] and time.time() < deadline:
            time.sleep(1)
        rss_closed = tree_rss_mb(pid)

    n = args.sessions
    print(f"\nMachine: {machine()}")
    print(f"One `safetysim app --classroom` server; {n} sessions (one Chromium, a context each) opened one after another "
          f"in {opened_in:.0f} s, then all playing for {args.play_seconds:g} s.\n")
    print("| session | load (s) | day reached | days/s | screen updates/s | problems |")
    print("|---:|---:|---:|---:|---:|---:|")
    for i, (load, end, rate, f, probs) in enumerate(zip(loads, ends, rates, fps, problems), 1):
        print(f"| {i} | {load:.1f} | {end} | {rate:.2f} | {f:.2f} | {len(probs)} |")
    print(f"\ndays/s per session: min {min(rates):.2f}, median {statistics.median(rates):.2f}, max {max(rates):.2f}; "
          f"all sessions together {sum(rates):.1f} days/s; goal >= {args.goal:g} each: "
          f"{sum(r >= args.goal for r in rates)}/{n} sessions reach it")
    print(f"screen updates/s per session (Play steps the days that fell due, so a busy server updates less often): "
          f"min {min(fps):.2f}, median {statistics.median(fps):.2f}, max {max(fps):.2f}")
    print(f"problems: {sum(map(len, problems))}")
    print("\n| server (process tree) | RSS (MiB) | sessions | models |")
    print("|---|---:|---:|---:|")
    print(f"| before the first page | {rss0:.0f} | {stats0['sessions']} | {stats0['models']} |")
    print(f"| {n} pages open | {rss_open:.0f} | {stats_open['sessions']} | {stats_open['models']} |")
    print(f"| after playing | {rss_played:.0f} | | |")
    print(f"| all tabs closed | {rss_closed:.0f} | {stats_closed['sessions']} | {stats_closed['models']} |")
    print(f"\nRSS growth per session: {(rss_open - rss0) / n:.1f} MiB opened, {(rss_played - rss0) / n:.1f} MiB after playing")
    for i, probs in enumerate(problems, 1):
        for line in probs[:3]:
            print(f"problem (session {i}): {line}")
    return 0 if not any(problems) and min(rates) >= args.goal else 1


if __name__ == "__main__":
    sys.exit(main())
