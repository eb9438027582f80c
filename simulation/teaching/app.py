"""The interactive teaching page: a small Solara page over the classroom village.

Start it with ``safetysim app`` (or ``solara run simulation/teaching/app.py``).  Students move the
levers (grouped by the study's four optimization paths), press Reset to build a new village with
those settings, and Step or Play to watch participation, safety and satisfaction respond.  In
compare mode two villages with the same seed — a reference and the student's settings — step
together, and every chart shows both.

Why not Mesa's SolaraViz: it re-renders every chart as a server-side image after each step (about
a second per step).  Here the charts are drawn in the browser by ECharts from the data, and a step
sends only the new series data (:class:`EchartsView`); the network's ties are sent once.

What is where:

* the controls and how they become a model: :mod:`simulation.teaching.controls`;
* the sentences the page says about the runs: :mod:`simulation.teaching.comparison`;
* this module: chart options (pure functions of the models, testable headless) and the page.

Every browser session gets its own villages (``Page`` creates them per session), so two tabs never
share state.  The model never imports this module.

Stable hooks for browser tests (CSS classes): ``ss-step``, ``ss-play`` (Play/Pause),
``ss-reset``, ``ss-speed``, ``ss-compare`` (switch), ``ss-reference`` (reference preset),
``ss-day``, ``ss-compare-sentence``, ``ss-binding``, ``ss-lang``, ``ss-download``,
``ss-registered``, ``ss-active``, ``ss-incidents``, ``ss-fraud``, ``ss-satisfaction``,
``ss-spending``, ``ss-settings``, ``ss-chart`` (every chart), ``ss-network``,
``ss-panel-<key>`` (the control panels: path1..path4, world, processes), ``ss-exercises``.
"""

from __future__ import annotations

import collections
import html
import importlib.util
import json
import os
import re
import threading
import time
import weakref
from typing import Any, Callable

import ipyvuetify
import numpy as np
import solara
import solara.lab
import traitlets

from simulation.metrics import active_count
from simulation.population import VolunteerState
from simulation.teaching.comparison import binding_factor, binding_factor_text, compare_sentence, records_csv
from simulation.constraints import binding_constraints
from simulation.teaching.controls import (
    CONTROLS,
    PANELS,
    POPULATION,
    PRESET,
    PRESET_LABELS,
    SEED,
    Control,
    TeachingModel,
    classroom_config,
    controls_in,
    group_title,
    parse_seed,
    unit,
)
from simulation.teaching.i18n import LANGUAGE_NAMES, LANGUAGES, N_, normalise, translator

TITLE = N_("Community safety governance — classroom")
YOURS = N_("your settings")
REFERENCE = N_("reference")

# Colours and markers of the network view (colour-blind-safe Okabe-Ito palette).
COLOURS = {
    "resident": "#bbbbbb",
    "active": "#009e73",
    "inactive": "#e69f00",
    "lapsed": "#cc79a7",
    "police": "#0072b2",
    "organization": "#56b4e9",
    "place": "#444444",
    "incident": "#d55e00",
}
LINE_COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#999999", "#f0e442"]
FACTOR_LABELS = {
    "factor_subject": N_("Subject (who joins)"),
    "factor_culture": N_("Culture"),
    "factor_system": N_("System (channels)"),
    "factor_allocation": N_("Resource allocation"),
    "factor_strategy": N_("Strategy (incentives)"),
}
LEVER_NAMES = {
    "recruitment": N_("recruitment"), "training": N_("training"), "role_clarity": N_("role clarity"),
    "dialogue": N_("dialogue"), "channels": N_("channels"), "publicity": N_("publicity"),
    "incentives": N_("incentives"), "evaluation": N_("evaluation"), "allocation": N_("allocation"),
}
MAX_SPEED = 60  # days per second the speed slider allows
# Whether the guided-exercise panel (a separate module) is installed; the page shows it in its tab.
EXERCISE_PANEL = importlib.util.find_spec("simulation.teaching.exercise_panel") is not None
# Play keeps to the chosen days per second by stepping the days that fell due since the last
# screen update: on a busy classroom server frames get rarer, not the simulation slower.  At most
# this many seconds' worth of days (at least 10 days) between two updates, so a stall shows as a jump.
MAX_CATCH_UP_SECONDS = 3.0
FRAME_GAP = 0.03  # seconds the Play loop pauses after each drawn frame


# ------------------------------------------------------------------------------------------------
# Network layout: computed once per model (cached weakly, so a reset model's layout is dropped)
# ------------------------------------------------------------------------------------------------
_layouts: "weakref.WeakKeyDictionary[TeachingModel, dict]" = weakref.WeakKeyDictionary()


def force_layout(n: int, a: np.ndarray, b: np.ndarray, rng: np.random.Generator, iterations: int = 60) -> np.ndarray:
    """Fruchterman-Reingold spring layout of ``n`` nodes with ties ``a[i]-b[i]``, in [-1, 1]².

    Vectorized over all pairs (a community has at most a few thousand members), so a village of
    2,000 lays out in about a second rather than the many seconds of a general-purpose layout.
    """
    if n == 1:
        return np.zeros((1, 2))
    pos = rng.random((n, 2)).astype(np.float32)
    k2 = np.float32(1.0 / n)  # k² with the ideal distance k = 1/sqrt(n)
    step = np.float32(0.1)
    for _ in range(iterations):
        x, y = pos[:, 0], pos[:, 1]
        dx = x[:, None] - x[None, :]
        dy = y[:, None] - y[None, :]
        f = dx * dx
        f += dy * dy
        np.maximum(f, np.float32(1e-4), out=f)
        np.divide(k2, f, out=f)  # repulsion k²/d between every pair, along (dx, dy)/d
        disp = np.stack([(dx * f).sum(axis=1), (dy * f).sum(axis=1)], axis=1)
        d = pos[a] - pos[b]
        pull = d * (np.sqrt((d * d).sum(-1)) * np.sqrt(n, dtype=np.float32))[:, None]  # attraction d²/k along ties
        np.add.at(disp, a, -pull)
        np.add.at(disp, b, pull)
        length = np.maximum(np.sqrt((disp * disp).sum(-1)), np.float32(1e-9))
        pos += disp * (np.minimum(length, step) / length)[:, None]
        step *= np.float32(0.95)
    pos -= pos.mean(axis=0)
    return pos / max(float(np.abs(pos).max()), 1e-9)


