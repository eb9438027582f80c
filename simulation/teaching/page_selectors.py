"""How a browser finds the teaching page's controls: the one place to change when the page changes.

Used by the browser test (``tests/test_app_browser.py``), the benchmarks
(``benchmarks/page_speed.py``, ``benchmarks/classroom_load.py``) and ``scripts/screenshot_app.py``.
Buttons are Playwright selectors; ``day`` is a CSS selector of the element(s) whose text holds the
simulated day, read with the ``day_pattern`` regular expression (first group = the day number).

:data:`PAGE` describes the page: it marks its controls with stable classes (``ss-step``,
``ss-play`` — one Play button that toggles to Pause —, ``ss-reset``, ``ss-day`` …), so a change
of wording or language does not break the browser test.
:data:`MESA_EXAMPLE` is Mesa's own ``virus_on_network`` example page, the reference in the speed
benchmark.
"""

from __future__ import annotations

PAGE = {
    "step": ".ss-step",
    "play": ".ss-play",
    "pause": ".ss-play",
    "reset": ".ss-reset",
    "day": ".ss-day",
    "day_pattern": r"Day (\d+)",
    "spending": ".ss-spending",
    "charts": ".ss-chart canvas",
    "compare": ".ss-compare label",
    "compare_sentence": ".ss-compare-sentence",
    "lang": ".ss-lang button",
    "panel_path2": ".ss-panel-path2 button",
    "exercise": ".ss-exercise",
    "exercise_apply": ".ss-apply",
    "exercise_result": ".ss-result",
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
