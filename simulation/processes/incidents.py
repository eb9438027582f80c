"""Incidents: property and public-order incidents at places, fraud, disputes, emergencies.

* Places (routine-activity theory): incidents of each type at place ``j`` are
  ``Poisson(λ_j · (1 − G(g_j)))`` with ``λ_j`` the type's yearly rate per 1,000 residents × the
  community's residents / 1,000 / 365 × the place's share of its community's risk, and
  ``G(g) = e_max · (1 − exp(−g · ln2 / g_half))`` the share prevented by guardianship ``g``.
  The expected counts with and without the volunteers' guardianship are recorded too, so the
  incidents prevented by volunteers are known without noise.
* Fraud: attempts ``Poisson(N · a/365)`` on random residents; success probability
  ``s0 · (1 − literacy) · (older × v) · (1 − f · forewarned)``; a success costs a lognormal loss.
* Disputes: ``Poisson(N · r/365)`` in random residents' communities; a dispute is mediated with
  probability ``min(1, mediators/disputes)`` in its community, where mediators are today's active
  volunteers; it escalates to a public-order incident with probability
  ``e · (1 − m · mediation skill)`` if mediated, ``e`` otherwise.
* Emergencies: ``Poisson(N · r/365)``; first response by a volunteer when an active volunteer with
  emergency skill ≥ threshold is in the community (probability ``min(1, responders/emergencies)``).
Victims and witnesses are drawn from the community's residents and passed to reporting.
"""

from __future__ import annotations

import numpy as np

from simulation import kernels
from simulation.population import AgeGroup, Skill

LN2 = np.log(2.0)
# Plain ints for the hot paths: an Enum member costs a class attribute lookup per use; comparing
# and indexing with the int gives the same arrays.
OLDER, MEDIATION, EMERGENCY = int(AgeGroup.OLDER), int(Skill.MEDIATION), int(Skill.EMERGENCY)


def prevented_share(g: np.ndarray, e_max: float, g_half: float) -> np.ndarray:
    return e_max * -np.expm1(-g * (LN2 / g_half))