SHOWN_PER_COMMUNITY = 200  # residents the network view draws per community (a neighbourhood of each)


def neighbourhood_sample(lo: int, hi: int, indptr: np.ndarray, indices: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``size`` residents of rows ``lo..hi-1`` found breadth-first along their ties.

    A uniform sample of a few hundred of several thousand residents would keep almost none of their
    ties (each resident has about ten); a neighbourhood keeps them, so the view shows who knows whom.
    Starts again from a random unseen resident whenever a component is exhausted.
    """
    n = hi - lo
    if n <= size:
        return np.arange(lo, hi)
    seen = np.zeros(n, dtype=bool)
    order: list[int] = []
    queue: collections.deque[int] = collections.deque()
    for start in rng.permutation(n):
        if seen[start]:
            continue
        seen[start] = True
        queue.append(int(start))
        while queue and len(order) < size:
            row = queue.popleft()
            order.append(row)
            for nb in indices[indptr[lo + row]:indptr[lo + row + 1]]:
                nb = int(nb) - lo
                if 0 <= nb < n and not seen[nb]:
                    seen[nb] = True
                    queue.append(nb)
        if len(order) >= size:
            break
    return np.sort(np.array(order, dtype=np.int64)) + lo


def network_layout(model: TeachingModel) -> dict:
    """Positions of residents, places, police and organizations; communities on a grid.

    The view draws a neighbourhood of at most :data:`SHOWN_PER_COMMUNITY` residents per community
    (``shown``), laid out by a seeded spring layout of their ties; every other resident gets a
    random position in its community's disc, used only to mark an event that strikes them. The
    layout has its own random generator, so drawing never changes the model's draws.
    """
    if model in _layouts:
        return _layouts[model]
    net, pop = model.network, model.pop
    n_comm = model.n_communities
    cols = int(np.ceil(np.sqrt(n_comm)))
    centres = np.array([[(c % cols) * 3.0, -(c // cols) * 3.0] for c in range(n_comm)])
    rng = np.random.default_rng(model.seed_value)  # the layout's own generator, not the model's
    pos = np.zeros((pop.n, 2))
    samples = []
    for c in range(n_comm):
        lo = int(model.community_start[c])
        hi = lo + int(model.community_size[c])
        radius, angle = np.sqrt(rng.random(hi - lo)), 2 * np.pi * rng.random(hi - lo)
        pos[lo:hi] = centres[c] + 1.1 * np.c_[radius * np.cos(angle), radius * np.sin(angle)]
        samples.append(neighbourhood_sample(lo, hi, net.indptr, net.indices, SHOWN_PER_COMMUNITY, rng))
    shown = np.concatenate(samples) if samples else np.empty(0, dtype=np.int64)
    # Ties between shown residents, each once: the view draws them all, and each community's
    # spring layout pulls along those inside it.
    is_shown = np.zeros(pop.n, dtype=bool)
    is_shown[shown] = True
    src = np.repeat(shown, net.degree[shown])
    dst = net.neighbours_of(shown)
    keep = is_shown[dst] & (src < dst)
    src, dst = src[keep], dst[keep].astype(np.int64)
    local = np.full(pop.n, -1, dtype=np.int64)
    for c, rows in enumerate(samples):
        local[rows] = np.arange(rows.size)
        inside = (pop.community[src] == c) & (pop.community[dst] == c)
        pos[rows] = centres[c] + force_layout(rows.size, local[src[inside]], local[dst[inside]], rng) * 1.2
    # Places on an inner ring, police at the centre, community organizations on an outer ring.
    places = model.places
    place_pos = np.zeros((places.n, 2))
    for c in range(n_comm):
        idx = np.flatnonzero(places.community == c)
        angle = 2 * np.pi * (np.arange(idx.size) + 0.5) / max(idx.size, 1)
        place_pos[idx] = centres[c] + 0.6 * np.c_[np.cos(angle), np.sin(angle)]
    police_pos = np.zeros((model.police.n, 2))
    for c in range(n_comm):
        idx = np.flatnonzero(model.police.community == c)
        police_pos[idx] = centres[c] + np.c_[np.linspace(-0.12, 0.12, idx.size), np.zeros(idx.size)]
    orgs = model.orgs
    org_pos = np.zeros((orgs.n, 2))
    middle = centres.mean(axis=0)
    for c in range(-1, n_comm):
        idx = np.flatnonzero(orgs.community == c)
        if not idx.size:
            continue
        angle = 2 * np.pi * (np.arange(idx.size) + 0.25) / idx.size
        if c >= 0:
            org_pos[idx] = centres[c] + 1.45 * np.c_[np.cos(angle), np.sin(angle)]
        else:  # district-level organizations (university, media, departments) between communities
            org_pos[idx] = middle + np.c_[np.linspace(-0.6, 0.6, idx.size), np.full(idx.size, 1.75)]
    segments = np.stack([pos[src], pos[dst]], axis=1)
    layout = {"residents": pos, "shown": shown, "places": place_pos, "police": police_pos, "orgs": org_pos, "ties": segments}
    _layouts[model] = layout
    return layout


def volunteer_status(model: TeachingModel) -> np.ndarray:
    """Per resident: 0 resident, 1 active volunteer, 2 inactive volunteer, 3 lapsed volunteer."""
    pop = model.pop
    status = np.zeros(pop.n, dtype=np.int8)
    registered = pop.vol_state == VolunteerState.REGISTERED
    recent = (model.day - pop.last_served) < model.cfg.participation.active_window_days
    status[registered & recent] = 1
    status[registered & ~recent] = 2
    status[pop.vol_state == VolunteerState.LAPSED] = 3
    return status


def _today(model: TeachingModel, kind: str) -> np.ndarray:
    parts = model.events_today.get(kind, [])
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _xy(points: np.ndarray) -> list[list[float]]:
    return np.round(points, 3).tolist()


# ------------------------------------------------------------------------------------------------
# Chart options: pure functions returning ECharts options as (base, update).  ``base`` holds what
# changes only with the language or the set of runs; ``update`` the data of the current day.
# ------------------------------------------------------------------------------------------------
Runs = list  # [(run name msgid, model)], "your settings" first


def network_option(model: TeachingModel, _: Callable[[str], str]) -> tuple[dict, dict]:
    """The village's network: ties (sent once), residents coloured by volunteer state, today's incidents."""
    return network_base(model, _), network_update(model, _)


def network_base(model: TeachingModel, _: Callable[[str], str]) -> dict:
    """What the network view draws once per village: layout of ties, places, organizations, police; legend."""
    lay = network_layout(model)
    ties = lay["ties"]
    base = {
        "animation": False,
        "title": {"text": "", "textStyle": {"fontSize": 13}},
        "toolbox": save_tool("network", _),
        "tooltip": {"show": False},
        "legend": {"orient": "vertical", "right": 0, "top": 30, "textStyle": {"fontSize": 11}},
        "grid": {"left": 5, "right": 170, "top": 30, "bottom": 5},
        "xAxis": {"type": "value", "show": False, "scale": True},
        "yAxis": {"type": "value", "show": False, "scale": True},
        "series": [
            # zlevel 0: the ties get a canvas layer of their own, which a step does not repaint.
            {"id": "ties", "type": "lines", "coordinateSystem": "cartesian2d", "silent": True, "large": True, "zlevel": 0,
             "lineStyle": {"color": "#999999", "width": 0.4, "opacity": 0.35},
             "data": [{"coords": seg} for seg in np.round(ties, 3).tolist()]},
            *[{"id": key, "name": _(label), "type": "scatter", "zlevel": 1, "symbolSize": size, "itemStyle": {"color": COLOURS[key]}, "data": []}
              for key, label, size in (("resident", N_("resident"), 4), ("lapsed", N_("volunteer, lapsed"), 6),
                                       ("inactive", N_("volunteer, inactive"), 6), ("active", N_("volunteer, active"), 7))],
            {"id": "place", "zlevel": 1, "name": _("public place"), "type": "scatter", "symbol": "rect", "symbolSize": 8,
             "itemStyle": {"color": "#ffffff", "borderColor": COLOURS["place"], "borderWidth": 1}, "data": _xy(lay["places"])},
            {"id": "org", "zlevel": 1, "name": _("organization"), "type": "scatter", "symbol": "diamond", "symbolSize": 10,
             "itemStyle": {"color": COLOURS["organization"], "borderColor": "#000", "borderWidth": 0.5}, "data": _xy(lay["orgs"])},
            {"id": "police", "zlevel": 1, "name": _("police officer"), "type": "scatter", "symbol": "triangle", "symbolSize": 12,
             "itemStyle": {"color": COLOURS["police"], "borderColor": "#000", "borderWidth": 0.5}, "data": _xy(lay["police"])},
            {"id": "incident", "zlevel": 1, "name": _("incident today"), "type": "scatter", "symbol": "pin", "symbolSize": 18, "z": 5,
             "itemStyle": {"color": COLOURS["incident"]}, "data": []},
            {"id": "victim", "zlevel": 1, "name": _("fraud victim / dispute today"), "type": "scatter", "symbolSize": 12, "z": 5,
             "itemStyle": {"color": "rgba(0,0,0,0)", "borderColor": COLOURS["incident"], "borderWidth": 1.5}, "data": []},
            {"id": "emergency", "zlevel": 1, "name": _("emergency today"), "type": "scatter", "symbol": "triangle", "symbolSize": 12, "z": 5,
             "itemStyle": {"color": COLOURS["incident"]}, "data": []},
        ],
    }
    return base


def network_update(model: TeachingModel, _: Callable[[str], str]) -> dict:
    """What changes every day: residents' volunteer states and today's incidents."""
    lay = network_layout(model)
    shown = lay["shown"]
    status = volunteer_status(model)[shown]
    pos = lay["residents"]
    series = [{"id": key, "data": _xy(pos[shown[status == code]])} for code, key in ((0, "resident"), (3, "lapsed"), (2, "inactive"), (1, "active"))]
    places = np.unique(_today(model, "places"))
    series.append({"id": "incident", "data": _xy(lay["places"][places])})
    victims = np.unique(np.concatenate([_today(model, "fraud"), _today(model, "disputes")]))
    series.append({"id": "victim", "data": _xy(pos[victims])})
    series.append({"id": "emergency", "data": _xy(pos[np.unique(_today(model, "emergencies"))])})
    title = _("The village's network, day {day}").format(day=model.steps)
    if shown.size < model.pop.n:
        title += " · " + _("{shown:,} of {residents:,} residents drawn; events anywhere").format(shown=shown.size, residents=model.pop.n)
    return {"title": {"text": title}, "series": series}


def _series(model: TeachingModel, key: str) -> np.ndarray:
    return np.array([r.get(key, np.nan) for r in model.records], dtype=float)


def _cumulative_per_1000(model: TeachingModel, key: str) -> np.ndarray:
    return np.cumsum(_series(model, key)) / model.real_residents * 1000.0


def _points(values: np.ndarray) -> list:
    """[[day, value], ...] with 4 significant digits (what a chart can show) to keep messages small."""
    return [[i + 1, None if not np.isfinite(v) else float(f"{v:.4g}")] for i, v in enumerate(values.tolist())]


def save_tool(slug: str, _: Callable[[str], str]) -> dict:
    """ECharts' own "save as image" button (top right): the chart as a PNG file, made in the browser."""
    return {"right": 8, "top": 0, "itemSize": 13,
            "feature": {"saveAsImage": {"title": _("Save as PNG"), "name": f"safetysim_{slug}", "pixelRatio": 2, "backgroundColor": "#ffffff"}}}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def line_option(title: str, ylabel: str, lines: list[str], runs: Runs, data: Callable[[TeachingModel, int], np.ndarray],
                _: Callable[[str], str], ylim: tuple[float, float] | None = None) -> tuple[dict, dict]:
    """A line chart: one line per entry of ``lines`` and run; the reference dashed.

    ``data(model, i)`` gives the values of line ``i`` for one village.
    """
    days = max(m.cfg.run.days for _name, m in runs)
    series_base, series_data = [], []
    for r, (run, model) in enumerate(runs):
        for i, label in enumerate(lines):
            name = _(label) if r == 0 else _("{series} ({run})").format(series=_(label), run=_(run))
            series_base.append({"id": f"{r}-{i}", "name": name, "type": "line", "showSymbol": False, "connectNulls": False,
                                "lineStyle": {"width": 1.8, "type": "solid" if r == 0 else "dashed", "color": LINE_COLOURS[i % len(LINE_COLOURS)]},
                                "itemStyle": {"color": LINE_COLOURS[i % len(LINE_COLOURS)]}, "data": []})
            series_data.append({"id": f"{r}-{i}", "data": _points(data(model, i))})
    y_axis: dict[str, Any] = {"type": "value", "name": _(ylabel), "nameTextStyle": {"align": "left"}}
    if ylim is not None:
        y_axis.update(min=ylim[0], max=ylim[1])
    base = {
        "animation": False,
        "title": {"text": _(title), "textStyle": {"fontSize": 13}},
        "toolbox": save_tool(_slug(title), _),
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 22, "type": "scroll", "textStyle": {"fontSize": 10}},
        "grid": {"left": 50, "right": 15, "top": 75, "bottom": 30},
        "xAxis": {"type": "value", "name": _("day"), "min": 0, "max": max(days, 1)},
        "yAxis": y_axis,
        "series": series_base,
    }
    return base, {"series": series_data}


