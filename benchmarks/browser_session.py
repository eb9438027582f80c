"""A page in headless Chromium as a student uses it: shared by the page benchmarks.

Every request that does not go to 127.0.0.1 is blocked and counted as a problem, as are console
errors, page errors, failed requests and HTTP errors, so a benchmark run also shows the page works
offline and without errors.
"""

from __future__ import annotations

import re
import time

from simulation.teaching.page_selectors import DAY_JS
from simulation.teaching.server import CHROMIUM_FLAGS

CHROMIUM = "/usr/bin/chromium"
# Times a Step in the browser's own clock: from the click event (capture phase, before the page's
# handlers) to the first animation frame after the page shows the next day.  Playwright's own
# work (finding the button, checking it is clickable, its round trips) is not the page's latency.
_STEP_TIMER_JS = """([css, pattern, target]) => {
  const day = (""" + DAY_JS + """);
  window.__ssT0 = undefined; window.__ssT1 = undefined;
  document.addEventListener('click', () => { if (window.__ssT0 === undefined) window.__ssT0 = performance.now(); },
                            {capture: true, once: true});
  const observer = new MutationObserver(() => {
    if (window.__ssT0 !== undefined && day([css, pattern]) >= target) {
      observer.disconnect();
      requestAnimationFrame(() => { window.__ssT1 = performance.now(); });
    }
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
_LOCAL = re.compile(r"^(http|ws)s?://127\.0\.0\.1(:\d+)?/")


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)


class Session:
    """One browser context and page on ``url``, driven through the selectors ``sel``."""

    def __init__(self, browser, url: str, sel: dict, timeout_ms: int = 120_000, viewport=(1400, 1000)):
        self.sel = sel
        self.problems: list[str] = []
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        self.page = self.context.new_page()
        self.page.set_default_timeout(timeout_ms)
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url} {r.failure}"))
        self.page.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        self.url = url

    def _route(self, r):
        if _LOCAL.match(r.request.url) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            self.problems.append(f"off-machine request: {r.request.url}")
            r.abort()

    def load(self) -> float:
        """Open the page; seconds until it shows day 0 and its Step button."""
        t0 = time.perf_counter()
        self.page.goto(self.url)
        self.wait_day(0)
        self.page.locator(self.sel["step"]).first.wait_for()
        return time.perf_counter() - t0

    def day(self) -> int:
        return self.page.evaluate(DAY_JS, [self.sel["day"], self.sel["day_pattern"]])

    def wait_day(self, at_least: int, timeout_ms: float | None = None) -> None:
        """Wait until the page shows day ``at_least`` or later and every image on it has loaded."""
        js = ("([css, pattern, n]) => (" + DAY_JS + ")([css, pattern]) >= n"
              " && [...document.images].every(i => i.complete)")
        self.page.wait_for_function(js, arg=[self.sel["day"], self.sel["day_pattern"], at_least], timeout=timeout_ms, polling="raf")

    def click(self, name: str) -> None:
        self.page.locator(self.sel[name]).first.click()

    def start_play(self, timeout_ms: float = 180_000) -> tuple[int, float]:
        """Press Play; once the page shows it is playing (the Pause button), the day and the time."""
        self.click("play")
        return self.wait_playing(timeout_ms)

    def wait_playing(self, timeout_ms: float = 180_000) -> tuple[int, float]:
        """Wait until the page shows it is playing (its Pause button); the day and the time then."""
        if self.sel["pause"] != self.sel["play"]:
            self.page.locator(self.sel["pause"]).first.wait_for(timeout=timeout_ms)
        return self.day(), time.perf_counter()

    def wait_day_at_most(self, day: int, timeout_ms: float = 60_000) -> None:
        """Wait until the page shows day ``day`` or earlier (after a Reset)."""
        js = "([css, pattern, n]) => { const d = (" + DAY_JS + ")([css, pattern]); return d >= 0 && d <= n; }"
        self.page.wait_for_function(js, arg=[self.sel["day"], self.sel["day_pattern"], day], timeout=timeout_ms, polling="raf")

    def playing(self) -> bool:
        """Whether the page shows its Pause button (for a page whose Play button toggles, by its icon)."""
        if self.sel["pause"] != self.sel["play"]:
            return self.page.locator(self.sel["pause"]).count() > 0
        return self.page.locator(self.sel["play"] + " .mdi-pause").count() > 0

    def play_until(self, deadline: float, poll: float = 0.05) -> tuple[int, float]:
        """While Play runs, poll the day until ``deadline`` (perf_counter) or until it has not moved
        for 2 s (the run ended); returns the last day seen and when it was first seen."""
        day, when = self.day(), time.perf_counter()
        while time.perf_counter() < deadline:
            time.sleep(poll)
            now, d = time.perf_counter(), self.day()
            if d != day:
                day, when = d, now
            elif now - when > 2.0:
                break
        return day, when

    def stop_play(self, timeout_ms: float = 60_000) -> None:
        """Press Pause (a page still busy with a step may take a while to show the button)."""
        self.page.locator(self.sel["pause"]).first.click(timeout=timeout_ms)

    def step_latency(self) -> float:
        """Seconds from a Step click to the next frame showing the next day, in the browser's clock."""
        before = self.day()
        self.page.evaluate(_STEP_TIMER_JS, [self.sel["day"], self.sel["day_pattern"], before + 1])
        self.click("step")
        self.wait_day(before + 1)
        self.page.wait_for_function("() => window.__ssT1 !== undefined", polling="raf")
        return self.page.evaluate("() => (window.__ssT1 - window.__ssT0) / 1000")

    def close(self) -> None:
        self.context.close()
