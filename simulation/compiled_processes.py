"""Compiled loops for the small-array work of whole processes, draws included: the same numbers.

Why: a small world's day is mostly the fixed cost of numpy calls on short arrays — ``poisson`` on
96 places costs about 24 µs, ``integers`` for five residents 14 µs, an operation on eight
communities one to three — and the incidents and feedback processes make some forty and thirty
such calls a day.  Each loop here does one process's (or one part's) work in one call.

Draws: numba compiles methods of a ``numpy.random.Generator`` passed to a loop (``rng.poisson``,
``rng.random``, ``rng.integers``, ``rng.lognormal``) as ports of NumPy's own algorithms on the
generator's own bit generator, so a loop that draws what the numpy code drew, in the same order,
gives the same numbers and leaves the generator in the same state.  A loop takes the generator as
the addresses of its bit generator's state and ``next_*`` functions (:func:`bits_of`, kept per
generator) and rebuilds numba's generator from them (:func:`_generator_of`): handing numba the
``Generator`` object itself cost 10-15 µs a call (numba types it in Python and looks the addresses
up through ``ctypes`` every time), the addresses under 1 µs.

Rules that keep the numbers identical (as in :mod:`simulation.kernels`):

* float64 sums use :func:`pairwise_sum`, NumPy's summation order for a contiguous float64 array
  (plain loops add in another order and differ in the last bits);
* every operation has the numpy code's types: float32 columns are compared with float32
  thresholds (NumPy casts a Python float to the array's type) and converted to float64 where the
  numpy code converted them; ``np.minimum``/``np.maximum`` keep NumPy's NaN rule;
* transcendental functions the numpy code called (``expm1`` in the prevented share) stay in numpy.

``tests/test_compiled_processes.py`` runs worlds both ways over seeds and with each process's parts
switched off in turn, and checks the summation against NumPy; ``tests/test_kernels.py`` runs the
path scenarios both ways.
"""

from __future__ import annotations

import ctypes

import numba
import numpy as np
from numba.core import cgutils, types
from numba.extending import intrinsic

# The settings of simulation.kernels' loops: cached beside this module, no GIL held.  (The loops are
# module-level functions: a loop that calls another jitted function through a closure would get a
# new cache key in every process and compile again.)
jit = numba.njit(cache=True, nogil=True)

# Slots of the float64 statistics that :func:`incidents_day` fills (the order the numpy code adds them).
(EXP_KIND0, EXP_NO_VOL0, HOT_EXP0, EXP_KIND1, EXP_NO_VOL1, HOT_EXP1, EXP_FRAUD, EXP_FRAUD_OLDER,
 FRAUD_LOSSES) = range(9)
N_FLOAT_STATS = 9
# Slots of the integer statistics.
(INCIDENTS0, HOT0, INCIDENTS1, HOT1, FRAUD_ATTEMPTS, FRAUD_VICTIMS, FRAUD_ATTEMPTS_OLDER, FRAUD_VICTIMS_OLDER,
 DISPUTES, DISPUTES_MEDIATED, DISPUTES_ESCALATED, DISPUTES_MEDIATED_ESCALATED, EMERGENCIES,
 EMERGENCIES_FIRST_RESPONSE) = range(14)
N_INT_STATS = 14


@jit
def _block_sum(a, lo, n):
    # numpy's pairwise_sum for n <= 128: a plain loop below 8, else eight accumulators
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    m = n - (n % 8)
    while i < m:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@jit
def pairwise_sum(a, lo, n):
    # NumPy's float64 sum of the contiguous a[lo:lo + n]: runs of more than 128 are split at
    # half (rounded down to a multiple of 8) and the halves' sums added, left + right.  Written
    # with an explicit stack: numba's cache cannot reload recursive functions.
    if n <= 128:
        return _block_sum(a, lo, n)
    los = np.empty(64, dtype=np.int64)
    ns = np.empty(64, dtype=np.int64)
    stage = np.empty(64, dtype=np.int64)
    sums = np.empty(64)
    sp, rs = 1, 0
    los[0], ns[0], stage[0] = lo, n, 0
    while sp:
        top = sp - 1
        start, m = los[top], ns[top]
        if m <= 128:
            sums[rs] = _block_sum(a, start, m)
            rs += 1
            sp -= 1
            continue
        half = m // 2
        half -= half % 8
        if stage[top] == 0:  # the left half first
            stage[top] = 1
            los[sp], ns[sp], stage[sp] = start, half, 0
            sp += 1
        elif stage[top] == 1:  # then the right half
            stage[top] = 2
            los[sp], ns[sp], stage[sp] = start + half, m - half, 0
            sp += 1
        else:  # both done: left + right
            sums[rs - 2] = sums[rs - 2] + sums[rs - 1]
            rs -= 1
            sp -= 1
    return sums[0]


