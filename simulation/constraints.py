"""Binding constraints: what each lever delivered against what it asked for, and what limits it.

A lever setting is a request ("train 90% of the volunteers each session"); the model delivers
what its capacities allow. When a capacity binds, raising the setting changes nothing — on the
baseline, training coverage 0.1 -> 0.9 moves mean skill only from 0.207 to 0.208, because police
can train only 15 volunteers per officer per session. This module turns the model's asked /
delivered counters into plain sentences naming what binds and what would lift it, so advice
built on the model says so instead of recommending a lever that cannot move.

The counters are accumulated by the processes that cap things, through :func:`note`, over the
recorded days (after the warm-up), in ``model.constraint_counts``. Counting never draws random
numbers, so results are unchanged. :func:`binding_constraints` works on a live model (mid-run:
totals so far), on an end-of-run summary dict carrying a ``constraints`` list (``summary.json``),
or on a flat row with ``constraint_<lever>_asked`` / ``_delivered`` / ``_binds`` keys (the
experiment store).

Constraints counted (lever: asked -> delivered; binds when):

* training: trainee-sessions drawn by coverage -> trained (police capacity
  ``POLICE_TRAINEES_PER_OFFICER`` per officer per session without the cascade); binds when any
  session was capped.
* incentives: extrinsic motivation the budget would buy per volunteer -> the value that counts
  (saturates at ``EXTRINSIC_CAP``); binds when the budget buys more than the cap.
* channels: community-days with police cases -> days the queue was cleared the same day
  (``cases_per_officer_per_day`` per officer); binds when under ``CLEARED_SHARE_OK`` of days clear.
* publicity (targeted anti-fraud warnings only): residents 60+ -> those currently forewarned;
  binds when under ``FOREWARNED_SHARE_OK`` are (active volunteers x warnings per shift limit it).
* recruitment (when drives run): targeted residents not yet informed -> informed by drives; binds
  when the last drive found under ``POOL_EXHAUSTED`` of the first drive's pool (groups exhausted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

EXTRINSIC_CAP = 0.5  # the cap on extrinsic motivation value applied in levers.Incentives.refresh
CLEARED_SHARE_OK = 0.95  # police queue: below this share of community-days cleared, capacity binds; assumption
FOREWARNED_SHARE_OK = 0.8  # targeted warnings: below this share of 60+ forewarned, volunteer time binds; assumption
POOL_EXHAUSTED = 0.05  # recruitment: last drive's pool under this share of the first drive's = exhausted; assumption
FIELDS = ("asked", "delivered", "binds")


@dataclass(frozen=True)
class Constraint:
    """One lever's request against what it delivered.

    ``share`` = delivered / asked (1 when nothing was asked); ``binds`` says whether a capacity
    (not the lever setting) limited the result; ``message`` is one plain sentence naming what
    binds and what would lift it (or that nothing binds).
    """

    lever: str
    asked: float
    delivered: float
    unit: str
    share: float
    binds: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def note(model, key: str, amount: float) -> None:
    """Add ``amount`` to counter ``key`` over the recorded days (no random numbers drawn)."""
    if model.recording:
        counts = model.__dict__.setdefault("constraint_counts", {})
        counts[key] = counts.get(key, 0.0) + float(amount)


def note_last(model, key: str, value: float) -> None:
    """Set counter ``key`` to its latest value (and ``key_first`` to the first) over the recorded days."""
    if model.recording:
        counts = model.__dict__.setdefault("constraint_counts", {})
        counts.setdefault(f"{key}_first", float(value))
        counts[key] = float(value)


def _share(asked: float, delivered: float) -> float:
    return float(delivered / asked) if asked > 0 else 1.0


def _n(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.2g}"


def _make(lever: str, asked: float, delivered: float, unit: str, binds: bool, message: str) -> Constraint:
    return Constraint(lever, float(asked), float(delivered), unit, _share(asked, delivered), bool(binds), message)


def _training(model, c: Mapping[str, float]) -> Constraint | None:
    s = model.cfg.levers.training
    asked, done = c.get("training_asked", 0.0), c.get("training_delivered", 0.0)
    sessions = c.get("training_sessions", 0.0)
    if sessions == 0 and not (model.switches.training and s.coverage > 0 and s.sessions_per_year > 0):
        return None
    k = model.scale
    if asked > done:
        msg = (f"training reached {_n(done * k)} of {_n(asked * k)} volunteer-sessions asked for "
               f"(coverage {s.coverage:g} over {_n(sessions)} sessions): police training capacity binds "
               f"({c.get('trainees_per_officer', 0):g} trainees per officer per session, {model.police.n * k:,.0f} officers); "
               f"the backbone-instructor cascade (levers.training.cascade: true) removes the limit.")  # fmt: skip
        return _make("training", asked * k, done * k, "volunteer-sessions", True, msg)
    msg = f"training reached all {_n(done * k)} volunteer-sessions asked for ({_n(sessions)} sessions); no capacity binds"
    msg += (f", though each cascade level passes on only {model.cfg.skills.cascade_fidelity:g} of the content." if s.cascade else ".")
    return _make("training", asked * k, done * k, "volunteer-sessions", False, msg)


def _incentives(model, c: Mapping[str, float]) -> Constraint | None:
    if model.cfg.levers.incentives.scheme == "none" or "incentives_refreshes" not in c:
        return None
    n = c["incentives_refreshes"]
    asked, done = c.get("incentives_asked", 0.0) / n, c.get("incentives_delivered", 0.0) / n
    if asked > done * (1 + 1e-9):
        msg = (f"incentives: the budget would buy {asked:.3g} of extrinsic motivation per volunteer but its value "
               f"saturates at {EXTRINSIC_CAP:g}: about {100 * (1 - done / asked):.0f}% of the budget buys nothing more; "
               "a smaller budget, or spreading it over a larger team, loses nothing.")  # fmt: skip
        return _make("incentives", asked, done, "motivation value per volunteer", True, msg)
    msg = (f"incentives deliver their full value ({done:.3g} of extrinsic motivation per volunteer, under the "
           f"{EXTRINSIC_CAP:g} saturation); no cap binds, more budget would still add motivation.")  # fmt: skip
    return _make("incentives", asked, done, "motivation value per volunteer", False, msg)


def _channels(model, c: Mapping[str, float]) -> Constraint | None:
    asked, done = c.get("police_days_asked", 0.0), c.get("police_days_delivered", 0.0)
    if asked == 0:
        return None
    share = _share(asked, done)
    per = model.cfg.response.cases_per_officer_per_day
    if share < CLEARED_SHARE_OK:
        msg = (f"reports: the police queue was cleared the same day on only {100 * share:.0f}% of community-days "
               f"({_n(done)} of {_n(asked)}): police case capacity ({per:g} cases per officer per day) binds, so more "
               "reporting channels lengthen response times; volunteers taking routine affairs off the police "
               "(more active volunteers) or more officers lift it.")  # fmt: skip
        return _make("channels", asked, done, "community-days", True, msg)
    msg = (f"reports: the police queue was cleared the same day on {100 * share:.0f}% of community-days; police "
           "case capacity does not bind, so more reporting channels are answered promptly.")
    return _make("channels", asked, done, "community-days", False, msg)


def _publicity(model, c: Mapping[str, float]) -> Constraint | None:
    pub = model.cfg.levers.publicity
    if pub.anti_fraud != "targeted" or not model.switches.levers:
        return None
    pop = model.pop
    older = pop.age == 2  # AgeGroup.OLDER
    asked = float(np.count_nonzero(older)) * model.scale
    done = float(np.count_nonzero(older & (pop.forewarned_until > model.day))) * model.scale
    share = _share(asked, done)
    if share < FOREWARNED_SHARE_OK:
        msg = (f"targeted anti-fraud warnings: {100 * share:.0f}% of residents 60+ are currently forewarned "
               f"({_n(done)} of {_n(asked)}): volunteer time binds (active volunteers x {pub.warnings_per_shift:g} "
               "warnings per shift); more active volunteers, more warnings per shift (levers.publicity.warnings_per_shift) "
               "or longer-lasting warnings lift it.")  # fmt: skip
        return _make("publicity", asked, done, "residents 60+", True, msg)
    msg = f"targeted anti-fraud warnings: {100 * share:.0f}% of residents 60+ are currently forewarned; volunteer time does not bind."
    return _make("publicity", asked, done, "residents 60+", False, msg)


def _recruitment(model, c: Mapping[str, float]) -> Constraint | None:
    if "recruitment_pool" not in c:
        return None
    asked, done = c.get("recruitment_asked", 0.0) * model.scale, c.get("recruitment_delivered", 0.0) * model.scale
    first, last = c.get("recruitment_pool_first", 0.0), c["recruitment_pool"]
    if first > 0 and last < POOL_EXHAUSTED * first:
        msg = (f"recruitment drives informed {_n(done)} targeted residents, but the last drive found only "
               f"{_n(last * model.scale)} still uninformed (first: {_n(first * model.scale)}): the target groups are "
               "exhausted, more drives add nothing; widening levers.recruitment.targets lifts it.")  # fmt: skip
        return _make("recruitment", asked, done, "targeted residents", True, msg)
    msg = (f"recruitment drives informed {_n(done)} of {_n(asked)} targeted residents reached for "
           "(the drive reach); the target groups are not exhausted.")
    return _make("recruitment", asked, done, "targeted residents", False, msg)


BINDING_TEXT: dict[str, tuple[str, str]] = {
    "training": ("police training capacity (15 trainees per officer per session)", "the backbone-instructor cascade (levers.training.cascade)"),
    "incentives": (f"the saturation of extrinsic motivation at {EXTRINSIC_CAP:g}", "a smaller budget (the excess buys nothing) or a larger team"),
    "channels": ("police case capacity", "more active volunteers taking routine affairs, or more officers"),
    "publicity": ("volunteer time for targeted warnings", "more active volunteers or more warnings per shift"),
    "recruitment": ("the size of the target groups (exhausted)", "wider recruitment targets"),
}
"""Lever -> (what binds, what lifts it): for sentences built from stored numbers (no model at hand)."""


def constraint_sentence(lever: str, asked: float, delivered: float, binds: bool, unit: str = "") -> str:
    """A plain sentence from the numbers alone: delivered of asked, and what binds and lifts it."""
    what, lift = BINDING_TEXT.get(lever, ("a capacity", "raising that capacity"))
    head = f"{lever} delivered {_n(delivered)} of {_n(asked)}{' ' + unit if unit else ''} asked for ({100 * _share(asked, delivered):.0f}%)"
    return f"{head}: {what} binds; {lift} lifts it." if binds else f"{head}; nothing binds."


CHECKS = (_training, _incentives, _channels, _publicity, _recruitment)


def binding_constraints(source: Any) -> list[Constraint]:
    """The constraints of a live model (totals so far, also mid-run), or of a summary dict with a
    ``constraints`` list, or of a flat row with ``constraint_<lever>_asked/_delivered/_binds``.

    Levers that ask for nothing (e.g. no drives, incentives ``none``) are left out. From a model,
    the list is in a fixed lever order: training, incentives, channels, publicity, recruitment.
    """
    if isinstance(source, Mapping):
        return _from_mapping(source)
    counts = getattr(source, "constraint_counts", {}) or {}
    return [c for check in CHECKS if (c := check(source, counts)) is not None]


def _from_mapping(data: Mapping[str, Any]) -> list[Constraint]:
    """Rebuild constraints from ``summary.json`` (a ``constraints`` list) or from flat keys."""
    if isinstance(data.get("constraints"), list):
        return [Constraint(**{k: item[k] for k in Constraint.__dataclass_fields__}) for item in data["constraints"]]
    out = []
    levers = [k[len("constraint_"):-len("_asked")] for k in data if k.startswith("constraint_") and k.endswith("_asked")]
    for lever in levers:
        asked, done = float(data[f"constraint_{lever}_asked"]), float(data[f"constraint_{lever}_delivered"])
        binds = bool(data.get(f"constraint_{lever}_binds", False))
        out.append(_make(lever, asked, done, "", binds, constraint_sentence(lever, asked, done, binds)))
    return out


def flat(constraints: list[Constraint] | list[Mapping[str, Any]] | None) -> dict[str, float]:
    """``constraint_<lever>_asked/_delivered/_binds`` numbers for tables (binds as 0/1); accepts
    constraints or their dicts (``RunResult.constraints``)."""
    out: dict[str, float] = {}
    for item in constraints or []:
        c = Constraint(**item) if isinstance(item, Mapping) else item
        out[f"constraint_{c.lever}_asked"] = c.asked
        out[f"constraint_{c.lever}_delivered"] = c.delivered
        out[f"constraint_{c.lever}_binds"] = float(c.binds)
    return out


def format_constraints(constraints: list[Constraint]) -> str:
    """The lines ``safetysim run`` prints after the KPI table."""
    if not constraints:
        return "binding constraints: none of the levers asks for anything capped."
    lines = ["binding constraints (asked -> delivered):"]
    for c in constraints:
        mark = "BINDS" if c.binds else "ok   "
        lines.append(f"  {mark} {c.lever}: {c.message}")
    return "\n".join(lines)
