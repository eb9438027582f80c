"""Participation: who registers, who serves today, how motivation and fatigue move, who drops out.

* Registration — an informed, unregistered resident registers on a day with probability
  ``1 - exp(-r·σ(k·(propensity − threshold))/365)``: thresholds are heterogeneous; propensity sums
  civic awareness, the volunteer share among neighbours, group time budgets (retirees more, the
  young less), education, the mobile-population penalty (softened by dialogue), incentives valued
  by the group, recruitment drives and the participation channels open.
* Activation — a registered volunteer serves today with probability
  ``s_max · availability(sector, day type) · clip((motivation − m0)/0.15, 0, 1) · (1 − fatigue)``;
  availability differs by group (retirees weekdays, workers evenings and weekends, students by
  semester).  Volunteers below the dormant threshold ``m0`` stay registered but never serve.
* Motivation follows intrinsic motivation (reduced by crowding-out under money-like rewards) plus
  extrinsic incentive value, recognition and role clarity.  Fatigue grows with shifts and recovers.
* Dropout hazard per year: ``d0 · (1 + a·(0.5 − motivation)) · (1 + b·fatigue) · (1 + c·(ambiguity − 0.7))``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from simulation import kernels
from simulation.constraints import note, note_last
from simulation.population import AgeGroup, Education, NEVER, Sector, VolunteerState

# sector -> (weekday, weekend) availability; students use the second table in term time. Assumption.
AVAILABILITY = np.array(
    [
        (0.8, 0.8),  # STUDENT (vacation)
        (0.3, 0.9),  # WORKER: evenings and weekends
        (0.4, 0.4),  # MERCHANT: tied to the shop
        (1.0, 0.7),  # RETIRED: weekdays
        (0.2, 0.7),  # LAW
        (0.2, 0.7),  # COUNSELLING
        (0.2, 0.7),  # MEDICAL
    ],
    dtype=np.float32,
)
KEEN_RAMP = 0.15  # motivation above the dormant threshold at which a volunteer serves fully; assumption
STUDENT_TERM = np.array((0.25, 0.8), dtype=np.float32)
TERM_DAYS = ((60, 180), (245, 365))  # day-of-year ranges of university terms; assumption


def thinning_draw(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Rows of ``0..n-1`` each drawn independently with probability ``p``, ascending: a binomial
    count, then that many distinct rows (Floyd's algorithm: work in the count, not in ``n``)."""
    if p <= 0.0 or n == 0:
        return np.empty(0, dtype=np.int64)
    k = int(rng.binomial(n, min(p, 1.0)))
    return np.sort(rng.choice(n, size=k, replace=False, shuffle=False))


def registration_bound(model) -> float:
    """The daily registration chance that no candidate exceeds (the thinning draw's chance)."""
    return -np.expm1(-model.cfg.participation.registration_rate_per_year / 365.0)


def in_term(day: int) -> bool:
    doy = day % 365
    return any(lo <= doy < hi for lo, hi in TERM_DAYS)