_BITS_KEPT = 64  # generators whose addresses are kept (a model has a dozen streams)
_bits: dict[int, tuple[np.random.Generator, tuple[int, int, int, int]]] = {}


def bits_of(rng: np.random.Generator) -> tuple[int, int, int, int]:
    """What a loop here takes for ``rng``: the addresses of its bit generator's state and of its
    ``next_uint64``, ``next_uint32`` and ``next_double`` functions — what numba reads from a
    ``Generator`` it is handed (``numba.core.boxing``), looked up once per generator.  The entry
    holds the generator, so the addresses stay valid while it is kept and its id is not reused."""
    hit = _bits.get(id(rng))
    if hit is not None and hit[0] is rng:
        return hit[1]
    c = rng.bit_generator.ctypes
    address = [ctypes.cast(f, ctypes.c_void_p).value for f in (c.next_uint64, c.next_uint32, c.next_double)]
    bits = (int(c.state_address), *address)
    if len(_bits) >= _BITS_KEPT:
        _bits.pop(next(iter(_bits)))  # the oldest
    _bits[id(rng)] = (rng, bits)
    return bits


@intrinsic
def _generator_of(typingctx, bits):
    """numba's ``Generator`` for the addresses of :func:`bits_of`, as numba's unboxing fills it
    (no parent object and no memory info: the numpy generator owns the state)."""
    generator = types.NumPyRandomGeneratorType("generator")

    def codegen(context, builder, signature, args):
        gen = cgutils.create_struct_proxy(generator)(context, builder)
        bit_generator = cgutils.create_struct_proxy(types.NumPyRandomBitGeneratorType("bit_generator"))(context, builder)
        state, next_uint64, next_uint32, next_double = cgutils.unpack_tuple(builder, args[0], 4)
        bit_generator.state_address = state
        bit_generator.state = state
        bit_generator.fnptr_next_uint64 = next_uint64
        bit_generator.fnptr_next_uint32 = next_uint32
        bit_generator.fnptr_next_double = next_double
        gen.bit_generator = bit_generator._getvalue()
        return gen._getvalue()

    return generator(bits), codegen


@jit
def _per_community(codes, n_comm):
    # how many of ``codes`` fall in each community (np.bincount with minlength)
    counts = np.zeros(n_comm, dtype=np.int64)
    for c in codes:
        counts[c] += 1
    return counts


@jit
def thinning_rows(rng, n, p):
    # participation.thinning_draw: k = binomial(n, p), then numpy's choice(n, k, replace=False,
    # shuffle=False) by Floyd's algorithm (the same bounded draws), sorted; (rows, -1).  numpy
    # switches to a tail shuffle when n > 10,000 and k > n // 20: then (no rows, k), left to numpy.
    k = rng.binomial(n, p)
    if n > 10000 and k > n // 20:
        return np.empty(0, dtype=np.int64), k
    out = np.empty(k, dtype=np.int64)
    chosen = set()
    for j in range(n - k, n):
        val = rng.integers(0, j + 1)
        if val in chosen:
            val = j
        chosen.add(val)
        out[j - n + k] = val
    out.sort()
    return out, -1


@jit
def registration_candidates(bits, n, p_max, informed, vol_state, unregistered, degree, nb_volunteers,
                            awareness, peer_weight, age, by_age, education, by_edu, mobile, by_mobile,
                            with_levers, sector, extrinsic_net, recruitment_bonus):
    # participation.step, step 1 up to the channels' bonus: the residents drawn at the bound who are
    # informed and unregistered, and their propensity in float64 as participation.propensity adds it
    rng = _generator_of(bits)
    rows, k = thinning_rows(rng, n, p_max)
    if k >= 0:
        return rows, np.empty(0), k
    keep = 0
    for i in range(rows.size):
        r = rows[i]
        if informed[r] and vol_state[r] == unregistered:
            rows[keep] = r
            keep += 1
    rows = rows[:keep].copy()
    prop = np.empty(keep)
    for i in range(keep):
        r = rows[i]
        d = max(degree[r], 1)
        x = np.float64(awareness[r]) + peer_weight * np.float64(nb_volunteers[r]) / np.float64(d)
        x += by_age[age[r]]
        x += by_edu[education[r]]
        x -= by_mobile[np.uint8(mobile[r])]
        if with_levers:
            x += np.float64(extrinsic_net[sector[r]])
            x += np.float64(recruitment_bonus[sector[r]])
        prop[i] = x
    return rows, prop, -1


