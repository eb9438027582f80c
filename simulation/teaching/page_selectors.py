"""How a browser finds the teaching page's controls: the one place to change when the page changes.

Used by the browser test (``tests/test_app_browser.py``), the benchmarks
(``benchmarks/page_speed.py``, ``benchmarks/classroom_load.py``) and ``scripts/screenshot_app.py``.
Buttons are Playwright selectors; ``day`` is a CSS selector of the element(s) whose text holds the
simulated day, read with the ``day_pattern`` regular expression (first group = the day number).

:data:`PAGE` describes the page as it is now (Mesa's SolaraViz controller: its buttons are labelled
``Step``, ``▶``/``❚❚`` and ``Reset``; the status card's heading reads ``Day N of M``).
:data:`PAGE_STABLE_CLASSES` is the same for a page that marks its controls with the classes
``ss-step``, ``ss-play``, ``ss-reset`` and ``ss-day`` (one Play button that toggles to Pause).
:data:`MESA_EXAMPLE` is Mesa's own ``virus_on_network`` example page, the reference in the speed
benchmark.
"""

from __future__ import annotations

PAGE = {
    "step": 'role=button[name="Step"s]',
    "play": 'role=button[name="▶"s]',
    "pause": 'role=button[name="❚❚"s]',
    "reset": 'role=button[name="Reset"s]',
    "day": "h3",
    "day_pattern": r"^Day (\d+) of \d+$",
    "spending": ".ss-spending",
}

PAGE_STABLE_CLASSES = {
    "step": ".ss-step",
    "play": ".ss-play",
    "pause": ".ss-play",
    "reset": ".ss-reset",
    "day": ".ss-day",
    "day_pattern": r"Day (\d+)",
    "spending": ".ss-spending",
}

MESA_EXAMPLE = {
    "step": 'role=button[name="Step"s]',
    "play": 'role=button[name="▶"s]',
    "pause": 'role=button[name="❚❚"s]',
    "reset": 'role=button[name="Reset"s]',
    "day": "span, div",
    "day_pattern": r"^Step: (\d+)$",
}

# The JavaScript that reads the day from the page (-1 while no element shows it); Playwright's
# ``page.evaluate(DAY_JS, [css, pattern])``.
DAY_JS = """([css, pattern]) => {
  const re = new RegExp(pattern);
  for (const e of document.querySelectorAll(css)) {
    const m = re.exec(e.textContent.trim());
    if (m) return Number(m[1]);
  }
  return -1;
}"""