INCIDENT_LINES = [(N_("property"), "property_incidents"), (N_("public order"), "public_order_incidents"),
                  (N_("disputes escalated"), "disputes_escalated"), (N_("emergencies"), "emergencies")]
VOLUNTEER_LINES = [(N_("registered"), "registered_volunteers"), (N_("active"), "active_volunteers"), (N_("on duty today"), "volunteers_on_duty")]
FRAUD_LINES = [(N_("victims"), "fraud_victims"), (N_("victims aged 60+"), "fraud_victims_older")]
SATISFACTION_LINES = [(N_("satisfaction, all"), "satisfaction"), (N_("satisfaction, mobile population"), "mobile_satisfaction"),
                      (N_("trust in police"), "trust")]


def incidents_option(runs: Runs, _) -> tuple[dict, dict]:
    return line_option(N_("Incidents by type (cumulative)"), N_("per 1,000 residents"), [lab for lab, _k in INCIDENT_LINES], runs,
                       lambda m, i: _cumulative_per_1000(m, INCIDENT_LINES[i][1]), _)


def volunteers_option(runs: Runs, _) -> tuple[dict, dict]:
    return line_option(N_("Volunteers"), N_("people"), [lab for lab, _k in VOLUNTEER_LINES], runs,
                       lambda m, i: _series(m, VOLUNTEER_LINES[i][1]), _)


