"""Reporting and police response.

Each incident has a reporter (the victim, or a resident of the community as witness) who reports
with probability ``clip(b · c · (1 + t·(trust − 0.5)) · (1 − μ·mobile·(1 − w)/0.8), 0, 1)``:
``b`` the hotline base, ``c`` the channel multiplier of the channels open to that resident,
``t`` the trust slope, ``μ`` the mobile penalty softened by the dialogue lever's mobile weight ``w``.

Reports and routine affairs join the community police queue; volunteer shifts take routine
affairs off the police.  Officers close ``cases_per_officer_per_day`` each.  A report's response
time is ``base + 24 h × backlog / capacity``.  A reporter is satisfied with call handling with
probability ``s0 − δ·(response − base) + closed-loop bonus``.
"""

from __future__ import annotations

import numpy as np

from simulation import kernels
from simulation.constraints import note


def report_probability(model, rows: np.ndarray) -> np.ndarray:
    pop, r = model.pop, model.cfg.response
    mult = model.levers["channels"].report_multiplier(model, rows) if model.switches.levers else 1.0
    mobile_weight = model.levers["dialogue"].settings.mobile_weight if model.switches.levers else 0.2
    p = r.report_base * mult * (1.0 + r.trust_slope * (pop.trust[rows] - 0.5))
    p = p * np.where(pop.mobile[rows], 1.0 - r.mobile_report_penalty * (1.0 - mobile_weight) / 0.8, 1.0)
    return np.minimum(np.maximum(p, 0.0), 1.0)  # = np.clip (a third of the cost on small arrays)


def routine_rate(model) -> np.ndarray:
    """Expected routine affairs per community and day (fixed for a run)."""
    return model.community_size * model.cfg.response.routine_per_1000_per_day / 1000.0


def step(model) -> None:
    if kernels.enabled(model):
        _step_compiled(model)
    else:
        _step_numpy(model)


def _step_compiled(model) -> None:
    """:func:`_step_numpy` after the channels' multiplier in one compiled call (the same draws and numbers)."""
    from simulation import compiled_processes as cp  # numba is loaded by now (kernels.enabled)

    t, r, pol, pop = model.today, model.cfg.response, model.police, model.pop
    lv = model.levers if model.switches.levers else None
    if model.switches.reporting and model.events_reporters:
        rows = np.concatenate([e[0] for e in model.events_reporters]).astype(np.int64)
        places = np.concatenate([e[1] if e[1] is not None else np.full(e[0].size, -1) for e in model.events_reporters])
        mult = lv["channels"].report_multiplier(model, rows) if lv else np.ones(rows.size, dtype=np.float32)
    else:  # (reporting off or no events: no report drawn)
        rows = places = np.empty(0, dtype=np.int64)
        mult = np.empty(0, dtype=np.float32)
    mobile_weight = lv["dialogue"].settings.mobile_weight if lv else 0.2
    s = model.cfg.satisfaction
    closed = bool(lv and lv["channels"].settings.closed_loop)
    counts, sums = np.zeros(cp.N_REPORT_COUNTS, dtype=np.int64), np.zeros(cp.N_REPORT_SUMS)
    travel = model.travel_hours
    loops = kernels.loops()
    reporters, satisfied, model.response_hours_today = loops.reporting_day(
        loops.bits_of(model.streams["reporting"]), counts, sums, rows, places, mult, r.report_base, r.trust_slope, pop.trust,
        pop.mobile, 1.0 - r.mobile_report_penalty * (1.0 - mobile_weight) / 0.8, pop.community, model.n_communities,
        model.place_reported_recent, model.per_run("routine_rate", routine_rate), pop.community[model.active_rows],
        r.routine_per_volunteer_shift, pol.backlog, model.officer_capacity, r.base_response_hours,
        travel is not None, travel if travel is not None else model.officer_capacity,
        s.response_satisfaction_base, s.delay_penalty_per_hour, s.closed_loop_bonus if closed else 0.0)
    if rows.size:
        t["reportable"] += rows.size
        t["reports"] += reporters.size
        t["reportable_mobile"] += int(counts[cp.REPORTABLE_MOBILE])
        t["reports_mobile"] += int(counts[cp.REPORTS_MOBILE])
    t["routine_by_volunteers"] += float(sums[cp.ROUTINE_BY_VOLUNTEERS])
    note(model, "police_days_asked", int(counts[cp.POLICE_DAYS_ASKED]))
    note(model, "police_days_delivered", int(counts[cp.POLICE_DAYS_DELIVERED]))
    t["police_cases"] += float(sums[cp.POLICE_CASES])
    if reporters.size:
        t["response_hours_sum"] += float(sums[cp.RESPONSE_HOURS_SUM])
        t["responses_satisfied"] += int(counts[cp.RESPONSES_SATISFIED])
    model.reporters_today = (reporters, satisfied)