@jit
def learning_candidates(bits, n, p_max, informed, publicity_on, p_media, campaign, campaign_hazard, reach_by_age,
                        age, word_of_mouth, q_word_of_mouth, degree, nb_informed):
    # publicity.step up to the acceptance draw: the uninformed residents drawn at the bound and
    # their hazard per year, summed in publicity.step's order and types
    rng = _generator_of(bits)
    rows, k = thinning_rows(rng, n, p_max)
    if k >= 0:
        return rows, np.empty(0), k
    keep = 0
    for i in range(rows.size):
        r = rows[i]
        if not informed[r]:
            rows[keep] = r
            keep += 1
    rows = rows[:keep].copy()
    hazard = np.zeros(keep)
    for i in range(keep):
        r = rows[i]
        h = 0.0
        if publicity_on:
            h += p_media
            if campaign:
                h += np.float64(campaign_hazard * reach_by_age[age[r]])  # float32, as numpy multiplies it
        if word_of_mouth:
            d = max(degree[r], 1)
            h += q_word_of_mouth * np.float64(nb_informed[r]) / np.float64(d)
        hazard[i] = h
    return rows, hazard, -1


@jit
def incidents_day(bits, day, recording, fstats, istats,
                  places_on, lam0, share, share_no_vol, place_comm, hotspot, comm_start, comm_size,
                  place_expected, place_incidents, community_incidents,
                  fraud_on, fraud_mean, n, age, older, literacy, forewarned_until, fraud_base, older_factor,
                  warned_factor, loss_on, loss_mu, loss_sigma,
                  disputes_on, dispute_mean, community, act_comm, med_skill, n_comm, escalation, mediation,
                  emergencies_on, emergency_mean, emergency_skill, first_response):
    # incidents.step, every draw and sum in the numpy code's order; returns the rows the day's
    # events touched (places and witnesses per kind, fraud victims, escalated parties, struck)
    rng = _generator_of(bits)
    n_pl = hotspot.size
    empty = np.empty(0, dtype=np.int64)
    places0, witnesses0, places1, witnesses1 = empty, empty, empty, empty
    if places_on:
        lam = np.empty(n_pl)
        no_vol = np.empty(n_pl)
        hot_lam = np.empty(n_pl)
        for kind in range(2):
            total = 0
            counts = np.empty(n_pl, dtype=np.int64)
            for j in range(n_pl):
                lam[j] = lam0[kind, j] * (1.0 - share[j])
            for j in range(n_pl):
                c = rng.poisson(lam[j])
                counts[j] = c
                total += c
            fstats[3 * kind] = pairwise_sum(lam, 0, n_pl)
            if recording:
                for j in range(n_pl):
                    place_expected[j] += lam[j]
            for j in range(n_pl):
                no_vol[j] = lam0[kind, j] * (1.0 - share_no_vol[j])
            fstats[3 * kind + 1] = pairwise_sum(no_vol, 0, n_pl)
            istats[2 * kind] = total
            places = np.empty(total, dtype=np.int64)
            witnesses = np.empty(total, dtype=np.int64)
            if total:
                at = 0
                hot = 0
                for j in range(n_pl):
                    for _ in range(counts[j]):
                        places[at] = j
                        at += 1
                    if hotspot[j]:
                        hot += counts[j]
                for i in range(total):
                    c = place_comm[places[i]]
                    if recording:
                        place_incidents[places[i]] += 1
                        community_incidents[c] += 1
                    witnesses[i] = comm_start[c] + np.int64(rng.random() * comm_size[c])
                istats[2 * kind + 1] = hot
                m = 0
                for j in range(n_pl):
                    if hotspot[j]:
                        hot_lam[m] = lam[j]
                        m += 1
                fstats[3 * kind + 2] = pairwise_sum(hot_lam, 0, m)
            if kind == 0:
                places0, witnesses0 = places, witnesses
            else:
                places1, witnesses1 = places, witnesses

    hits = empty
    if fraud_on:
        k = rng.poisson(fraud_mean)
        istats[FRAUD_ATTEMPTS] = k
        if k:
            target = rng.integers(0, n, k)
            p = np.empty(k)
            p_older = np.empty(k)
            n_older = 0
            for i in range(k):
                r = target[i]
                q = fraud_base * (1.0 - np.float64(literacy[r]))
                is_older = age[r] == older
                q = q * (older_factor if is_older else 1.0)
                q = q * (warned_factor if forewarned_until[r] >= day else 1.0)
                q = min(q, 1.0)
                p[i] = q
                if is_older:
                    p_older[n_older] = q
                    n_older += 1
            hit_flags = np.empty(k, dtype=np.bool_)
            n_hit = 0
            for i in range(k):
                hit_flags[i] = rng.random() < p[i]
                n_hit += hit_flags[i]
            hits = np.empty(n_hit, dtype=np.int64)
            at = 0
            hit_older = 0
            for i in range(k):
                if hit_flags[i]:
                    hits[at] = target[i]
                    hit_older += age[target[i]] == older
                    at += 1
            fstats[EXP_FRAUD] = pairwise_sum(p, 0, k)
            fstats[EXP_FRAUD_OLDER] = pairwise_sum(p_older, 0, n_older)
            istats[FRAUD_VICTIMS] = n_hit
            istats[FRAUD_ATTEMPTS_OLDER] = n_older
            istats[FRAUD_VICTIMS_OLDER] = hit_older
            if n_hit and loss_on:
                loss = np.empty(n_hit)
                for i in range(n_hit):
                    loss[i] = rng.lognormal(loss_mu, loss_sigma)
                fstats[FRAUD_LOSSES] = pairwise_sum(loss, 0, n_hit)

    escalated_parties = empty
    if disputes_on:
        k = rng.poisson(dispute_mean)
        istats[DISPUTES] = k
        if k:
            parties = rng.integers(0, n, k)
            per_comm = _per_community(community[parties], n_comm)
            mediators = np.zeros(n_comm)
            skill_sum = np.zeros(n_comm)
            for i in range(act_comm.size):
                mediators[act_comm[i]] += 1.0
                skill_sum[act_comm[i]] += np.float64(med_skill[i])
            mediated = np.empty(k, dtype=np.bool_)
            for i in range(k):
                c = community[parties[i]]
                mediated[i] = rng.random() < min(1.0, mediators[c] / max(per_comm[c], 1))
            n_med, n_esc, n_med_esc = 0, 0, 0
            escalated = np.empty(k, dtype=np.bool_)
            for i in range(k):
                c = community[parties[i]]
                if mediated[i]:
                    mean_skill = skill_sum[c] / mediators[c] if mediators[c] > 0 else 0.0
                    p_esc = escalation * (1.0 - mediation * mean_skill)
                else:
                    p_esc = escalation * 1.0
                e = rng.random() < p_esc
                escalated[i] = e
                n_med += mediated[i]
                n_esc += e
                n_med_esc += e and mediated[i]
            istats[DISPUTES_MEDIATED] = n_med
            istats[DISPUTES_ESCALATED] = n_esc
            istats[DISPUTES_MEDIATED_ESCALATED] = n_med_esc
            escalated_parties = parties[escalated]

    struck = empty
    if emergencies_on:
        k = rng.poisson(emergency_mean)
        istats[EMERGENCIES] = k
        if k:
            struck = rng.integers(0, n, k)
            responders = np.zeros(n_comm, dtype=np.int64)
            for i in range(act_comm.size):
                if emergency_skill[i] >= first_response:
                    responders[act_comm[i]] += 1
            per_comm = _per_community(community[struck], n_comm)
            first = 0
            for i in range(k):
                c = community[struck[i]]
                first += rng.random() < min(1.0, responders[c] / max(per_comm[c], 1))
            istats[EMERGENCIES_FIRST_RESPONSE] = first
    return places0, witnesses0, places1, witnesses1, hits, escalated_parties, struck


