"""Plain sentences the teaching page says about its runs, kept free of the page so they can be tested.

* :func:`compare_sentence` — how the student's village differs from the reference village run with
  the same seed (common random numbers), e.g. "Your settings: 12% fewer incidents so far,
  35,000 CNY more spent.";
* :func:`binding_factor_text` — which of the five restrictive factors binds (is lowest) today;
* :func:`records_csv` — the daily records of one or two villages as CSV, for the Download button.

Every text goes through ``_`` (a translator from :mod:`simulation.teaching.i18n`) with a constant
English message id, so the Chinese catalogue can translate it.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Callable, Iterable, Mapping

from simulation.teaching.i18n import N_

Translate = Callable[[str], str]

# The five restrictive factors of the study, as the model records them; the words say what a low
# value means, so "binding" reads as a cause a class can act on.
FACTOR_NAMES = {
    "factor_subject": N_("subject"),
    "factor_culture": N_("culture"),
    "factor_system": N_("system"),
    "factor_allocation": N_("resource allocation"),
    "factor_strategy": N_("strategy"),
}
FACTOR_MEANINGS = {
    "factor_subject": N_("too few residents join as volunteers"),
    "factor_culture": N_("participation awareness is weakest"),
    "factor_system": N_("reporting channels and dialogue are weakest"),
    "factor_allocation": N_("patrols are not where they are needed"),
    "factor_strategy": N_("incentives do not match what moves volunteers"),
}


def totals(records: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Incidents, fraud victims and spending summed over the recorded days."""
    out = {"days": 0, "incidents": 0.0, "fraud_victims": 0.0, "spending_cny": 0.0}
    for r in records:
        out["days"] += 1
        for key in ("incidents", "fraud_victims", "spending_cny"):
            out[key] += float(r.get(key, 0.0))
    return out


def _incidents_clause(ref: float, yours: float, _: Translate) -> str:
    if ref <= 0:
        if yours <= 0:
            return _("no incidents in either village so far")
        return _("{n} more incidents so far").format(n=f"{yours:,.0f}")
    pct = round(100.0 * (yours - ref) / ref)
    if pct < 0:
        return _("{pct}% fewer incidents so far").format(pct=-pct)
    if pct > 0:
        return _("{pct}% more incidents so far").format(pct=pct)
    return _("about as many incidents so far")


def _spending_clause(ref: float, yours: float, _: Translate) -> str:
    diff = round(yours - ref)
    if diff > 0:
        return _("{cny} CNY more spent").format(cny=f"{diff:,}")
    if diff < 0:
        return _("{cny} CNY less spent").format(cny=f"{-diff:,}")
    return _("the same amount spent")


def compare_sentence(reference: Iterable[Mapping[str, float]], yours: Iterable[Mapping[str, float]], _: Translate = N_) -> str:
    """One plain sentence on how the student's village differs from the reference so far.

    Both villages run with the same seed, so a difference comes from the settings, not from luck
    in the draws.  Incidents are compared in percent of the reference, spending in CNY.
    """
    ref, you = totals(reference), totals(yours)
    if you["days"] == 0 and ref["days"] == 0:
        return _("Press Step or Play to run both villages side by side.")
    return _("Your settings: {incidents}, {spending}.").format(
        incidents=_incidents_clause(ref["incidents"], you["incidents"], _),
        spending=_spending_clause(ref["spending_cny"], you["spending_cny"], _),
    )


def binding_factor(record: Mapping[str, float] | None) -> str | None:
    """The key of the lowest of the five factors in ``record`` (None before the first day)."""
    if not record:
        return None
    values = {k: float(record[k]) for k in FACTOR_NAMES if k in record and not math.isnan(float(record[k]))}
    if not values:
        return None
    return min(values, key=lambda k: (values[k], list(FACTOR_NAMES).index(k)))


def binding_factor_text(record: Mapping[str, float] | None, _: Translate = N_) -> str:
    """E.g. "Binding factor: culture — participation awareness is weakest"."""
    key = binding_factor(record)
    if key is None:
        return _("Binding factor: shown after the first day.")
    return _("Binding factor: {factor} — {meaning}").format(factor=_(FACTOR_NAMES[key]), meaning=_(FACTOR_MEANINGS[key]))


def records_csv(runs: Mapping[str, list[Mapping[str, float]]]) -> str:
    """Daily records of each named run as one CSV table: a ``run`` column, then every recorded field."""
    fields: list[str] = []
    for records in runs.values():
        for r in records:
            fields.extend(k for k in r if k not in fields)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["run", *fields], extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for name, records in runs.items():
        for r in records:
            writer.writerow({"run": name, **r})
    return out.getvalue()
