"""Regenerate the README's screenshot of the teaching page (docs/img/teaching_page.png).

Starts ``safetysim app`` on a free local port, picks the "All four paths" preset, resets, plays
to day 90 and takes a screenshot with Debian's chromium.  Usage: .venv/bin/python scripts/screenshot_app.py
"""

import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from simulation.teaching.page_selectors import DAY_JS, PAGE as SEL
from simulation.teaching.server import CHROMIUM_FLAGS, background_server

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img" / "teaching_page.png"


def main() -> int:
    with background_server() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1150})
        page.set_default_timeout(60_000)
        page.goto(url)
        page.wait_for_function(f"([c, p]) => ({DAY_JS})([c, p]) === 0", arg=[SEL["day"], SEL["day_pattern"]])
        page.get_by_text("Status quo", exact=True).first.click()  # the student's preset (the reference's comes second)
        page.get_by_role("option", name="All four paths").click()
        page.locator(SEL["compare"]).first.click()  # side by side with the status quo, same seed
        page.locator(SEL["reset"]).first.click()
        page.get_by_role("cell", name="Incentive scheme").wait_for()
        page.locator(SEL["play"]).first.click()
        page.wait_for_function(f"([c, p]) => ({DAY_JS})([c, p]) >= 90", arg=[SEL["day"], SEL["day_pattern"]], timeout=300_000)
        page.locator(SEL["pause"]).first.click()
        time.sleep(2)
        page.screenshot(path=str(OUT))
        browser.close()
    print(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