@jit
def feedback_signals(active_comm, per_community, presence_ema, place_reported_ema, place_reported_recent,
                     feedback_on, victim_comm, incident_ema, community_size, a, presence_weight, base0,
                     mobile_term, table):
    # feedback.step up to the satisfaction targets: the 30-day EMAs of presence, reports and
    # incidents, and the clipped float32 target per (community, mobile) in ``table`` (c·2 + mobile)
    n_comm = presence_ema.size
    shifts = _per_community(active_comm, n_comm)
    for c in range(n_comm):
        presence_ema[c] += a * (np.minimum(shifts[c] / per_community, 1.0) - presence_ema[c])
    for j in range(place_reported_ema.size):
        place_reported_ema[j] += a * (place_reported_recent[j] * 30.0 - place_reported_ema[j])
        place_reported_recent[j] = 0.0
    if not feedback_on:
        return
    today = np.zeros(n_comm)
    for c in victim_comm:
        today[c] += 1.0
    for c in range(n_comm):
        incident_ema[c] += a * (today[c] * 365.0 / community_size[c] - incident_ema[c])
    mean = pairwise_sum(incident_ema, 0, n_comm) / n_comm
    floor = 1e-9
    denom = floor if floor > mean else mean  # Python's max(mean, 1e-9)
    for c in range(n_comm):
        rel = incident_ema[c] / denom - 1.0
        comm_term = presence_weight * (presence_ema[c] - 0.5) - 0.05 * np.minimum(np.maximum(rel, -1.0), 3.0)
        base = base0 + comm_term
        table[2 * c] = np.float32(np.minimum(np.maximum(base - 0.0, 0.0), 1.0))
        table[2 * c + 1] = np.float32(np.minimum(np.maximum(base - mobile_term, 0.0), 1.0))


