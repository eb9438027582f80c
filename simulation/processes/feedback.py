"""Feedback: satisfaction and trust respond to what happens; evaluation re-targets effort.

* Every day satisfaction moves at ``satisfaction_adjust_per_year/365`` toward a target:
  the initial mean, minus the mobile population's gap (closed by the dialogue lever's mobile
  weight), plus the visible volunteer presence in one's community (relative to half coverage), plus the voice dispersed
  residents get on the agenda, minus the community's recent incident level relative to the world.
* Victims lose ``victim_satisfaction_drop`` of satisfaction and half as much trust; reporters gain
  a little when satisfied with the response and lose more when not (more with the closed loop).
* Trust moves toward satisfaction at ``trust_adjust_per_year/365``.
* An evaluation cycle (evaluation lever): satisfaction-led evaluation raises the patrol weight of
  the least satisfied communities' places; third-party evaluation re-targets toward measured risk;
  both recognise volunteers (a motivation bonus).
"""

from __future__ import annotations

import numpy as np

from simulation import kernels, metrics


def _signals_compiled(model) -> np.ndarray | None:
    """The EMAs and the satisfaction targets of :func:`step` in one compiled call (the same
    numbers); None when feedback is switched off (the EMAs of presence and reports still move)."""
    pop, s = model.pop, model.cfg.satisfaction
    lv = model.levers if model.switches.levers else None
    mobile_weight = lv["dialogue"].settings.mobile_weight if lv else 0.2
    dispersed = lv["dialogue"].settings.dispersed_weight if lv else 0.4
    mobile_term = s.mobile_satisfaction_gap * (1.0 - mobile_weight) / 0.8 - s.voice_weight * (mobile_weight - 0.2)
    victims = model.victims
    victim_comm = pop.community[np.concatenate(victims) if len(victims) > 1 else victims[0]] if victims else pop.community[:0]
    table = np.empty(2 * model.n_communities, dtype=np.float32)
    kernels.loops().feedback_signals(
        pop.community[model.active_rows], model.places.per_community, model.presence_ema, model.place_reported_ema,
        model.place_reported_recent, bool(model.switches.feedback), victim_comm, model.incident_ema,
        model.community_size, 1.0 / 30.0, s.presence_weight, s.initial_satisfaction_mean + s.voice_weight * (dispersed - 0.4),
        mobile_term, table)
    return table if model.switches.feedback else None


def step(model) -> None:
    pop, s = model.pop, model.cfg.satisfaction
    if kernels.enabled(model):
        table = _signals_compiled(model)
        if table is None:
            model.victims = []
            return
        lv = model.levers if model.switches.levers else None
        rate = np.float32(s.satisfaction_adjust_per_year / 365.0)
        kernels.loops().satisfaction_step(pop.satisfaction, table, model.community_mobile, rate)
    else:
        lv = _signals_and_satisfaction_numpy(model)
        if lv is False:
            return
    _victims_reporters_and_trust(model, lv)


def _signals_and_satisfaction_numpy(model):
    """The numpy path of :func:`step` up to the satisfaction step; False when feedback is off."""
    pop, s = model.pop, model.cfg.satisfaction
    pl = model.places
    # Smoothed community signals (30-day EMAs) used by satisfaction and need-based allocation.
    a = 1.0 / 30.0
    shifts = np.bincount(pop.community[model.active_rows], minlength=model.n_communities)
    model.presence_ema += a * (np.minimum(shifts / pl.per_community, 1.0) - model.presence_ema)
    model.place_reported_ema += a * (model.place_reported_recent * 30.0 - model.place_reported_ema)
    model.place_reported_recent[:] = 0.0
    if not model.switches.feedback:
        model.victims = []
        return False

    today_inc = np.zeros(model.n_communities)
    for rows in model.victims:
        np.add.at(today_inc, pop.community[rows], 1.0)
    model.incident_ema += a * (today_inc * 365.0 / model.community_size - model.incident_ema)
    ema = model.incident_ema
    rel = ema / max(float(np.add.reduce(ema)) / ema.size, 1e-9) - 1.0  # = ema.mean(): the same sum, the same division

    lv = model.levers if model.switches.levers else None
    mobile_weight = lv["dialogue"].settings.mobile_weight if lv else 0.2
    dispersed = lv["dialogue"].settings.dispersed_weight if lv else 0.4
    comm_term = s.presence_weight * (model.presence_ema - 0.5) - 0.05 * np.minimum(np.maximum(rel, -1), 3)  # clip
    mobile_term = s.mobile_satisfaction_gap * (1.0 - mobile_weight) / 0.8 - s.voice_weight * (mobile_weight - 0.2)
    # The target depends only on (community, mobile): a table of 2 values per community, read
    # through the model's static community×2+mobile code (no population-size float64 temporaries).
    base = (s.initial_satisfaction_mean + s.voice_weight * (dispersed - 0.4)) + comm_term
    table = np.empty((model.n_communities, 2), dtype=np.float64)
    table[:, 0] = base - 0.0
    table[:, 1] = base - mobile_term
    table = np.minimum(np.maximum(table, 0), 1).astype(np.float32).reshape(-1)  # clip to [0, 1]
    rate = np.float32(s.satisfaction_adjust_per_year / 365.0)
    step_to = np.take(table, model.community_mobile, out=model.scratch, mode="clip")  # target, float32
    step_to -= pop.satisfaction
    step_to *= rate
    pop.satisfaction += step_to
    return lv


def _victims_reporters_and_trust(model, lv) -> None:
    """Victims and reporters' experiences, then trust follows satisfaction (both clipped)."""
    pop, s = model.pop, model.cfg.satisfaction
    for rows in model.victims:
        pop.satisfaction[rows] -= np.float32(s.victim_satisfaction_drop)
        pop.trust[rows] -= np.float32(s.victim_satisfaction_drop / 2)
    model.victims = []
    reporters, satisfied = model.reporters_today
    if reporters.size:
        closed = bool(lv and lv["channels"].settings.closed_loop)
        good = reporters[satisfied]
        bad = reporters[~satisfied]
        pop.trust[good] += np.float32(0.04 if closed else 0.02)
        pop.satisfaction[good] += np.float32(0.02)
        pop.trust[bad] -= np.float32(0.1)
        pop.satisfaction[bad] -= np.float32(0.05)
    trust_rate = np.float32(s.trust_adjust_per_year / 365.0)
    if kernels.enabled(model):
        kernels.loops().trust_step_and_clip(pop.satisfaction, pop.trust, trust_rate)
        return
    gap = np.subtract(pop.satisfaction, pop.trust, out=model.scratch)
    gap *= trust_rate
    pop.trust += gap
    np.clip(pop.satisfaction, 0, 1, out=pop.satisfaction)
    np.clip(pop.trust, 0, 1, out=pop.trust)


def evaluation_cycle(model, satisfaction_led: bool, third_party: bool) -> None:
    """Re-target patrol effort and recognise volunteers after an evaluation round."""
    pop, pl = model.pop, model.places
    weight = np.zeros(pl.n, dtype=np.float64)
    if satisfaction_led:
        sat = metrics.community_sums(model, pop.satisfaction) / model.community_size
        gap = np.clip(sat.mean() - sat, 0, None) / max(float(sat.std()), 1e-6)
        weight += 0.5 * gap[pl.community]
    if third_party:
        weight += 0.5 * (pl.risk - 1.0).clip(0, None)
    model.evaluation_weight[:] = weight
    model.evaluation_cycles += 1  # patrol weights are re-derived from the new evaluation weights
    model.levers["evaluation"].recognition = 0.05 * satisfaction_led + 0.03 * third_party
