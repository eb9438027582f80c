"""The teaching page in a real browser: Playwright drives Debian's chromium against ``safetysim app``.

Every request that does not go to the local server is blocked and counted as a failure, so the
test shows the page works without internet access (its JavaScript comes from the local asset
cache that ``scripts/setup_offline_assets.py`` fills from the npm registry).

The screenshot is written to ``results/test-artifacts/teaching_page.png`` (or
``$TEST_ARTIFACTS_DIR``).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", ROOT / "results" / "test-artifacts"))
TIMEOUT_MS = 60_000


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
    with open(ARTIFACTS / "app_server.log", "w") as log, background_server(log=log) as url:
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

    def wait_day(self, day: int) -> None:
        self.page.get_by_text(re.compile(rf"^Day {day} of \d+$")).wait_for()

    def status_value(self, css_class: str) -> str:
        return self.page.locator(f".{css_class}").first.inner_text()

    def click(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()


def _number(text: str) -> float:
    return float(re.search(r"(-?[\d,]+(?:\.\d+)?)", text.split(":", 1)[1]).group(1).replace(",", ""))


def _expected_spending(days: int, **controls) -> float:
    from simulation.teaching.controls import TeachingModel

    model = TeachingModel(**controls)
    for _ in range(days):
        model.step()
    return sum(r["spending_cny"] for r in model.records)


def test_teaching_page_in_browser(server, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ctx1 = browser.new_context(viewport={"width": 1600, "height": 1150})
    first = PageWatch(ctx1, server)

    # The page renders: the network view and six charts (images that loaded), the controls.
    page = first.page
    page.wait_for_function("() => [...document.images].filter(i => i.complete && i.naturalWidth > 300).length >= 7")
    page.get_by_text("Path preset (applied on Reset)").wait_for()
    page.get_by_text("App / WeChat mini-program reporting").wait_for()

    # Step five times: the day advances to 5.
    for day in range(1, 6):
        first.click("Step")
        first.wait_day(day)
    assert first.status_value("ss-spending").startswith("Spending so far")
    status_quo_spending = _number(first.status_value("ss-spending"))
    assert status_quo_spending == pytest.approx(_expected_spending(5), abs=0.5)

    # A second browser context is a separate session: it starts at day 0, and the first stays at 5.
    ctx2 = browser.new_context(viewport={"width": 1600, "height": 1150})
    second = PageWatch(ctx2, server)
    second.click("Step")
    second.wait_day(1)
    first.wait_day(5)
    assert page.get_by_text(re.compile(r"^Day 5 of \d+$")).is_visible()

    # Change a lever (add the app / WeChat reporting channel), Reset, step five days: the page
    # shows the lever in effect and the spending the model computes for it (one more channel).
    page.locator("label", has_text="App / WeChat mini-program reporting").click()  # vuetify: the label toggles
    assert page.get_by_role("checkbox", name="App / WeChat mini-program reporting").is_checked()
    first.click("Reset")
    first.wait_day(0)
    page.get_by_text("Settings that differ from the status quo").wait_for()
    page.get_by_role("cell", name="App / WeChat mini-program reporting").wait_for()
    for day in range(1, 6):
        first.click("Step")
        first.wait_day(day)
    with_app = _number(first.status_value("ss-spending"))
    expected = _expected_spending(5, levers__channels__app=True)
    assert with_app == pytest.approx(expected, abs=0.5)
    assert with_app > status_quo_spending

    # Play runs the model on its own; Pause stops it.
    first.click("▶")
    page.wait_for_function("() => /Day (1[0-9]|[2-9][0-9]) of/.test(document.body.innerText)")
    first.click("❚❚")

    shot = ARTIFACTS / "teaching_page.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 50_000

    problems = first.problems + second.problems
    assert not problems, "\n".join(problems)
    ctx1.close()
    ctx2.close()