# Slots of reporting_day's statistics.
(REPORTABLE, REPORTS, REPORTABLE_MOBILE, REPORTS_MOBILE, POLICE_DAYS_ASKED, POLICE_DAYS_DELIVERED,
 RESPONSES_SATISFIED) = range(7)
N_REPORT_COUNTS = 7
(ROUTINE_BY_VOLUNTEERS, POLICE_CASES, RESPONSE_HOURS_SUM) = range(3)
N_REPORT_SUMS = 3


@jit
def reporting_day(bits, counts, sums, rows, places, mult, report_base, trust_slope, trust, mobile, mobile_factor,
                  community, n_comm, place_reported_recent, routine_rate, active_comm, routine_per_shift,
                  backlog, capacity, base_hours, travel_on, travel_hours, sat_base, delay_penalty, closed_bonus):
    # reporting.step after the channels' multiplier: who reports (numpy's float32 then float64
    # steps of report_probability), routine affairs, the police queue and the reporters' satisfaction
    rng = _generator_of(bits)
    new_cases = np.zeros(n_comm)
    k = rows.size
    n_rep = 0
    reported = np.empty(k, dtype=np.bool_)
    if k:
        rb, ts, half = np.float32(report_base), np.float32(trust_slope), np.float32(0.5)
        one = np.float32(1.0)
        for i in range(k):
            r = rows[i]
            q = rb * mult[i] * (one + ts * (trust[r] - half))  # float32, as numpy multiplies the columns
            q64 = np.float64(q) * (mobile_factor if mobile[r] else 1.0)
            q64 = np.minimum(np.maximum(q64, 0.0), 1.0)
            reported[i] = rng.random() < q64
            n_rep += reported[i]
        n_mobile, rep_mobile = 0, 0
        for i in range(k):
            r = rows[i]
            n_mobile += mobile[r]
            if reported[i]:
                rep_mobile += mobile[r]
                if places[i] >= 0:
                    place_reported_recent[places[i]] += 1.0
                new_cases[community[r]] += 1.0
        counts[REPORTABLE] = k
        counts[REPORTS] = n_rep
        counts[REPORTABLE_MOBILE] = n_mobile
        counts[REPORTS_MOBILE] = rep_mobile
    reporters = np.empty(n_rep, dtype=np.int64)
    at = 0
    for i in range(k):
        if reported[i]:
            reporters[at] = rows[i]
            at += 1
    # routine affairs, part taken by volunteers on shift
    shifts = _per_community(active_comm, n_comm)
    taken = np.empty(n_comm)
    routine = np.empty(n_comm, dtype=np.int64)
    for c in range(n_comm):
        routine[c] = rng.poisson(routine_rate[c])
    for c in range(n_comm):
        taken[c] = np.minimum(shifts[c] * routine_per_shift, np.float64(routine[c]))
        new_cases[c] += routine[c] - taken[c]
    sums[ROUTINE_BY_VOLUNTEERS] = pairwise_sum(taken, 0, n_comm)
    # the police queue (backlog float32, arithmetic in float64 as numpy's mixed operations)
    response_hours = np.empty(n_comm)
    handled = np.empty(n_comm)
    asked, delivered = 0, 0
    for c in range(n_comm):
        response_hours[c] = base_hours + 24.0 * (np.float64(backlog[c]) / capacity[c])
        if travel_on:
            response_hours[c] = response_hours[c] + travel_hours[c]
        b = np.float32(np.float64(backlog[c]) + new_cases[c])
        pending = b > 0
        asked += pending
        delivered += pending and np.float64(b) <= capacity[c]
        handled[c] = np.minimum(np.float64(b), capacity[c])
        backlog[c] = np.float32(np.float64(b) - handled[c])
    counts[POLICE_DAYS_ASKED] = asked
    counts[POLICE_DAYS_DELIVERED] = delivered
    sums[POLICE_CASES] = pairwise_sum(handled, 0, n_comm)
    satisfied = np.empty(n_rep, dtype=np.bool_)
    if n_rep:
        hours = np.empty(n_rep)
        n_sat = 0
        for i in range(n_rep):
            hours[i] = response_hours[community[reporters[i]]]
        for i in range(n_rep):
            p_sat = sat_base - delay_penalty * (hours[i] - base_hours)
            p_sat = np.minimum(np.maximum(p_sat + closed_bonus, 0.0), 1.0)
            satisfied[i] = rng.random() < p_sat
            n_sat += satisfied[i]
        sums[RESPONSE_HOURS_SUM] = pairwise_sum(hours, 0, n_rep)
        counts[RESPONSES_SATISFIED] = n_sat
    return reporters, satisfied, response_hours


