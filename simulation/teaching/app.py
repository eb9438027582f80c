"""The interactive teaching page: Mesa's SolaraViz over the classroom village.

Start it with ``safetysim app`` (or ``solara run simulation/teaching/app.py``).  Students move the levers in
the sidebar (or pick a path preset), press Reset to build a new village with those settings, and
Step or Play to watch participation, safety and satisfaction respond; the five-factor chart shows
which restrictive factor binds.

What is where:

* the controls and how they become a model: :mod:`simulation.teaching.controls` (testable without a browser);
* this module: the page — the network view and the charts, each a small component of the model.

Every browser session gets its own model (``Page`` creates one per session), so two tabs never
share state.  The model never imports this module.
"""

from __future__ import annotations

import weakref

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import solara  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402

from simulation.metrics import active_count  # noqa: E402
from simulation.population import VolunteerState  # noqa: E402
from simulation.teaching.controls import PRESET_LABELS, TeachingModel, mesa_model_params  # noqa: E402

TITLE = "Community safety governance — classroom"

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
FACTOR_LABELS = {
    "factor_subject": "Subject\n(who joins)",
    "factor_culture": "Culture",
    "factor_system": "System\n(channels)",
    "factor_allocation": "Resource\nallocation",
    "factor_strategy": "Strategy\n(incentives)",
}


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