def fraud_option(runs: Runs, _) -> tuple[dict, dict]:
    return line_option(N_("Fraud victimisation (cumulative)"), N_("per 1,000 residents"), [lab for lab, _k in FRAUD_LINES], runs,
                       lambda m, i: _cumulative_per_1000(m, FRAUD_LINES[i][1]), _)


def satisfaction_option(runs: Runs, _) -> tuple[dict, dict]:
    return line_option(N_("Satisfaction and trust"), N_("0-1"), [lab for lab, _k in SATISFACTION_LINES], runs,
                       lambda m, i: _series(m, SATISFACTION_LINES[i][1]), _, ylim=(0, 1))


def spending_levers(runs: Runs) -> list[str]:
    """The levers that have spent anything in any village (the spending chart's lines)."""
    return [name for name in runs[0][1].levers
            if any(sum(r.get(f"cost_{name}", 0.0) for r in m.records) > 0 for _run, m in runs)]


def spending_option(runs: Runs, _) -> tuple[dict, dict]:
    names = spending_levers(runs)
    return line_option(N_("Spending by lever (cumulative)"), N_("thousand CNY"), [LEVER_NAMES.get(n, n) for n in names], runs,
                       lambda m, i: np.cumsum(_series(m, f"cost_{names[i]}")) / 1000.0, _)


def factors_option(runs: Runs, _) -> tuple[dict, dict]:
    """The five restrictive factors today, one bar per village; the binding (lowest) bar in orange."""
    keys = list(FACTOR_LABELS)
    base = {
        "animation": False,
        "title": {"text": _("The five restrictive factors (lowest binds)"), "textStyle": {"fontSize": 13}},
        "toolbox": save_tool("restrictive_factors", _),
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 22, "textStyle": {"fontSize": 10}},
        "grid": {"left": 50, "right": 15, "top": 60, "bottom": 45},
        "xAxis": {"type": "category", "data": [_(FACTOR_LABELS[k]) for k in keys], "axisLabel": {"interval": 0, "fontSize": 10, "width": 80, "overflow": "break"}},
        "yAxis": {"type": "value", "min": 0, "max": 1, "name": _("index (1 = not restrictive)"), "nameTextStyle": {"align": "left"}},
        "series": [{"id": f"run{r}", "name": _(run), "type": "bar", "data": [],
                    "itemStyle": {"color": "#0072b2" if r == 0 else "#999999"}} for r, (run, _m) in enumerate(runs)],
    }
    series = []
    for r, (_run, model) in enumerate(runs):
        last = model.last_record or {}
        bind = binding_factor(last)
        data = []
        for k in keys:
            v = float(last.get(k, np.nan))
            item: dict[str, Any] = {"value": None if not np.isfinite(v) else round(v, 4)}
            if k == bind:
                item["itemStyle"] = {"color": COLOURS["incident"] if r == 0 else "#e8a87c"}
            data.append(item)
        series.append({"id": f"run{r}", "data": data})
    return base, {"series": series}


CHARTS = [incidents_option, volunteers_option, fraud_option, satisfaction_option, spending_option, factors_option]
"""The charts below the network view, in display order."""


# ------------------------------------------------------------------------------------------------
# The session's villages and the language
# ------------------------------------------------------------------------------------------------
def status_quo_values() -> dict[str, Any]:
    """Every lever and process control at the classroom status quo (the page's starting values)."""
    base = classroom_config()
    return {c.name: c.default(base) for c in CONTROLS if c not in (PRESET, SEED, POPULATION)}


