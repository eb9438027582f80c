"""Deployment: active volunteers, police on patrol and merchant guardians are placed at places.

Every volunteer active today patrols one place of their own community, drawn with weights set by
the allocation rule: ``uniform`` (all places alike), ``risk`` (proportional to place risk — hot
spots), or ``need`` (the concerns on the agenda: places' reported incidents, with under-reported,
mobile-heavy places raised by the dialogue lever's mobile weight).  A volunteer's guardianship is
``0.5 + 0.5·patrol skill`` shifts.  Community officers on street patrol (60%, Hangzhou) spread
over their community's places by risk; recruited merchants guard their own place every day.

The sampling uses one vectorized draw: with place weights normalised to sum to 1 within each
community block, community ``c`` owns the interval ``[c, c+1)`` of the global cumulative sum, and
a volunteer of community ``c`` lands at ``searchsorted(cumsum, c + u)``.
"""

from __future__ import annotations

import numpy as np

from simulation.population import Skill

PATROL = int(Skill.PATROL)  # a plain int: the same column, without an Enum lookup per day


def place_weights(model, rule: str) -> np.ndarray:
    """Relative patrol weights of places under ``rule``, times the evaluation's re-targeting."""
    pl = model.places
    return _rule_weights(model, rule) * (1.0 + model.evaluation_weight)


def _rule_weights(model, rule: str) -> np.ndarray:
    pl = model.places
    if rule == "uniform":
        return np.ones(pl.n, dtype=np.float64)
    if rule == "risk":
        return pl.risk.astype(np.float64)
    # need: the agenda — what residents report (learned hot spots), plus the concerns of the mobile
    # population that dialogue brings onto the agenda.
    mobile_weight = model.levers["dialogue"].settings.mobile_weight
    reported = model.place_reported_ema.astype(np.float64)
    per_comm = reported.reshape(-1, pl.per_community)
    reported_norm = (per_comm / np.maximum(per_comm.mean(axis=1, keepdims=True), 1e-9)).reshape(-1)
    return 0.3 + 0.7 * reported_norm * (1.0 + mobile_weight * (pl.mobile_use - 1.0))


def _cumulative_weights(model, rule: str) -> np.ndarray:
    """Each community's patrol weights normalised to 1, cumulated over all places (community ``c``'s
    places span ``c .. c + 1``).  Under the uniform and risk rules they change only when an
    evaluation cycle re-targets effort, so they are kept per cycle (the same numbers)."""
    if rule == "need":  # follows the reported incidents: new every day
        return _cumulate(model, rule)
    return model.per_run(f"patrol_weights_{rule}_cycle_{model.evaluation_cycles}", lambda m: _cumulate(m, rule))


def _cumulate(model, rule: str) -> np.ndarray:
    pl = model.places
    w = place_weights(model, rule).reshape(-1, pl.per_community)
    w = w / w.sum(axis=1, keepdims=True)
    return np.cumsum(w.reshape(-1))


def police_guardians(model) -> np.ndarray:
    """Police on patrol at each place: the community's officers on the street, spread by risk
    within the community (expected presence).  Officers and risk do not change during a run."""
    pl, inc = model.places, model.cfg.incidents
    per_comm = pl.risk.reshape(-1, pl.per_community)
    risk_share = (per_comm / per_comm.sum(axis=1, keepdims=True)).reshape(-1)
    on_patrol = model.officers_per_community[pl.community] * inc.police_patrol_share
    return inc.police_guardian_weight * on_patrol * risk_share


def step(model) -> None:
    pl = model.places
    model.guardians[:] = 0.0
    model.volunteer_guardians[:] = 0.0
    if not model.switches.deployment:
        return
    rule = model.levers["allocation"].settings.rule if model.switches.levers else "uniform"
    active = model.active_rows
    if active.size:
        cum = _cumulative_weights(model, rule)
        comm = model.pop.community[active]
        u = model.streams["deployment"].random(active.size)
        place = np.searchsorted(cum, comm + u, side="right")
        lo = comm * pl.per_community
        place = np.minimum(np.maximum(place, lo), lo + pl.per_community - 1)  # = np.clip, without its wrapper's cost
        strength = 0.5 + 0.5 * model.pop.skills[active, PATROL]
        model.volunteer_guardians += np.bincount(place, weights=strength, minlength=pl.n)
        model.active_place = place
    inc = model.cfg.incidents
    model.guardians += model.per_run("police_guardians", police_guardians)
    model.guardians += inc.merchant_guardian_weight * model.merchant_guardians_at_place
    model.guardians += model.volunteer_guardians


def warn_residents(model) -> None:
    """Targeted anti-fraud warnings: active volunteers warn residents of their community in person,
    seeking out the most vulnerable (60+ first).  A warning protects for ``forewarned_days``."""
    pub = model.levers["publicity"].settings
    if not (model.switches.levers and pub.anti_fraud == "targeted") or model.active_rows.size == 0:
        return
    pop, rng, inc = model.pop, model.streams["deployment"], model.cfg.incidents
    active = model.active_rows
    per_shift = pub.warnings_per_shift * (0.5 + 0.5 * pop.skills[active, Skill.ANTI_FRAUD])
    k = rng.poisson(per_shift)
    comm = np.repeat(pop.community[active], k)
    if comm.size == 0:
        return
    start, size = model.community_start[comm], model.community_size[comm]
    visited = start + (rng.random(comm.size) * size).astype(np.int64)
    seek = np.where(pop.age[visited] == 2, 1.0, 0.25)  # 2 = AgeGroup.OLDER
    warned = visited[rng.random(visited.size) < seek]
    pop.forewarned_until[warned] = model.day + inc.forewarned_days
    pop.fraud_literacy[warned] += np.float32(0.05) * (1 - pop.fraud_literacy[warned])
    model.today["residents_warned"] += warned.size
