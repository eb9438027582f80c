"""The teaching page in a real browser: Playwright drives Debian's chromium against ``safetysim app``.

Every request that does not go to the local server is blocked and counted as a failure, so the
test shows the page works without internet access (its JavaScript comes from the local asset
cache that ``scripts/setup_offline_assets.py`` fills from the npm registry).

Layout: the page's selectors are :data:`SEL` (from :mod:`simulation.teaching.page_selectors`,
the one place to change when the page changes); each behaviour — step, play, reset with a lever,
sessions, a closed tab's model freed — is a helper ``check_*`` below, and the test calls them in
order on one server.  Checks of features the page does not have yet (compare mode, language
switch, exercises) belong here as further ``check_*`` helpers.

The screenshot is written to ``results/test-artifacts/teaching_page.png`` (or
``$TEST_ARTIFACTS_DIR``).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from simulation.teaching.page_selectors import DAY_JS, PAGE as SEL

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", ROOT / "results" / "test-artifacts"))
TIMEOUT_MS = 60_000
APP_LEVER = "App / WeChat mini-program reporting"  # a checkbox control: the reporting channel lever


def _require_browser():
    missing = [what for what, ok in (("chromium", Path(CHROMIUM).exists()),) if not ok]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright")
    if missing:
        message = f"browser test needs {', '.join(missing)} (run `make test`, which installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run this test, never skip it
        pytest.skip(message)


@pytest.fixture(scope="module")
def server():
    _require_browser()
    from simulation.teaching.server import background_server

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # A short cull time: a session whose browser went away without closing the tab is freed soon.
    with open(ARTIFACTS / "app_server.log", "w") as log, background_server(log=log, env={"SOLARA_KERNEL_CULL_TIMEOUT": "2s"}) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    from simulation.teaching.server import CHROMIUM_FLAGS

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


class PageWatch:
    """A page with every console error, page error, failed and off-machine request recorded."""

    def __init__(self, context, url: str):
        self.problems: list[str] = []
        self.page = context.new_page()
        local = re.compile(r"^(http|ws)s?://127\.0\.0\.1(:\d+)?/")

        def route(r):
            if local.match(r.request.url) or r.request.url.startswith(("data:", "blob:")):
                r.continue_()
            else:
                self.problems.append(f"off-machine request: {r.request.url}")
                r.abort()

        self.page.route("**/*", route)
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url} {r.failure}"))
        self.page.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.goto(url)
        self.wait_day(0)

    def day(self) -> int:
        return self.page.evaluate(DAY_JS, [SEL["day"], SEL["day_pattern"]])

    def wait_day(self, day: int, timeout_ms: float = TIMEOUT_MS) -> None:
        """Wait until the page shows exactly ``day``."""
        self.page.wait_for_function(f"([css, pattern]) => ({DAY_JS})([css, pattern]) === {day}",
                                    arg=[SEL["day"], SEL["day_pattern"]], timeout=timeout_ms)

    def wait_day_at_least(self, day: int, timeout_ms: float = TIMEOUT_MS) -> None:
        self.page.wait_for_function(f"([css, pattern]) => ({DAY_JS})([css, pattern]) >= {day}",
                                    arg=[SEL["day"], SEL["day_pattern"]], timeout=timeout_ms)

    def text(self, key: str) -> str:
        return self.page.locator(SEL[key]).first.inner_text()

    def click(self, key: str) -> None:
        self.page.locator(SEL[key]).first.click()


def _number(text: str) -> float:
    return float(re.search(r"(-?[\d,]+(?:\.\d+)?)", text.split(":", 1)[1]).group(1).replace(",", ""))


def _expected_spending(days: int, **controls) -> float:
    from simulation.teaching.controls import TeachingModel

    model = TeachingModel(**controls)
    for _ in range(days):
        model.step()
    return sum(r["spending_cny"] for r in model.records)


# ------------------------------------------------------------------------------------------------
# One helper per behaviour (selectors only through SEL and PageWatch)
# ------------------------------------------------------------------------------------------------
def check_renders(w: PageWatch) -> None:
    """The network view and six charts (drawn in the browser) and the path panels are on the page."""
    w.page.wait_for_function("(css) => document.querySelectorAll(css).length >= 7", arg=SEL["charts"])
    w.page.locator(SEL["panel_path2"]).first.wait_for()
    w.page.get_by_text("Path preset (applied on Reset)").wait_for()


def check_step(w: PageWatch, days: int) -> None:
    """Each Step click advances the page by one day."""
    start = w.day()
    for day in range(start + 1, start + days + 1):
        w.click("step")
        w.wait_day(day)


def check_spending(w: PageWatch, days: int, **controls) -> float:
    """The spending the page shows is what the model computes for these controls and days."""
    shown = _number(w.text("spending"))
    assert w.text("spending").startswith("Spending so far")
    assert shown == pytest.approx(_expected_spending(days, **controls), abs=0.5)
    return shown


def check_chart_png(w: PageWatch) -> None:
    """A chart's "Save as PNG" button (ECharts' toolbox, top right) downloads it as a PNG image."""
    chart = w.page.locator(".ss-chart:not(.ss-network)").first
    box = chart.bounding_box()
    with w.page.expect_download() as info:  # toolbox: 8 px from the right, 5 px padding, 13 px icon
        chart.click(position={"x": box["width"] - 8 - 5 - 6.5, "y": 5 + 6.5})
    download = info.value
    assert download.suggested_filename == "safetysim_incidents_by_type_cumulative.png"
    data = Path(download.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000


def check_sessions_separate(browser, url: str, first: PageWatch) -> PageWatch:
    """A second browser context is its own session: it starts at day 0; the first keeps its day."""
    day = first.day()
    ctx = browser.new_context(viewport={"width": 1600, "height": 1150})
    second = PageWatch(ctx, url)
    second.click("step")
    second.wait_day(1)
    first.wait_day(day)
    return second


def check_reset_with_lever(w: PageWatch) -> None:
    """Switch a lever on, Reset: day 0 and the lever listed among the settings in effect."""
    w.page.locator(SEL["panel_path2"]).first.click()  # open the path 2 panel (systems: channels)
    w.page.locator("label", has_text=APP_LEVER).click()  # vuetify: the label toggles
    assert w.page.get_by_role("checkbox", name=APP_LEVER).is_checked()
    w.click("reset")
    w.wait_day(0)
    w.page.get_by_text("Settings that differ from the status quo").wait_for()
    w.page.get_by_role("cell", name=APP_LEVER).wait_for()


def check_play(w: PageWatch, days: int = 5) -> None:
    """Play runs the model on its own; Pause stops it (the day then stays put)."""
    start = w.day()
    w.click("play")
    w.wait_day_at_least(start + days, timeout_ms=180_000)
    w.click("pause")
    time.sleep(1.0)  # a step under way when Pause was clicked still shows
    stopped = w.day()
    time.sleep(2.0)
    assert w.day() == stopped


def check_compare(w: PageWatch, days: int = 3) -> None:
    """Compare mode: Reset builds a reference village with the same seed; the card states the difference."""
    w.page.locator(SEL["compare"]).first.click()
    w.click("reset")
    w.wait_day(0)
    check_step(w, days)
    sentence = w.page.locator(SEL["compare_sentence"]).first
    sentence.wait_for()
    assert sentence.inner_text().startswith("Your settings:"), sentence.inner_text()
    assert "CNY more spent" in sentence.inner_text()  # the student's app channel costs money


def check_language(w: PageWatch) -> None:
    """中文 switches every text of the card (the day line among them); English switches back."""
    w.page.locator(SEL["lang"], has_text="中文").click()
    w.page.wait_for_function("(css) => /^第\\d+天/.test(document.querySelector(css).textContent.trim())", arg=SEL["day"])
    w.page.get_by_text("单步").first.wait_for()
    w.page.locator(SEL["lang"], has_text="English").click()
    w.page.wait_for_function("(css) => /^Day \\d+/.test(document.querySelector(css).textContent.trim())", arg=SEL["day"])


def check_guided_exercise(w: PageWatch) -> None:
    """Exercise 1: predict, set up the two villages, play to the end: the result is set against the prediction."""
    w.page.get_by_role("tab", name="Exercises").click()
    panel = w.page.locator(SEL["exercise"]).first
    panel.wait_for()
    panel.locator(".v-btn-toggle button").first.click()  # a prediction first
    panel.locator(SEL["exercise_apply"]).click()
    w.wait_day(0)
    w.click("play")
    panel.locator(SEL["exercise_result"]).wait_for(timeout=240_000)
    assert panel.locator(".ss-verdict-correct, .ss-verdict-incorrect").count() == 1


def check_closed_tab_freed(url: str, ctx) -> None:
    """Closing a session's tabs frees its model on the server (the server's stats route)."""
    from simulation.teaching.server import server_stats

    before = server_stats(url)
    ctx.close()
    deadline = time.time() + 60
    while (after := server_stats(url))["models"] >= before["models"] and time.time() < deadline:
        time.sleep(1)
    assert after["models"] == before["models"] - 1 and after["sessions"] == before["sessions"] - 1, (before, after)


def test_teaching_page_in_browser(server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ctx1 = browser.new_context(viewport={"width": 1600, "height": 1150})
    first = PageWatch(ctx1, server)
    check_renders(first)

    check_step(first, 5)
    status_quo_spending = check_spending(first, 5)
    check_chart_png(first)

    ctx2_page = check_sessions_separate(browser, server, first)

    # With the app / WeChat reporting channel on, the same five days cost more (one more channel).
    check_reset_with_lever(first)
    check_step(first, 5)
    with_app = check_spending(first, 5, levers__channels__app=True)
    assert with_app > status_quo_spending

    check_play(first)
    check_compare(first)
    check_language(first)
    check_guided_exercise(first)

    shot = ARTIFACTS / "teaching_page.png"
    first.page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 50_000

    problems = first.problems + ctx2_page.problems
    assert not problems, "\n".join(problems)
    check_closed_tab_freed(server, ctx2_page.page.context)
    ctx1.close()