class Villages:
    """One session's villages: the student's and, in compare mode, the reference (same seed).

    Both step together under one lock, so Step pressed during Play never interleaves steps.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.yours = TeachingModel()
        self.reference: TeachingModel | None = None
        self.reference_preset = "status_quo"
        self.warning: str | None = None
        self._drawn = 0
        self._drawn_cv = threading.Condition()

    def reset(self, preset: str, values: dict[str, Any], n_residents: int, seed: str, compare: bool,
              reference_preset: str, _: Callable[[str], str] = N_, reference_values: dict[str, Any] | None = None) -> None:
        """Build new villages; ``reference_values`` (control values) set the reference's levers (an exercise's)."""
        fallback = classroom_config().run.seed
        seed_value, self.warning = parse_seed(seed, fallback, _)
        yours = TeachingModel(preset=preset, n_residents=n_residents, seed=seed_value, **values)
        reference = (TeachingModel(preset=reference_preset, n_residents=n_residents, seed=seed_value, **(reference_values or {}))
                     if compare else None)
        with self.lock:
            self.yours, self.reference, self.reference_preset = yours, reference, reference_preset

    def runs(self) -> Runs:
        """[(run name, model)]: the student's village first, then the reference if comparing."""
        runs = [(YOURS, self.yours)]
        if self.reference is not None:
            runs.append((REFERENCE, self.reference))
        return runs

    @property
    def finished(self) -> bool:
        return self.yours.steps >= self.yours.cfg.run.days

    def step(self, days: int = 1) -> int:
        """Advance every village by up to ``days`` (never past the run's last day); returns days stepped."""
        with self.lock:
            n = max(0, min(days, self.yours.cfg.run.days - self.yours.steps))
            for _i in range(n):
                for _run, model in self.runs():
                    model.step()
            return n

    def drawn(self, tick_value: int) -> None:
        """The browser reports that it has drawn frame ``tick_value`` (see :meth:`wait_drawn`)."""
        with self._drawn_cv:
            self._drawn = tick_value
            self._drawn_cv.notify_all()

    def wait_drawn(self, tick_value: int, cancel: threading.Event, timeout: float = 1.0) -> None:
        """Block the Play loop until the browser has drawn frame ``tick_value`` (at most ``timeout``).

        Without this back-pressure, Play would send frames faster than a slow browser draws them;
        they would queue in the browser, and a Pause click would wait behind the queue.
        """
        deadline = time.perf_counter() + timeout
        with self._drawn_cv:
            while self._drawn < tick_value and not cancel.is_set():
                left = deadline - time.perf_counter()
                if left <= 0:
                    return
                self._drawn_cv.wait(min(left, 0.05))

    def csv(self) -> str:
        return records_csv({run: model.records for run, model in self.runs()})


