"""Publicity and culture: who learns of the programme, and how civic awareness grows.

Bass-type diffusion on the network: an uninformed resident becomes informed on a day with
probability ``1 - exp(-(p + c·r·[campaign day] + q·f)/365)``, where ``p`` is the background media
coefficient, ``c`` the campaign hazard and ``r`` the reach of the campaign's outlet mix for their
age group on campaign days (publicity lever), ``q`` the word-of-mouth coefficient
and ``f`` the informed share of their neighbours.  Informed residents' awareness moves toward a
ceiling (higher with role models).  Mass anti-fraud messages add a little fraud literacy to those
the campaign reaches.
"""

from __future__ import annotations

import numpy as np

from simulation import kernels

from simulation.processes.participation import thinning_draw

BLOCK = 1 << 16  # rows per block for population-wide draws (the same stream as one draw; bounds temporaries)


def drawing_chance(model) -> float:
    """The daily chance at which residents are drawn (the hazard's bound; fixed for a run)."""
    d, pub = model.cfg.diffusion, model.levers["publicity"]
    bound = d.p_media + d.campaign_hazard_per_year * max(float(np.max(pub.reach_by_age)), 1.0) + d.q_word_of_mouth
    return -np.expm1(-bound / 365.0)


def step(model) -> None:
    pop, d, sw = model.pop, model.cfg.diffusion, model.switches
    pub = model.levers["publicity"]
    rng = model.streams["publicity"]
    campaign = sw.publicity and sw.levers and pub.campaign_today

    if sw.publicity or sw.word_of_mouth:
        # By thinning (see participation.thinning_draw): the hazard never exceeds
        # p + c·max(reach) + q (the informed share of neighbours is at most 1), so residents are
        # drawn at that bound and each uninformed one drawn is kept with its own probability
        # over the bound — the same chance per resident as a draw for everyone, with work only
        # for the few drawn.  The bound ignores switches and campaign days, so scenarios that
        # differ in them draw the same residents with the same numbers (common random numbers).
        p_max = model.per_run("publicity_drawing_chance", drawing_chance)
        compiled = kernels.thinning_in_loops(model, p_max)
        if compiled:  # the draw at the bound, the filter and the hazard in one call (the same numbers)
            loops = kernels.loops()
            rows, hazard, k = loops.learning_candidates(
                loops.bits_of(rng), pop.n, min(p_max, 1.0), pop.informed, bool(sw.publicity), d.p_media, bool(campaign),
                np.float32(d.campaign_hazard_per_year), pub.reach_by_age, pop.age, bool(sw.word_of_mouth),
                d.q_word_of_mouth, model.network.degree, model.nb_informed)
            if k >= 0:  # numpy's tail shuffle, after the compiled count: numpy goes on
                rows = np.sort(rng.choice(pop.n, size=k, replace=False, shuffle=False))
        else:
            rows = thinning_draw(rng, pop.n, p_max)
        if not compiled or k >= 0:
            rows = rows[~pop.informed[rows]]
            hazard = np.zeros(rows.size, dtype=np.float64)
            if sw.publicity:
                # Media: background exposure p every day; on campaign days (a share `intensity` of
                # days) also the campaign hazard times the outlet mix's reach of the age group, so
                # the yearly average is p + c·reach·intensity.
                hazard += d.p_media
                if campaign:
                    hazard += d.campaign_hazard_per_year * pub.reach_by_age[pop.age[rows]]
            if sw.word_of_mouth:
                deg = np.maximum(model.network.degree[rows], 1)
                hazard += d.q_word_of_mouth * model.nb_informed[rows] / deg
        new = rows[rng.random(rows.size) * p_max < -np.expm1(-hazard / 365.0)]
        if new.size:
            pop.informed[new] = True
            model.network.add_to_neighbour_counts(model.nb_informed, new, 1, kernels.loops_for(model))
            model.today["newly_informed"] += new.size

    if sw.publicity:
        ceiling = d.awareness_ceiling + (d.role_model_ceiling_bonus if pub.settings.role_models and sw.levers else 0.0)
        rate = np.float32(d.awareness_gain_per_year / 365.0)
        # awareness += rate·(ceiling − awareness) for the informed, in place
        if kernels.enabled(model):
            kernels.loops().awareness_step(pop.awareness, pop.informed, np.float32(min(ceiling, 1.0)), rate)
        else:
            step_up = np.subtract(np.float32(min(ceiling, 1.0)), pop.awareness, out=model.scratch)
            step_up *= rate
            step_up *= pop.informed  # 0 for the uninformed (adding ±0 leaves them unchanged)
            pop.awareness += step_up

    if campaign and pub.settings.anti_fraud == "mass" and model.cfg.incidents.mass_message_literacy_gain > 0:
        # Everyone is reached with probability min(reach of their age group × 0.5, 1); drawn in
        # blocks of rows (the same random stream as one draw for all) to bound temporaries.
        reach = np.minimum(pub.reach_by_age * 0.5, 1.0)
        gain = np.float32(model.cfg.incidents.mass_message_literacy_gain)
        lit = pop.fraud_literacy
        for lo in range(0, pop.n, BLOCK):
            hi = min(lo + BLOCK, pop.n)
            reached = rng.random(hi - lo) < reach[pop.age[lo:hi]]
            part = lit[lo:hi]
            gained = gain * (1 - part)
            gained *= reached
            part += gained