LOOPS = {"bits_of": bits_of, "incidents_day": incidents_day, "feedback_signals": feedback_signals, "reporting_day": reporting_day,
         "registration_candidates": registration_candidates, "learning_candidates": learning_candidates}
"""The loops :mod:`simulation.kernels` adds to its namespace (with :func:`bits_of`, which their callers need)."""

STREAMS = ("incidents", "reporting", "participation", "publicity")
"""The model's random streams these loops draw from (they must stay ``numpy.random.Generator``s)."""


def preload_draw_loops(k, candidates: bool = True) -> None:
    """Load (or compile) these loops for the argument types the model passes (see kernels.preload);
    the candidates' loops only with ``candidates``."""
    rng = bits_of(np.random.default_rng(0))
    f64, i64, i32 = np.zeros(2), np.zeros(2, dtype=np.int64), np.zeros(2, dtype=np.int32)
    f32 = np.zeros(2, dtype=np.float32)
    k.incidents_day(rng, 0, True, np.zeros(N_FLOAT_STATS), np.zeros(N_INT_STATS, dtype=np.int64),
                    True, np.full((2, 2), 0.5), f64, f64.copy(), i32, np.ones(2, dtype=bool), i64, np.ones(2, dtype=np.int64),
                    f64.copy(), i64.copy(), i64.copy(),
                    True, 1.0, 2, np.zeros(2, dtype=np.int8), 2, f32, i32.copy(), 0.01, 1.5, 0.5, True, 1.0, 1.0,
                    True, 1.0, i32.copy(), i32.copy(), f32.copy(), 2, 0.2, 0.7,
                    True, 1.0, f32.copy(), np.float32(0.3))
    i8, b = np.zeros(2, dtype=np.int8), np.zeros(2, dtype=bool)
    for count_type in (np.int16, np.int32) if candidates else ():  # network.count_type: int16 unless a hub needs int32
        counts = np.zeros(2, dtype=count_type)
        k.registration_candidates(rng, 2, 0.5, b, i8, 0, counts, counts, f32, 0.1, i8, f64, i8, f64, b, f64, True, i8,
                                  f32, f32)
        k.learning_candidates(rng, 2, 0.5, b, True, 0.1, True, np.float32(0.5), f32, i8, True, 0.2, counts, counts)
    k.reporting_day(rng, np.zeros(N_REPORT_COUNTS, dtype=np.int64), np.zeros(N_REPORT_SUMS), i64.copy(), i64.copy(),
                    np.ones(2, dtype=np.float32), 0.5, 0.6, f32.copy(), b, 0.9, i32.copy(), 2, f64.copy(),
                    f64.copy(), i32.copy(), 0.3, f32.copy(), np.ones(2), 0.5, False, f64.copy(), 0.8, 0.01, 0.0)
    k.feedback_signals(i32.copy(), 12, f64.copy(), f64.copy(), f64.copy(), True, i32.copy(), f64.copy(),
                       np.ones(2, dtype=np.int64), 1.0 / 30.0, 0.1, 0.6, 0.05, np.empty(4, dtype=np.float32))