def group_terms(model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Propensity terms by table lookup: by age group (older time bonus, young time cost), by
    education (mid-education bonus) and by mobility (the mobile penalty, softened by dialogue);
    adding −c is the same as subtracting c, so the values are exact.  Fixed for a run."""
    p = model.cfg.participation
    by_age = np.zeros(len(AgeGroup), dtype=np.float64)
    by_age[AgeGroup.OLDER] = p.older_time_bonus
    by_age[AgeGroup.YOUNG] = -p.young_time_cost
    by_edu = np.zeros(len(Education), dtype=np.float64)
    by_edu[Education.MID] = p.mid_education_bonus
    mobile_weight = model.levers["dialogue"].settings.mobile_weight if model.switches.levers else 0.2
    by_mobile = np.array([0.0, p.mobile_penalty * (1.0 - mobile_weight) / 0.8])
    return by_age, by_edu, by_mobile


def propensity(model, rows: np.ndarray) -> np.ndarray:
    """Willingness to register of residents ``rows`` (compared with their threshold)."""
    pop, p = model.pop, model.cfg.participation
    lv = model.levers if model.switches.levers else None
    deg = np.maximum(model.network.degree[rows], 1)
    prop = pop.awareness[rows] + p.peer_weight * model.nb_volunteers[rows] / deg
    by_age, by_edu, by_mobile = model.per_run("group_terms", group_terms)
    prop += by_age[pop.age[rows]]
    prop += by_edu[pop.education[rows]]
    prop -= by_mobile[pop.mobile[rows].view(np.uint8)]
    if lv:
        sector = pop.sector[rows]
        inc = lv["incentives"]
        prop += inc.extrinsic[sector] - inc.crowding
        prop += lv["recruitment"].bonus[sector]
        prop += lv["channels"].participation_bonus(model, rows)
    return prop.astype(np.float32)


def _candidates_compiled(model, rng: np.random.Generator, p_max: float) -> tuple[np.ndarray, np.ndarray]:
    """Step 1's draw at the bound, its filter and :func:`propensity` in one compiled call (the same
    draws and numbers): the candidates' rows and float32 propensity.  Where numpy would draw the
    rows by its tail shuffle (many rows of a large world), the loop draws only the count and numpy
    goes on, as :func:`thinning_draw` does."""
    pop, p = model.pop, model.cfg.participation
    lv = model.levers if model.switches.levers else None
    by_age, by_edu, by_mobile = model.per_run("group_terms", group_terms)
    extrinsic_net = recruitment = None
    if lv:
        inc = lv["incentives"]
        extrinsic_net, recruitment = inc.extrinsic - inc.crowding, lv["recruitment"].bonus  # per sector, as per row
    loops = kernels.loops()
    rows, prop, k = loops.registration_candidates(
        loops.bits_of(rng), pop.n, min(p_max, 1.0), pop.informed, pop.vol_state, int(VolunteerState.NONE), model.network.degree,
        model.nb_volunteers, pop.awareness, p.peer_weight, pop.age, by_age, pop.education, by_edu,
        pop.mobile, by_mobile, lv is not None, pop.sector,
        extrinsic_net if lv else by_age.astype(np.float32), recruitment if lv else by_age.astype(np.float32))
    if k >= 0:  # numpy's tail shuffle: its choice, then the numpy filter and propensity
        rows = np.sort(rng.choice(pop.n, size=k, replace=False, shuffle=False))
        rows = rows[pop.informed[rows] & (pop.vol_state[rows] == VolunteerState.NONE)]
        return rows, propensity(model, rows) if rows.size else np.empty(0, dtype=np.float32)
    if lv:
        prop += lv["channels"].participation_bonus(model, rows)
    return rows, prop.astype(np.float32)


def register(model, rows: np.ndarray, *, compiled: bool = True) -> None:
    """Make residents ``rows`` registered volunteers (fresh motivation, small skills).

    ``compiled=False`` (the build's initial team) keeps the compiled loops unloaded until the
    first day, so building a world does not import the compiler (same numbers either way)."""
    if rows.size == 0:
        return
    pop, p, rng = model.pop, model.cfg.participation, model.streams["participation"]
    conc = p.intrinsic_concentration
    pop.vol_state[rows] = VolunteerState.REGISTERED
    model.note_registered(rows)
    pop.registered_day[rows] = model.day
    pop.intrinsic[rows] = rng.beta(p.intrinsic_mean * conc, (1 - p.intrinsic_mean) * conc, rows.size)
    pop.motivation[rows] = pop.intrinsic[rows]
    pop.fatigue[rows] = 0.0
    pop.skills[rows] = np.minimum(rng.random((rows.size, pop.skills.shape[1])) * 0.2, 1.0)
    model.network.add_to_neighbour_counts(model.nb_volunteers, rows, 1, kernels.loops_for(model) if compiled else None)
    model.on_registered(rows)


def lapse(model, rows: np.ndarray) -> None:
    if rows.size == 0:
        return
    model.pop.vol_state[rows] = VolunteerState.LAPSED
    model.note_lapsed(rows)
    model.pop.active_today[rows] = False
    model.network.add_to_neighbour_counts(model.nb_volunteers, rows, -1, kernels.loops_for(model))


def step(model) -> None:
    pop, p, rng = model.pop, model.cfg.participation, model.streams["participation"]
    day = model.day
    pop.active_today[model.active_rows] = False
    model.active_rows = np.empty(0, dtype=np.int64)
    if not model.switches.participation:
        return

    # 1. registration, by thinning: the hazard rate·σ(x) never exceeds rate, so residents are
    # drawn at that bound (a binomial count, then which ones) and each drawn candidate is kept
    # with its own probability over the bound — the same chance per resident as a draw for
    # every candidate, with work only for the few drawn.
    p_max = registration_bound(model)
    if kernels.thinning_in_loops(model, p_max):
        rows, prop = _candidates_compiled(model, rng, p_max)
    else:
        rows = thinning_draw(rng, pop.n, p_max)
        rows = rows[pop.informed[rows] & (pop.vol_state[rows] == VolunteerState.NONE)]
        prop = None
    if rows.size:
        if prop is None:
            prop = propensity(model, rows)
        x = p.propensity_steepness * (prop - pop.threshold[rows])
        hazard = p.registration_rate_per_year / (1.0 + np.exp(-x))
        new = rows[rng.random(rows.size) * p_max < -np.expm1(-hazard / 365.0)]
        register(model, new)
        model.today["registrations"] += new.size

    vols = model.registered_rows
    if vols.size == 0:
        return

    # 2-4: who serves today, fatigue and motivation, the dropout hazard (terms shared by both paths)
    terms = _day_terms(model, day)
    u_serve = rng.random(vols.size)
    if kernels.enabled(model):
        serves, h = _volunteers_day_compiled(model, vols, u_serve, terms)
    else:
        serves, h = _volunteers_day(model, vols, u_serve, terms)
    active = vols[serves]
    pop.active_today[active] = True
    pop.last_served[active] = day
    pop.shifts[active] += 1
    model.active_rows = active
    model.today["shifts"] += active.size
    leaves = rng.random(vols.size) < -np.expm1(-h / 365.0)
    gone = vols[leaves]
    lapse(model, gone)
    model.today["dropouts"] += gone.size
    if gone.size:
        model.active_rows = vols[serves & ~leaves]


def _day_terms(model, day: int) -> SimpleNamespace:
    """Today's scalars of serving, fatigue, motivation and dropout, as float32 where the columns are."""
    p = model.cfg.participation
    lv = model.levers if model.switches.levers else None
    weekend = int(day % 7 >= 5)
    available = AVAILABILITY[:, weekend].copy()  # by sector, today
    if in_term(day):
        available[Sector.STUDENT] = STUDENT_TERM[weekend]
    t = SimpleNamespace(lv=lv, available=available, **model.per_run("fixed_terms", fixed_terms))
    if lv:
        inc = lv["incentives"]
        recognition = lv["evaluation"].recognition
        recognition += 0.03 if lv["publicity"].settings.role_models else 0.0
        recognition += 0.03 if lv["channels"].settings.closed_loop else 0.0
        t.keep_intrinsic, t.extrinsic = np.float32(1.0 - inc.crowding), inc.extrinsic
        t.bonus_recognition = np.float32(p.efficacy_weight * (recognition / 0.1))
    return t


def fixed_terms(model) -> dict[str, np.float32]:
    """The terms of :func:`_day_terms` that do not change during a run (parameters, role clarity)."""
    p = model.cfg.participation
    lv = model.levers if model.switches.levers else None
    ambiguity = lv["role_clarity"].ambiguity if lv else 0.7
    terms = dict(m0=np.float32(p.dormant_motivation), keen_ramp=np.float32(KEEN_RAMP),
                 serve_max=np.float32(p.service_prob_max), recovery=np.float32(1.0 - p.fatigue_recovery_per_day),
                 per_shift=np.float32(p.fatigue_per_shift), adjust=np.float32(p.motivation_adjust_per_year / 365.0),
                 base=np.float32(p.dropout_base_per_year), motivation_slope=np.float32(p.dropout_motivation_slope),
                 fatigue_slope=np.float32(p.dropout_fatigue_slope),
                 ambiguity_factor=np.float32(max(0.0, 1.0 + p.dropout_ambiguity_slope * (ambiguity - 0.7))))
    if lv:
        terms["bonus_clarity"] = np.float32(0.1 * (0.7 - ambiguity))
    return terms


def _volunteers_day(model, vols: np.ndarray, u_serve: np.ndarray, t: SimpleNamespace) -> tuple[np.ndarray, np.ndarray]:
    """Who serves today (``u_serve`` below the chance), fatigue and motivation updated in the
    columns, and each volunteer's dropout hazard per year.  The volunteers' columns are gathered
    once, updated as compact arrays and written back once."""
    pop = model.pop
    motivation, fatigue, sector = pop.motivation[vols], pop.fatigue[vols], pop.sector[vols]
    keen = np.clip((motivation - t.m0) / t.keen_ramp, 0.0, 1.0)
    serves = u_serve < t.serve_max * t.available[sector] * keen * (1.0 - fatigue)
    fatigue *= t.recovery
    fatigue[serves] = np.minimum(fatigue[serves] + t.per_shift, 1.0)
    pop.fatigue[vols] = fatigue
    target = pop.intrinsic[vols].astype(np.float32)
    if t.lv:
        target = target * t.keep_intrinsic + t.extrinsic[sector]
        target += t.bonus_recognition
        target += t.bonus_clarity
    motivation += t.adjust * (np.clip(target, 0, 1) - motivation)  # float32 in place, as the column
    pop.motivation[vols] = motivation
    h = t.base * np.maximum(0.0, 1.0 + t.motivation_slope * (0.5 - motivation)) * (1.0 + t.fatigue_slope * fatigue) * t.ambiguity_factor
    return serves, h


def _volunteers_day_compiled(model, vols: np.ndarray, u_serve: np.ndarray, t: SimpleNamespace) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_volunteers_day` as one compiled pass over the volunteers (same numbers)."""
    pop = model.pop
    serves = np.empty(vols.size, dtype=bool)
    h = np.empty(vols.size, dtype=np.float32)
    lv = bool(t.lv)
    kernels.loops().volunteers_day(
        vols, pop.motivation, pop.fatigue, pop.intrinsic, pop.sector, t.available, u_serve, t.m0, t.keen_ramp,
        t.serve_max, t.recovery, t.per_shift, lv, t.keep_intrinsic if lv else np.float32(1.0),
        t.extrinsic if lv else np.zeros(len(AVAILABILITY), dtype=np.float32),
        t.bonus_recognition if lv else np.float32(0.0), t.bonus_clarity if lv else np.float32(0.0), t.adjust,
        t.base, t.motivation_slope, t.fatigue_slope, t.ambiguity_factor, serves, h)
    return serves, h


def recruitment_drive(model, sectors: list[int], reach: float) -> int:
    """A recruitment drive by the organizations of the targeted groups (university, professional
    and merchant associations, enterprises): a share ``reach`` of the targeted residents who had not
    heard of the programme learn of it, so they can register.  Returns how many were informed."""
    pop = model.pop
    targets = np.flatnonzero(np.isin(pop.sector, sectors) & ~pop.informed)
    new = targets[model.streams["levers"].random(targets.size) < reach]
    note(model, "recruitment_asked", targets.size)
    note(model, "recruitment_delivered", new.size)
    note_last(model, "recruitment_pool", targets.size)
    if new.size:
        pop.informed[new] = True
        model.network.add_to_neighbour_counts(model.nb_informed, new, 1, kernels.loops_for(model))
    return int(new.size)