def network_layout(model: TeachingModel) -> dict:
    """Positions of residents, places, police and organizations; communities on a grid.

    Residents of a community are laid out by a seeded spring layout of their ties inside the
    community; the layout has its own random generator, so drawing never changes the model's draws.
    """
    if model in _layouts:
        return _layouts[model]
    net, pop = model.network, model.pop
    n_comm = model.n_communities
    cols = int(np.ceil(np.sqrt(n_comm)))
    centres = np.array([[(c % cols) * 3.0, -(c // cols) * 3.0] for c in range(n_comm)])
    pos = np.zeros((pop.n, 2))
    rows_of = [np.arange(model.community_start[c], model.community_start[c] + model.community_size[c]) for c in range(n_comm)]
    rng = np.random.default_rng(model.seed_value)  # the layout's own generator, not the model's
    for c, rows in enumerate(rows_of):
        lo, hi = rows[0], rows[-1] + 1
        src = np.repeat(np.arange(lo, hi), np.diff(net.indptr[lo:hi + 1]))
        dst = net.indices[net.indptr[lo]:net.indptr[hi]]
        inside = (dst >= lo) & (dst < hi) & (dst > src)
        xy = force_layout(rows.size, src[inside] - lo, dst[inside] - lo, rng)
        pos[rows] = centres[c] + xy * 1.2
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
    # Ties, each once.
    src = np.repeat(np.arange(pop.n), np.diff(net.indptr))
    keep = src < net.indices
    segments = np.stack([pos[src[keep]], pos[net.indices[keep]]], axis=1)
    layout = {"residents": pos, "places": place_pos, "police": police_pos, "orgs": org_pos, "ties": segments}
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


def network_figure(model: TeachingModel) -> Figure:
    lay = network_layout(model)
    fig = Figure(figsize=(6.4, 5.2), dpi=90)
    ax = fig.subplots()
    ax.add_collection(LineCollection(lay["ties"], colors="#999999", linewidths=0.3, alpha=0.35, zorder=1))
    status = volunteer_status(model)
    pos = lay["residents"]
    for code, key, size in ((0, "resident", 8), (3, "lapsed", 18), (2, "inactive", 18), (1, "active", 22)):
        sel = status == code
        ax.scatter(pos[sel, 0], pos[sel, 1], s=size, c=COLOURS[key], edgecolors="none", zorder=2)
    ax.scatter(lay["places"][:, 0], lay["places"][:, 1], s=40, marker="s", facecolors="white", edgecolors=COLOURS["place"], linewidths=1.0, zorder=3)
    ax.scatter(lay["orgs"][:, 0], lay["orgs"][:, 1], s=55, marker="D", c=COLOURS["organization"], edgecolors="black", linewidths=0.5, zorder=3)
    ax.scatter(lay["police"][:, 0], lay["police"][:, 1], s=80, marker="^", c=COLOURS["police"], edgecolors="black", linewidths=0.5, zorder=4)
    # Incidents of the day.
    places = np.unique(_today(model, "places"))
    if places.size:
        ax.scatter(lay["places"][places, 0], lay["places"][places, 1], s=170, marker="*", c=COLOURS["incident"], edgecolors="black", linewidths=0.5, zorder=5)
    for kind, marker in (("fraud", "o"), ("disputes", "o"), ("emergencies", "P")):
        rows = np.unique(_today(model, kind))
        if rows.size:
            ax.scatter(pos[rows, 0], pos[rows, 1], s=90, marker=marker, facecolors="none" if marker == "o" else COLOURS["incident"],
                       edgecolors=COLOURS["incident"], linewidths=1.4, zorder=5)
    handles = [
        Line2D([], [], ls="", marker="o", color=COLOURS["resident"], label="resident"),
        Line2D([], [], ls="", marker="o", color=COLOURS["active"], label="volunteer, active"),
        Line2D([], [], ls="", marker="o", color=COLOURS["inactive"], label="volunteer, inactive"),
        Line2D([], [], ls="", marker="o", color=COLOURS["lapsed"], label="volunteer, lapsed"),
        Line2D([], [], ls="", marker="^", color=COLOURS["police"], markeredgecolor="black", label="police officer"),
        Line2D([], [], ls="", marker="D", color=COLOURS["organization"], markeredgecolor="black", label="organization"),
        Line2D([], [], ls="", marker="s", markerfacecolor="white", markeredgecolor=COLOURS["place"], label="public place"),
        Line2D([], [], ls="", marker="*", color=COLOURS["incident"], markersize=11, label="incident today"),
        Line2D([], [], ls="", marker="o", markerfacecolor="none", markeredgecolor=COLOURS["incident"], label="fraud victim / dispute today"),
        Line2D([], [], ls="", marker="P", color=COLOURS["incident"], label="emergency today"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    ax.set_title(f"The village's network, day {model.steps}", fontsize=10)
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.axis("off")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------------
# Charts over the recorded days
# ------------------------------------------------------------------------------------------------
def _series(model: TeachingModel, key: str) -> np.ndarray:
    return np.array([r.get(key, np.nan) for r in model.records], dtype=float)


def _line_chart(model: TeachingModel, title: str, lines: list[tuple[str, np.ndarray]], ylabel: str, ylim=None) -> Figure:
    fig = Figure(figsize=(5.0, 3.0), dpi=90)
    ax = fig.subplots()
    days = np.arange(1, len(model.records) + 1)
    for label, values in lines:
        ax.plot(days, values, label=label, lw=1.6)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("day")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, max(model.cfg.run.days, 1))
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    if lines and len(model.records):
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def _cumulative_per_1000(model: TeachingModel, key: str) -> np.ndarray:
    return np.cumsum(_series(model, key)) / model.real_residents * 1000.0


def incidents_figure(model: TeachingModel) -> Figure:
    return _line_chart(model, "Incidents by type (cumulative)", [
        ("property", _cumulative_per_1000(model, "property_incidents")),
        ("public order", _cumulative_per_1000(model, "public_order_incidents")),
        ("disputes escalated", _cumulative_per_1000(model, "disputes_escalated")),
        ("emergencies", _cumulative_per_1000(model, "emergencies")),
    ], "per 1,000 residents")


def volunteers_figure(model: TeachingModel) -> Figure:
    return _line_chart(model, "Volunteers", [
        ("registered", _series(model, "registered_volunteers")),
        ("active", _series(model, "active_volunteers")),
        ("on duty today", _series(model, "volunteers_on_duty")),
    ], "people")


def fraud_figure(model: TeachingModel) -> Figure:
    return _line_chart(model, "Fraud victimisation (cumulative)", [
        ("victims", _cumulative_per_1000(model, "fraud_victims")),
        ("victims aged 60+", _cumulative_per_1000(model, "fraud_victims_older")),
    ], "per 1,000 residents")


def satisfaction_figure(model: TeachingModel) -> Figure:
    return _line_chart(model, "Satisfaction and trust", [
        ("satisfaction, all", _series(model, "satisfaction")),
        ("satisfaction, mobile population", _series(model, "mobile_satisfaction")),
        ("trust in police", _series(model, "trust")),
    ], "0-1", ylim=(0, 1))


def spending_figure(model: TeachingModel) -> Figure:
    names = list(model.levers)
    lines = []
    for name in names:
        spent = np.cumsum(_series(model, f"cost_{name}")) / 1000.0
        if spent.size and spent[-1] > 0:
            lines.append((name.replace("_", " "), spent))
    return _line_chart(model, "Spending by lever (cumulative)", lines, "thousand CNY")


def factors_figure(model: TeachingModel) -> Figure:
    fig = Figure(figsize=(5.0, 3.0), dpi=90)
    ax = fig.subplots()
    last = model.last_record or {}
    keys = list(FACTOR_LABELS)
    values = [float(last.get(k, np.nan)) for k in keys]
    binding = int(np.nanargmin(values)) if not all(np.isnan(values)) else -1
    colours = [COLOURS["incident"] if i == binding else "#0072b2" for i in range(len(keys))]
    ax.bar(range(len(keys)), values, color=colours)
    ax.set_xticks(range(len(keys)), [FACTOR_LABELS[k] for k in keys], fontsize=7)
    ax.set_ylim(0, 1)
    ax.set_ylabel("index (1 = not restrictive)")
    ax.set_title("The five restrictive factors (lowest binds)", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------------
# Components (functions of the model; SolaraViz re-renders them after every step)
# ------------------------------------------------------------------------------------------------
def _figure(make):
    def component(model: TeachingModel):
        fig = make(model)
        return solara.FigureMatplotlib(fig, format="png", bbox_inches="tight")

    component.__name__ = make.__name__.replace("_figure", "").title() + "View"
    return component


NetworkView = _figure(network_figure)
IncidentsChart = _figure(incidents_figure)
VolunteersChart = _figure(volunteers_figure)
FraudChart = _figure(fraud_figure)
SatisfactionChart = _figure(satisfaction_figure)
SpendingChart = _figure(spending_figure)
FactorsChart = _figure(factors_figure)


def StatusCard(model: TeachingModel):
    """Day, key numbers and the settings in effect — plain text the test and the class can read."""
    records = model.records
    vols = int(model.registered_rows.size * model.scale)
    active = int(active_count(model) * model.scale)
    spent = sum(r.get("spending_cny", 0.0) for r in records)
    with solara.Column(gap="4px", style={"padding": "8px", "font-size": "14px"}) as card:
        solara.Markdown(f"### Day {model.steps} of {model.cfg.run.days}", style={"margin": "0"})
        solara.Text(f"Preset: {PRESET_LABELS[model.preset]} · seed {model.seed_value} · {model.real_residents:,.0f} residents")
        if model.input_warning:
            solara.Warning(model.input_warning)
        solara.Text(f"Registered volunteers: {vols:,}", classes=["ss-registered"])
        solara.Text(f"Active volunteers: {active:,}", classes=["ss-active"])
        solara.Text(f"Incidents so far: {sum(r['incidents'] for r in records):,.0f}", classes=["ss-incidents"])
        solara.Text(f"Fraud victims so far: {sum(r['fraud_victims'] for r in records):,.0f}", classes=["ss-fraud"])
        solara.Text(f"Satisfaction: {float(model.pop.satisfaction.mean()):.3f}", classes=["ss-satisfaction"])
        solara.Text(f"Spending so far: {spent:,.0f} CNY", classes=["ss-spending"])
        if model.settings_in_effect:
            rows = "\n".join(f"| {label} | {value} | {source} |" for label, value, source in model.settings_in_effect)
            solara.Markdown(f"**Settings that differ from the status quo** ({len(model.settings_in_effect)})")
            with solara.Column(style={"max-height": "96px", "overflow-y": "auto", "font-size": "12px"}):
                solara.Markdown("| setting | value | from |\n|:---|:---|:---|\n" + rows)
        else:
            solara.Text("All levers at the status quo.")
    return card


COMPONENTS = [NetworkView, StatusCard, IncidentsChart, VolunteersChart, FraudChart, SatisfactionChart, SpendingChart, FactorsChart]


@solara.component
def Page():
    """One model per browser session: ``use_memo`` runs once per session's page instance."""
    model = solara.use_memo(lambda: TeachingModel(), [])
    params = solara.use_memo(mesa_model_params, [])
    return SolaraViz(model, components=COMPONENTS, model_params=params, name=TITLE, play_interval=150)