def _step_numpy(model) -> None:
    t, r, pol = model.today, model.cfg.response, model.police
    rng = model.streams["reporting"]
    n_comm = model.n_communities
    new_cases = np.zeros(n_comm, dtype=np.float64)
    reporters = np.empty(0, dtype=np.int64)
    if model.switches.reporting and model.events_reporters:
        rows = np.concatenate([e[0] for e in model.events_reporters]).astype(np.int64)
        places = [e[1] if e[1] is not None else np.full(e[0].size, -1) for e in model.events_reporters]
        places = np.concatenate(places)
        p = report_probability(model, rows)
        reported = rng.random(rows.size) < p
        reporters = rows[reported]
        t["reportable"] += rows.size
        t["reports"] += reporters.size
        t["reportable_mobile"] += int(model.pop.mobile[rows].sum())
        t["reports_mobile"] += int(model.pop.mobile[reporters].sum())
        at_place = places[reported]
        at_place = at_place[at_place >= 0]
        if at_place.size:
            np.add.at(model.place_reported_recent, at_place, 1.0)
        new_cases += np.bincount(model.pop.community[reporters], minlength=n_comm)

    # Routine affairs, part taken by volunteers on shift.
    routine = model.streams["reporting"].poisson(model.per_run("routine_rate", routine_rate))
    taken = np.bincount(model.pop.community[model.active_rows], minlength=n_comm) * r.routine_per_volunteer_shift
    taken = np.minimum(taken, routine)
    t["routine_by_volunteers"] += float(taken.sum())
    new_cases += routine - taken

    capacity = model.officer_capacity
    wait_days = pol.backlog / capacity
    response_hours = r.base_response_hours + 24.0 * wait_days
    if model.travel_hours is not None:  # district table: travel time of the district's urban type
        response_hours = response_hours + model.travel_hours
    model.response_hours_today = response_hours
    pol.backlog += new_cases
    pending = pol.backlog > 0
    note(model, "police_days_asked", np.count_nonzero(pending))
    note(model, "police_days_delivered", np.count_nonzero(pending & (pol.backlog <= capacity)))
    handled = np.minimum(pol.backlog, capacity)
    pol.backlog -= handled
    t["police_cases"] += float(handled.sum())
    if reporters.size:
        hours = response_hours[model.pop.community[reporters]]
        s = model.cfg.satisfaction
        closed = model.switches.levers and model.levers["channels"].settings.closed_loop
        p_sat = s.response_satisfaction_base - s.delay_penalty_per_hour * (hours - r.base_response_hours)
        p_sat = np.minimum(np.maximum(p_sat + (s.closed_loop_bonus if closed else 0.0), 0.0), 1.0)  # clip
        satisfied = rng.random(reporters.size) < p_sat
        t["response_hours_sum"] += float(hours.sum())
        t["responses_satisfied"] += int(satisfied.sum())
        model.reporters_today = (reporters, satisfied)
    else:
        model.reporters_today = (reporters, np.empty(0, dtype=bool))