def language_from_accept(header: str | None) -> str | None:
    """The supported language a browser's Accept-Language header prefers most (None if none is)."""
    best: tuple[float, int, str] | None = None
    for i, part in enumerate((header or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        if not tag or tag == "*":
            continue
        q = 1.0
        for p in params.split(";"):
            if p.strip().startswith("q="):
                try:
                    q = float(p.strip()[2:])
                except ValueError:
                    q = 0.0
        code = tag.replace("_", "-").split("-")[0].lower()
        if code in LANGUAGES and q > 0 and (best is None or (q, -i) > (best[0], best[1])):
            best = (q, -i, code)
    return best[2] if best else None


def initial_language(env: str | None, accept_language: str | None) -> str:
    """``SAFETYSIM_LANG`` if set, else the browser's preferred supported language, else English."""
    if env:
        return normalise(env)
    return language_from_accept(accept_language) or normalise(None)


def _accept_language() -> str | None:
    headers = solara.lab.headers.value or {}
    for key, values in headers.items():
        if key.lower() == "accept-language" and values:
            return values[0]
    return None


# ------------------------------------------------------------------------------------------------
# Guided exercises: the slot for ``simulation.teaching.exercise_panel.ExercisePanel``
# ------------------------------------------------------------------------------------------------
def exercise_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Page state for an exercise's settings (what ``ExercisePanel``'s ``on_apply`` passes).

    ``settings`` may hold ``preset`` and ``reference`` (path keys, e.g. "p4_strategies"),
    ``compare`` (bool), ``seed`` (int or text), ``n_residents`` (int) and ``controls``
    ({control name of :data:`~simulation.teaching.controls.CONTROLS`: config value}); anything
    left out keeps the status quo.  Unknown keys or controls raise ``TypeError``.
    """
    unknown = sorted(set(settings) - {"preset", "reference", "compare", "seed", "n_residents", "controls", "reference_controls"})
    if unknown:
        raise TypeError(f"unknown exercise setting(s): {', '.join(unknown)}")
    values = status_quo_values()
    extra = sorted(set(settings.get("controls", {})) - set(values))
    if extra:
        raise TypeError(f"unknown control(s): {', '.join(extra)}")
    values.update(settings.get("controls", {}))
    return {
        "preset": settings.get("preset", "status_quo"),
        "reference": settings.get("reference", "status_quo"),
        "compare": bool(settings.get("compare", "reference" in settings)),
        "seed": str(settings.get("seed", classroom_config().run.seed)),
        "n_residents": int(settings.get("n_residents", POPULATION.default(classroom_config()))),
        "values": values,
        # the reference village's own control values (an exercise's reference side); {} = its preset alone
        "reference_values": {**status_quo_values(), **settings["reference_controls"]} if settings.get("reference_controls") else {},
    }


def exercise_result(villages: Villages) -> dict[str, Any]:
    """What an exercise panel may check: day, and per run its daily records (the ``result`` prop)."""
    return {"day": villages.yours.steps, "runs": {run: list(model.records) for run, model in villages.runs()}}


def overrides_to_controls(overrides: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """An exercise side's dotted config overrides as control values (and its population, if set).

    A list setting (e.g. ``levers.recruitment.targets``) becomes its member checkboxes.  A key no
    control shows raises ``TypeError``: the page could not show the student what was set.
    """
    controls: dict[str, Any] = {}
    n_residents = None
    for key, value in overrides.items():
        if key == POPULATION.path:
            n_residents = int(value)
            continue
        matching = [c for c in CONTROLS if c.path == key]
        if not matching:
            raise TypeError(f"exercise setting {key} has no control in the page")
        for c in matching:
            controls[c.name] = (c.member in value) if c.member is not None else value
    return controls, n_residents


def exercise_page_state(sides: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``ExercisePanel``'s ``{"reference": {...}, "student": {...}}`` as page settings: both villages
    with the same seed, compare mode on, the student's levers in the controls, the reference's
    levers given to the reference village."""
    student, n_student = overrides_to_controls(sides.get("student", {}))
    reference, n_reference = overrides_to_controls(sides.get("reference", {}))
    settings: dict[str, Any] = {"controls": student, "reference_controls": reference, "compare": True}
    if n_student or n_reference:
        settings["n_residents"] = n_student or n_reference
    return settings


def exercise_kpis(villages: Villages) -> dict[str, tuple[float, float]] | None:
    """The ``result`` of ``ExercisePanel``: {KPI: (reference, yours)} once both villages have finished."""
    if villages.reference is None or not villages.finished:
        return None
    key = (id(villages.yours), id(villages.reference))
    if getattr(villages, "_kpis_key", None) != key:
        ref, yours = villages.reference.summary(), villages.yours.summary()
        villages._kpis = {k: (float(ref[k]), float(v)) for k, v in yours.items()
                          if isinstance(v, (int, float)) and isinstance(ref.get(k), (int, float))}
        villages._kpis_key = key
    return villages._kpis


# ------------------------------------------------------------------------------------------------
# Page state (``solara.reactive`` values are per browser session)
# ------------------------------------------------------------------------------------------------
values = solara.reactive(status_quo_values())
preset = solara.reactive("status_quo")
compare = solara.reactive(False)
reference_preset = solara.reactive("status_quo")
seed_text = solara.reactive(str(classroom_config().run.seed))
n_residents = solara.reactive(int(POPULATION.default(classroom_config())))
reference_values = solara.reactive({})  # an exercise's reference levers (empty: the reference preset alone)
tick = solara.reactive(0)  # bumped after every step or reset: the views subscribe to it
playing = solara.reactive(False)
speed = solara.reactive(30)  # days per second while playing: the 120-day run in 4 s
tab = solara.reactive(0)  # the Dashboard's open tab: 0 the village, 1 the exercises
open_panels = solara.reactive([])  # indexes of the control panels the user opened


def reset(villages: Villages, _: Callable[[str], str]) -> None:
    playing.set(False)
    villages.reset(preset.value, values.value, n_residents.value, seed_text.value, compare.value, reference_preset.value, _,
                   reference_values.value)
    tick.set(tick.value + 1)


def apply_exercise(settings: dict[str, Any], villages: Villages, _: Callable[[str], str] = N_) -> None:
    """``on_apply`` of the exercise panel: set the controls as the exercise says and Reset."""
    state = exercise_settings(settings)
    values.set(state["values"])
    preset.set(state["preset"])
    reference_preset.set(state["reference"])
    compare.set(state["compare"])
    seed_text.set(state["seed"])
    n_residents.set(state["n_residents"])
    reference_values.set(state["reference_values"])
    reset(villages, _)


# ------------------------------------------------------------------------------------------------
# Components
# ------------------------------------------------------------------------------------------------
class EchartsView(ipyvuetify.VuetifyTemplate):
    """An ECharts chart whose ``base`` option is set once and ``update`` merged in (see the .vue file)."""

    template_file = (__file__, "echarts_view.vue")
    attributes = traitlets.Dict(default_value=None, allow_none=True).tag(sync=True)
    # JSON text, not dicts: reacton walks dict/list arguments looking for elements, which for a
    # chart's thousands of points cost more than the whole model step.
    base = traitlets.Unicode("{}").tag(sync=True)
    update = traitlets.Unicode("{}").tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    frame = traitlets.Int(0).tag(sync=True)  # > 0: report this number back once the browser has drawn it
    on_drawn = traitlets.Callable(None, allow_none=True)

    def vue_drawn(self, frame):
        if self.on_drawn is not None:
            self.on_drawn(frame)

    @traitlets.default("cdn")
    def _cdn(self):
        import solara.settings

        if not solara.settings.assets.proxy:
            return solara.settings.assets.cdn


def Chart(option: tuple[str | dict, dict], height: int = 280, classes: str = "ss-chart", frame: int = 0,
          on_drawn: Callable[[int], None] | None = None):
    base, update = option
    if not isinstance(base, str):
        base = json.dumps(base, separators=(",", ":"))
    return EchartsView.element(base=base, update=json.dumps(update, separators=(",", ":")), frame=frame, on_drawn=on_drawn,
                               attributes={"style": f"height: {height}px; width: 100%;", "class": classes})


@solara.component
def ControlWidget(control: Control, lang: str):
    """One control with its unit underneath."""
    _ = translator(lang)
    value = values.value[control.name]

    def set_value(new):
        values.set({**values.value, control.name: new})

    with solara.Column(gap="0px", style={"margin-bottom": "6px"}):
        if control.kind == "Checkbox":
            solara.Checkbox(label=_(control.label), value=bool(value), on_value=set_value)
        elif control.kind == "Select":
            items = [{"text": f"{v} — {_(e)}" if e else v, "value": v} for v, e in zip(control.values, control.explain or [""] * len(control.values))]
            solara.v.Select(label=_(control.label), items=items, v_model=value, on_v_model=set_value, dense=True, hide_details=True)
        else:
            # The label above the slider (beside it, long labels squeeze the slider to nothing).
            solara.Text(_(control.label), style={"font-size": "13px"})
            if control.kind == "SliderInt":
                solara.SliderInt("", value=int(value), min=int(control.min), max=int(control.max), step=int(control.step), on_value=set_value)
                shown = f"{int(value):,}"
            else:
                solara.SliderFloat("", value=float(value), min=control.min, max=control.max, step=control.step, on_value=set_value)
                shown = f"{float(value):g}"
            solara.Text(f"{shown} {_(unit(control))}", classes=["ss-unit"], style={"font-size": "12px", "color": "#555", "margin-top": "-8px"})
        # A checkbox is on/off and a select lists its choices in words: neither needs a unit line.


@solara.component
def Controls(villages: Villages, lang: str):
    """The preset and every control, grouped in one expandable panel per path, World and Processes."""
    _ = translator(lang)
    with solara.Column(gap="6px"):
        solara.v.Select(label=_(PRESET.label), items=[{"text": _(t), "value": k} for k, t in PRESET_LABELS.items()],
                        v_model=preset.value, on_v_model=preset.set, class_="ss-preset")
        solara.Text(_("Move the controls, then press Reset to build a village with them."), style={"font-size": "12px", "color": "#555"})
        # Only open panels have their controls built: a closed panel costs the page nothing on
        # each step (the page re-renders in time proportional to the number of widgets).
        with solara.v.ExpansionPanels(multiple=True, accordion=True, v_model=open_panels.value, on_v_model=open_panels.set):
            for i, panel in enumerate(PANELS):
                with solara.v.ExpansionPanel(class_=f"ss-panel-{panel.key}"):
                    with solara.v.ExpansionPanelHeader():
                        with solara.Column(gap="0px"):
                            solara.Text(_(panel.title), style={"font-weight": "bold"})
                            solara.Text(_(panel.explain), style={"font-size": "12px", "color": "#555"})
                    with solara.v.ExpansionPanelContent():
                        if i in (open_panels.value or []):
                            PanelControls(panel.key, lang)


@solara.component
def PanelControls(panel_key: str, lang: str):
    """The controls of one panel, under their group headings, each with its unit."""
    _ = translator(lang)
    heading = None
    for control in controls_in(panel_key):
        if panel_key == "world":
            if control is POPULATION:
                solara.Text(_(control.label), style={"font-size": "13px"})
                solara.SliderInt("", value=n_residents.value, min=int(control.min), max=int(control.max),
                                 step=int(control.step), on_value=n_residents.set)
                solara.Text(f"{n_residents.value:,} {_(unit(control))}", classes=["ss-unit"], style={"font-size": "12px", "color": "#555"})
            else:
                solara.InputText(_(control.label), value=seed_text.value, on_value=seed_text.set, continuous_update=False)
                solara.Text(_(unit(control)), classes=["ss-unit"], style={"font-size": "12px", "color": "#555"})
            continue
        title = group_title(control)
        if title != heading and panel_key != "processes":
            heading = title
            solara.Text(_(title), style={"font-weight": "bold", "font-size": "13px", "margin-top": "6px"})
        ControlWidget(control, lang)


@solara.component
def Controller(villages: Villages, lang: str):
    """Reset / Step / Play-Pause, the speed in days per second, compare mode, the CSV download."""
    _ = translator(lang)

    def play_loop(cancel: threading.Event):
        if not playing.value:
            return
        start, done, rate = time.perf_counter(), 0, max(1, speed.value)
        while not cancel.is_set() and playing.value:
            due = int((time.perf_counter() - start) * rate) - done
            if due <= 0:
                time.sleep(min(0.02, 1.0 / rate))
                continue
            done += due
            villages.step(min(due, max(10, int(rate * MAX_CATCH_UP_SECONDS))))
            tick.set(tick.value + 1)
            villages.wait_drawn(tick.value, cancel)
            time.sleep(FRAME_GAP)  # let a Pause or Step click take the render lock between frames
            if villages.finished:
                playing.set(False)
                return

    solara.use_thread(play_loop, dependencies=[playing.value, speed.value], intrusive_cancel=False)

    def step():
        villages.step(1)
        tick.set(tick.value + 1)

    with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button(_("Reset"), icon_name="mdi-restore", on_click=lambda: reset(villages, _), classes=["ss-reset"], outlined=True)
        solara.Button(_("Step"), icon_name="mdi-skip-next", on_click=step, classes=["ss-step"], color="primary", disabled=playing.value)
        if playing.value:
            solara.Button(_("Pause"), icon_name="mdi-pause", on_click=lambda: playing.set(False), classes=["ss-play"], color="primary")
        else:
            solara.Button(_("Play"), icon_name="mdi-play", on_click=lambda: playing.set(True), classes=["ss-play"], color="primary")
        with solara.Column(style={"width": "260px"}, classes=["ss-speed"]):
            solara.SliderInt(_("speed (days per second)"), value=speed.value, min=1, max=MAX_SPEED, on_value=speed.set)
        solara.Switch(label=_("Compare with a reference village"), value=compare.value, on_value=compare.set, classes=["ss-compare"])
        if compare.value:
            solara.v.Select(label=_("Reference"), items=[{"text": _(t), "value": k} for k, t in PRESET_LABELS.items()],
                            v_model=reference_preset.value, on_v_model=lambda v: (reference_values.set({}), reference_preset.set(v)), dense=True, hide_details=True,
                            style_="max-width: 280px", class_="ss-reference")
        solara.FileDownload(villages.csv, filename="safetysim_runs.csv", mime_type="text/csv",
                            children=[solara.Button(_("Download runs (CSV)"), icon_name="mdi-download", classes=["ss-download"], text=True)])


def status_lines(villages: Villages, _: Callable[[str], str]) -> list[tuple[str, str]]:
    """The status card's lines as (CSS class, text): day, run, comparison, key numbers."""
    model = villages.yours
    records = model.records
    vols = int(model.registered_rows.size * model.scale)
    active = int(active_count(model) * model.scale)
    spent = sum(r.get("spending_cny", 0.0) for r in records)
    lines = [
        ("ss-day", _("Day {day} of {days}").format(day=model.steps, days=model.cfg.run.days)),
        ("ss-run", _("Preset: {preset} · seed {seed} · {residents} residents").format(
            preset=_(PRESET_LABELS[model.preset]), seed=model.seed_value, residents=f"{model.real_residents:,.0f}")),
    ]
    if compare.value and villages.reference is None:
        lines.append(("ss-hint", _("Press Reset to start both villages with the same seed.")))
    if villages.reference is not None:
        lines.append(("ss-reference-run", _("Reference: {preset}, same seed").format(preset=_(PRESET_LABELS[villages.reference_preset]))))
        lines.append(("ss-compare-sentence", compare_sentence(villages.reference.records, records, _)))
    lines += [
        ("ss-registered", _("Registered volunteers: {n}").format(n=f"{vols:,}")),
        ("ss-active", _("Active volunteers: {n}").format(n=f"{active:,}")),
        ("ss-incidents", _("Incidents so far: {n}").format(n=f"{sum(r['incidents'] for r in records):,.0f}")),
        ("ss-fraud", _("Fraud victims so far: {n}").format(n=f"{sum(r['fraud_victims'] for r in records):,.0f}")),
        ("ss-satisfaction", _("Satisfaction: {x}").format(x=f"{float(model.pop.satisfaction.mean()):.3f}")),
        ("ss-spending", _("Spending so far: {cny} CNY").format(cny=f"{spent:,.0f}")),
    ]
    # What a lever was asked for and could not deliver (e.g. police training capacity), so far.
    lines += [("ss-constraint", _("What binds: {message}").format(message=c.message))
              for c in binding_constraints(model) if c.binds]
    return lines


_LINE_STYLE = {"ss-constraint": "color: #b35900; font-size: 12px;", "ss-day": "font-size: 20px; font-weight: bold;", "ss-reference-run": "color: #555;", "ss-hint": "color: #555;",
               "ss-compare-sentence": "font-weight: bold; color: #0072b2;"}


def StatusCard(villages: Villages, lang: str):
    """Day, key numbers, the comparison sentence and the settings in effect — plain text a class can read.

    The lines are one HTML element (one widget update per step); the settings table is a component
    whose arguments change only on Reset, so a step does not re-render it.
    """
    _ = translator(lang)
    body = "".join(f'<div class="{cls}" style="{_LINE_STYLE.get(cls, "")}">{html.escape(text)}</div>' for cls, text in status_lines(villages, _))
    with solara.Column(gap="4px", style={"padding": "8px", "font-size": "14px"}):
        solara.HTML(tag="div", unsafe_innerHTML=body, style={"display": "flex", "flex-direction": "column", "gap": "4px"})
        SettingsTable(tuple(villages.yours.settings_in_effect), villages.warning, lang)


@solara.component
def SettingsTable(settings: tuple, warning: str | None, lang: str):
    _ = translator(lang)
    if warning:
        solara.Warning(warning)
    if settings:
        rows = "\n".join(f"| {_(label)} | {_(value)} | {_(source)} |" for label, value, source in settings)
        solara.Markdown(_("**Settings that differ from the status quo** ({n})").format(n=len(settings)))
        with solara.Column(style={"max-height": "120px", "overflow-y": "auto", "font-size": "12px"}, classes=["ss-settings"]):
            solara.Markdown(_("| setting | value | from |") + "\n|:---|:---|:---|\n" + rows)
    else:
        solara.Text(_("All levers at the status quo."))


_network_json: "weakref.WeakKeyDictionary[TeachingModel, dict[str, str]]" = weakref.WeakKeyDictionary()


def _network_base_json(model: TeachingModel, lang: str) -> str:
    """The network's base option as JSON, once per village and language (held weakly: a closed
    session's village is freed with it)."""
    per_lang = _network_json.setdefault(model, {})
    if lang not in per_lang:
        per_lang[lang] = json.dumps(network_base(model, translator(lang)), separators=(",", ":"))
    return per_lang[lang]


def NetworkView(villages: Villages, lang: str):
    _ = translator(lang)
    model = villages.yours
    base = _network_base_json(model, lang)  # ties: computed and sent once per village and language
    # The network view, drawn last in the browser's update, acknowledges each frame for the Play loop.
    Chart((base, network_update(model, _)), height=430, classes="ss-chart ss-network", frame=tick.value, on_drawn=villages.drawn)


def ChartsGrid(villages: Villages, lang: str):
    _ = translator(lang)
    runs = villages.runs()
    record = villages.yours.last_record
    with solara.GridFixed(columns=2):
        for make in CHARTS:
            with solara.Column(gap="0px"):
                Chart(make(runs, _))
                if make is factors_option:
                    solara.Text(binding_factor_text(record, _), classes=["ss-binding"], style={"font-weight": "bold", "padding-left": "8px"})


@solara.component
def ExercisesSlot(villages: Villages, lang: str, day_tick: int = 0):
    """Guided exercises (``simulation.teaching.exercise_panel.ExercisePanel``), when that module is present.

    MERGE NOTE: the panel is called as ``ExercisePanel(lang=..., on_apply=..., result=...)``;
    ``on_apply`` takes the settings dict documented in :func:`exercise_settings` and resets the
    villages with them; ``result`` is :func:`exercise_result` (day and each run's daily records).
    ``day_tick`` changes after every step while the panel is installed and its tab is open, so it
    re-renders with the new result; otherwise the slot does not re-render on a step.
    """
    _ = translator(lang)
    with solara.Column(classes=["ss-exercises"]):
        if not EXERCISE_PANEL:
            solara.Info(_("Guided exercises will appear here."))
            return
        from simulation.teaching.exercise_panel import ExercisePanel

        ExercisePanel(lang=lang, on_apply=lambda sides: apply_exercise(exercise_page_state(sides), villages, _),
                      result=exercise_kpis(villages))


@solara.component
def LanguageSwitch(lang: solara.Reactive[str]):
    with solara.ToggleButtonsSingle(value=lang.value, on_value=lang.set, classes=["ss-lang"]):
        for code in LANGUAGES:
            solara.Button(LANGUAGE_NAMES[code], value=code, text=True)


@solara.component
def Page():
    """One set of villages per browser session: ``use_memo`` runs once per session's page."""
    lang = solara.use_reactive(solara.use_memo(lambda: initial_language(os.environ.get("SAFETYSIM_LANG"), _accept_language()), []))
    villages = solara.use_memo(Villages, [])
    _ = translator(lang.value)
    solara.Title(_(TITLE))
    with solara.AppBar():
        LanguageSwitch(lang)
    with solara.Sidebar():
        Controls(villages, lang.value)
    with solara.Column(gap="8px", style={"padding": "4px 12px"}):
        solara.Text(_(TITLE), style={"font-size": "22px", "font-weight": "bold"})
        Controller(villages, lang.value)
        Dashboard(villages, lang.value)


@solara.component
def Dashboard(villages: Villages, lang: str):
    """Everything that changes with a step, in one component: one re-render per step.

    (The parts are plain functions, not components, so a step costs one render pass, not one per part.)
    """
    _ = translator(lang)
    tick.value  # noqa: B018 (subscribe: re-render after every step or reset)
    with solara.lab.Tabs(value=tab):
        with solara.lab.Tab(_("Village")):
            with solara.Row(style={"align-items": "flex-start", "flex-wrap": "wrap"}):
                with solara.Column(style={"flex": "3 1 560px", "min-width": "0"}):
                    NetworkView(villages, lang)
                with solara.Column(style={"flex": "2 1 320px"}):
                    StatusCard(villages, lang)
            ChartsGrid(villages, lang)
        with solara.lab.Tab(_("Exercises")):
            # The panel follows the days only while its tab is open (it re-renders when opened), so a
            # step on the Village tab does not pay for rendering a hidden panel.
            ExercisesSlot(villages, lang, tick.value if EXERCISE_PANEL and tab.value == 1 else 0)