def random_residents_of(model, communities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    start = model.community_start[communities]
    size = model.community_size[communities]
    return start + (rng.random(communities.size) * size).astype(np.int64)


def no_events() -> dict[str, list[np.ndarray]]:
    """Today's event locations before any happened: incident places, and rows of fraud victims,
    escalated disputes' parties and people struck by emergencies."""
    return {"places": [], "fraud": [], "disputes": [], "emergencies": []}


def rates_without_guardians(model) -> tuple[tuple[str, np.ndarray, float], ...]:
    """(kind, expected incidents per place and day without any guardian, their total) for property
    and public-order incidents: fixed for a run (place risk and the yearly rates)."""
    inc = model.cfg.incidents
    out = []
    for kind, rate in (("property", inc.property_per_1000_per_year), ("public_order", inc.public_order_per_1000_per_year)):
        lam0 = model.place_base_rate * rate
        out.append((kind, lam0, float(lam0.sum())))
    return tuple(out)


def step(model) -> None:
    model.events_reporters = []  # list of (reporter rows, kind)
    # Where today's events happened (read by the teaching page's network view; no extra draws).
    model.events_today = no_events()
    if kernels.enabled(model):
        _step_compiled(model)
    else:
        _step_numpy(model)


def _step_numpy(model) -> None:
    rng = model.streams["incidents"]
    sw, inc = model.switches, model.cfg.incidents
    pl, t = model.places, model.today
    events = model.events_today

    # -- property and public order at places ----------------------------------------------------
    if sw.property_incidents:
        share = prevented_share(model.guardians, inc.guardian_effect_max, inc.guardian_half)
        share_no_vol = prevented_share(model.guardians - model.volunteer_guardians, inc.guardian_effect_max, inc.guardian_half)
        for kind, lam0, lam0_total in model.per_run("rates_without_guardians", rates_without_guardians):
            lam = lam0 * (1.0 - share)
            counts = rng.poisson(lam)
            total = int(counts.sum())
            t[f"{kind}_incidents"] += total
            t[f"expected_{kind}"] += float(lam.sum())
            if model.recording:
                model.place_expected += lam
            t[f"expected_{kind}_no_volunteers"] += float((lam0 * (1.0 - share_no_vol)).sum())
            t[f"expected_{kind}_no_guardians"] += lam0_total
            if total:
                places = np.repeat(np.arange(pl.n), counts)
                events["places"].append(places)
                if model.recording:
                    np.add.at(model.place_incidents, places, 1)
                    np.add.at(model.community_incidents, pl.community[places], 1)
                witnesses = random_residents_of(model, pl.community[places], rng)
                model.events_reporters.append((witnesses, places))
                model.victims.append(witnesses)
                t["hotspot_incidents"] += int(model.hotspot[places].sum())
                t["expected_hotspot"] += float(lam[model.hotspot].sum())

    pop, n = model.pop, model.pop.n
    # -- fraud ----------------------------------------------------------------------------------
    if sw.fraud:
        k = rng.poisson(n * inc.fraud_attempts_per_person_per_year / 365.0)
        if k:
            target = rng.integers(0, n, k)
            older = pop.age[target] == OLDER
            p = inc.fraud_success_base * (1.0 - pop.fraud_literacy[target].astype(np.float64))
            p = p * np.where(older, inc.fraud_older_vulnerability, 1.0)
            warned = pop.forewarned_until[target] >= model.day
            p = p * np.where(warned, 1.0 - inc.forewarned_effect, 1.0)
            p = np.minimum(p, 1.0)
            hit = target[rng.random(k) < p]
            t["expected_fraud_victims"] += float(p.sum())
            t["expected_fraud_victims_older"] += float(p[older].sum())
            t["fraud_attempts"] += k
            t["fraud_victims"] += hit.size
            t["fraud_attempts_older"] += int(np.count_nonzero(older))
            t["fraud_victims_older"] += int(np.count_nonzero(pop.age[hit] == OLDER))
            if hit.size:
                sigma = 1.0
                loss = rng.lognormal(np.log(max(inc.fraud_loss_mean_cny, 1e-9)) - sigma**2 / 2, sigma, hit.size) if inc.fraud_loss_mean_cny > 0 else np.zeros(hit.size)
                t["fraud_losses_cny"] += float(loss.sum())
                model.victims.append(hit)
                model.events_reporters.append((hit, None))
                events["fraud"].append(hit)

    active = model.active_rows
    act_comm = pop.community[active]
    # -- disputes -------------------------------------------------------------------------------
    if sw.disputes:
        k = rng.poisson(n * inc.disputes_per_1000_per_year / 1000.0 / 365.0)
        if k:
            parties = rng.integers(0, n, k)
            comm = pop.community[parties]
            per_comm = np.bincount(comm, minlength=model.n_communities)
            skill = pop.skills[active, MEDIATION]
            mediators = np.bincount(act_comm, minlength=model.n_communities).astype(np.float64)
            skill_sum = np.bincount(act_comm, weights=skill, minlength=model.n_communities).astype(np.float64)
            mean_skill = np.divide(skill_sum, mediators, out=np.zeros_like(skill_sum), where=mediators > 0)
            p_med = np.minimum(1.0, mediators[comm] / np.maximum(per_comm[comm], 1))
            mediated = rng.random(k) < p_med
            p_esc = inc.dispute_escalation_prob * np.where(mediated, 1.0 - inc.mediation_effect * mean_skill[comm], 1.0)
            escalated = rng.random(k) < p_esc
            t["disputes"] += k
            t["disputes_mediated"] += int(mediated.sum())
            t["disputes_escalated"] += int(escalated.sum())
            t["disputes_mediated_escalated"] += int((escalated & mediated).sum())
            if escalated.any():
                model.events_reporters.append((parties[escalated], None))
                model.victims.append(parties[escalated])
                events["disputes"].append(parties[escalated])

    # -- emergencies ----------------------------------------------------------------------------
    if sw.emergencies:
        k = rng.poisson(n * inc.emergencies_per_1000_per_year / 1000.0 / 365.0)
        if k:
            struck = rng.integers(0, n, k)
            events["emergencies"].append(struck)
            where = pop.community[struck]
            able = pop.skills[active, EMERGENCY] >= inc.first_response_skill
            responders = np.bincount(act_comm[able], minlength=model.n_communities)
            per_comm = np.bincount(where, minlength=model.n_communities)
            p = np.minimum(1.0, responders[where] / np.maximum(per_comm[where], 1))
            t["emergencies"] += k
            t["emergencies_first_response"] += int((rng.random(k) < p).sum())


def place_rates(model) -> np.ndarray:
    """The unguarded rates of :func:`rates_without_guardians` as one array, a row per kind."""
    return np.stack([lam0 for _kind, lam0, _total in model.per_run("rates_without_guardians", rates_without_guardians)])


def _step_compiled(model) -> None:
    """:func:`_step_numpy` with its draws and arithmetic in one compiled call (the same numbers)."""
    from simulation import compiled_processes as cd  # numba is loaded by now (kernels.enabled)

    rng = model.streams["incidents"]
    sw, inc = model.switches, model.cfg.incidents
    pl, t, pop, n = model.places, model.today, model.pop, model.pop.n
    events = model.events_today
    active = model.active_rows
    if sw.property_incidents:
        share = prevented_share(model.guardians, inc.guardian_effect_max, inc.guardian_half)
        share_no_vol = prevented_share(model.guardians - model.volunteer_guardians, inc.guardian_effect_max, inc.guardian_half)
    else:
        share = share_no_vol = model.guardians
    loss_on = inc.fraud_loss_mean_cny > 0
    sigma = 1.0
    loss_mu = float(np.log(max(inc.fraud_loss_mean_cny, 1e-9)) - sigma**2 / 2) if loss_on else 0.0
    act_comm = pop.community[active]
    fs, ints = np.zeros(cd.N_FLOAT_STATS), np.zeros(cd.N_INT_STATS, dtype=np.int64)
    loops = kernels.loops()
    places0, witnesses0, places1, witnesses1, hits, escalated, struck = loops.incidents_day(
        loops.bits_of(rng), model.day, model.recording, fs, ints,
        bool(sw.property_incidents), model.per_run("place_rates", place_rates), share, share_no_vol, pl.community,
        model.hotspot, model.community_start, model.community_size,
        model.place_expected, model.place_incidents, model.community_incidents,
        bool(sw.fraud), n * inc.fraud_attempts_per_person_per_year / 365.0, n, pop.age, OLDER, pop.fraud_literacy,
        pop.forewarned_until, inc.fraud_success_base, inc.fraud_older_vulnerability, 1.0 - inc.forewarned_effect,
        loss_on, loss_mu, sigma,
        bool(sw.disputes), n * inc.disputes_per_1000_per_year / 1000.0 / 365.0, pop.community, act_comm,
        pop.skills[active, MEDIATION], model.n_communities, inc.dispute_escalation_prob, inc.mediation_effect,
        bool(sw.emergencies), n * inc.emergencies_per_1000_per_year / 1000.0 / 365.0, pop.skills[active, EMERGENCY],
        np.float32(inc.first_response_skill))  # numpy compares a float32 column with the threshold as float32
    if sw.property_incidents:
        for kind_index, (kind, places, witnesses) in enumerate((("property", places0, witnesses0), ("public_order", places1, witnesses1))):
            f, i = 3 * kind_index, 2 * kind_index
            t[f"{kind}_incidents"] += int(ints[i])
            t[f"expected_{kind}"] += float(fs[f])
            t[f"expected_{kind}_no_volunteers"] += float(fs[f + 1])
            t[f"expected_{kind}_no_guardians"] += model.per_run("rates_without_guardians", rates_without_guardians)[kind_index][2]
            if places.size:
                events["places"].append(places)
                model.events_reporters.append((witnesses, places))
                model.victims.append(witnesses)
                t["hotspot_incidents"] += int(ints[i + 1])
                t["expected_hotspot"] += float(fs[f + 2])
    if sw.fraud:
        k = int(ints[cd.FRAUD_ATTEMPTS])
        if k:
            t["expected_fraud_victims"] += float(fs[cd.EXP_FRAUD])
            t["expected_fraud_victims_older"] += float(fs[cd.EXP_FRAUD_OLDER])
            t["fraud_attempts"] += k
            t["fraud_victims"] += hits.size
            t["fraud_attempts_older"] += int(ints[cd.FRAUD_ATTEMPTS_OLDER])
            t["fraud_victims_older"] += int(ints[cd.FRAUD_VICTIMS_OLDER])
            if hits.size:
                t["fraud_losses_cny"] += float(fs[cd.FRAUD_LOSSES])
                model.victims.append(hits)
                model.events_reporters.append((hits, None))
                events["fraud"].append(hits)
    if sw.disputes:
        k = int(ints[cd.DISPUTES])
        if k:
            t["disputes"] += k
            t["disputes_mediated"] += int(ints[cd.DISPUTES_MEDIATED])
            t["disputes_escalated"] += int(ints[cd.DISPUTES_ESCALATED])
            t["disputes_mediated_escalated"] += int(ints[cd.DISPUTES_MEDIATED_ESCALATED])
            if escalated.size:
                model.events_reporters.append((escalated, None))
                model.victims.append(escalated.copy())
                events["disputes"].append(escalated.copy())
    if sw.emergencies:
        k = int(ints[cd.EMERGENCIES])
        if k:
            events["emergencies"].append(struck)
            t["emergencies"] += k
            t["emergencies_first_response"] += int(ints[cd.EMERGENCIES_FIRST_RESPONSE])
