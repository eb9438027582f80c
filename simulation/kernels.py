"""Compiled loops (numba) for the daily updates of large worlds: the same numbers, fewer passes.

Why: at a million residents a day is mostly memory traffic — each numpy expression over a
population column is one pass (satisfaction's daily step alone is nine), and each expression over
the registered volunteers gathers and scatters rows.  A compiled loop does the same arithmetic in
one pass.  It pays only for large worlds: importing numba and loading the compiled code costs
about a second per process, more than a year of a 20,000-resident district spends in these
updates, so worlds below :data:`MIN_ROWS` residents keep the numpy code (and never import numba)
— except where one process runs many of them: the experiment engine's workers switch the loops
on for every size (:func:`for_all_sizes`) when they have many runs to do.

Both paths give identical numbers: each loop does the same float32 operations in the same order
as the numpy code it replaces (numba does not fuse multiply-adds unless asked), transcendental
functions stay in numpy, and the random numbers are drawn by numpy before and after.
``tests/test_kernels.py`` runs a world both ways and compares every population column and record.
Loops that also make a process's random draws live in :mod:`simulation.compiled_processes`.
``SAFETYSIM_KERNELS=0`` switches the loops off (to measure or rule them out); without numba
installed the numpy code runs.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from types import SimpleNamespace
from typing import Iterator

import numpy as np

MIN_ROWS = 200_000
"""Residents from which the compiled loops are used (a measured break-even, see the docstring)."""

THINNING_MAX_ROWS = 256
"""Expected rows (residents × chance) up to which a thinning draw is made in compiled code: numba's
bounded draws cost about four times NumPy's, so above this numpy's ``choice`` is cheaper
(measured: 41 against 44 µs at 200 rows, 118 against 76 at 800, filter and hazard included)."""

_compiled: SimpleNamespace | None = None
_failed = False
_all_sizes: contextvars.ContextVar[bool] = contextvars.ContextVar("kernels_all_sizes", default=False)


@contextlib.contextmanager
def for_all_sizes(on: bool = True) -> Iterator[None]:
    """Use the loops for models built inside this block whatever their size (this thread/context).

    Why: the break-even of :data:`MIN_ROWS` counts loading numba against one run; a process that
    runs many runs of a small world (a sweep's worker) loads it once and gains on every run (a
    fifth of a 20,000-resident district's year).  The numbers are the same either way."""
    token = _all_sizes.set(on)
    try:
        yield
    finally:
        _all_sizes.reset(token)


def enabled(model) -> bool:
    """Whether ``model``'s daily updates use the compiled loops (decided once per model)."""
    use = getattr(model, "_kernels", None)
    if use is None:
        big = model.cfg.world.n_residents >= MIN_ROWS or _all_sizes.get()  # asked during the build too, before model.pop
        use = big and os.environ.get("SAFETYSIM_KERNELS", "1") != "0" and _load() is not None
        model._kernels = use
    return use


def _load() -> SimpleNamespace | None:
    global _compiled, _failed
    if _compiled is None and not _failed:
        try:
            _compiled = _compile()
        except ImportError:
            _failed = True
    return _compiled


def in_build(model) -> bool:
    """Whether ``model``'s build uses compiled code too: only inside :func:`for_all_sizes` (a sweep's
    worker, which loads the compiler for its many runs anyway), so that a single world's build time
    and memory stay its own (the compiler loads on its first day)."""
    return _all_sizes.get() and enabled(model)


def thinning_in_loops(model, p: float) -> bool:
    """Whether ``model`` makes a thinning draw at chance ``p`` in compiled code (see :data:`THINNING_MAX_ROWS`)."""
    return enabled(model) and 0.0 < p and 0 < model.pop.n * p <= THINNING_MAX_ROWS


def preload(model=None) -> bool:
    """Import numba and load (or compile) every loop now, by calling each on tiny arrays, so a
    timed run does not include it (about half a second per process once compiled code is cached
    beside this module; the first compile takes several seconds).  With ``model``, all but the
    thinning draws' loops, which load on first use (about 50 ms) if that model makes them: a large
    world's stay with numpy (:data:`THINNING_MAX_ROWS`), so their 4.5 MiB of compiled code is not
    loaded.  True if the loops are available."""
    k = _load() if os.environ.get("SAFETYSIM_KERNELS", "1") != "0" else None
    if k is None:
        return False
    f = np.zeros(2, dtype=np.float32)
    rows = np.arange(2, dtype=np.int64)
    rows.flags.writeable = False  # as the model's registered rows: the same compiled signature
    for code_type in (np.int16, np.int32):  # the model's community code: int16 unless a city needs int32
        k.satisfaction_step(f.copy(), f, np.zeros(2, dtype=code_type), np.float32(0.1))
    k.trust_step_and_clip(f.copy(), f.copy(), np.float32(0.1))
    k.awareness_step(f.copy(), np.zeros(2, dtype=bool), np.float32(0.5), np.float32(0.1))
    k.skill_decay(np.zeros((2, 3), dtype=np.float32), rows, np.float32(0.9))
    one = np.float32(1.0)
    k.volunteers_day(rows, f.copy(), f.copy(), f, np.zeros(2, dtype=np.int8), np.ones(7, dtype=np.float32), np.zeros(2),
                     one, one, one, one, one, True, one, np.zeros(7, dtype=np.float32), one, one, one, one, one, one, one,
                     np.empty(2, dtype=bool), np.empty(2, dtype=np.float32))
    out = np.empty(6, dtype=np.float32)
    k.gather(f, rows, out)
    k.split_by_flag(f, np.zeros(2, dtype=bool), 0, out)
    k.add_by_group(np.zeros(2, dtype=np.int32), f, np.zeros(1))
    k.times_flag(f, np.zeros(2, dtype=bool), out)
    k.count_served_since(np.zeros(2, dtype=np.int32), rows, 0)
    indptr, indices = np.zeros(3, dtype=np.int32), np.zeros(0, dtype=np.int32)
    for ro in (False, True):  # a network from the world cache is read-only, a fresh one is not
        indptr.flags.writeable = indices.flags.writeable = not ro
        for r in (rows, rows.copy()):
            for count_type in (np.int16, np.int32):  # network.count_type: int16 unless a hub needs int32
                k.add_neighbour_counts(indptr, indices, np.zeros(2, dtype=count_type), r, 1)
    from simulation.compiled_processes import preload_draw_loops

    preload_draw_loops(k, candidates=model is None)
    return True


def loops_for(model) -> SimpleNamespace | None:
    """The compiled loops if ``model`` uses them, else None (for helpers that take either)."""
    return _load() if enabled(model) else None


def loops() -> SimpleNamespace:
    """The compiled loops (call only when :func:`enabled` said so)."""
    return _load()


def _compile() -> SimpleNamespace:
    import numba

    jit = numba.njit(cache=True, nogil=True)

    @jit
    def satisfaction_step(sat, table, code, rate):
        # sat += (table[code] - sat) * rate, in float32 (feedback.step)
        for i in range(sat.size):
            s = sat[i]
            sat[i] = s + (table[code[i]] - s) * rate

    @jit
    def trust_step_and_clip(sat, trust, rate):
        # trust += (sat - trust) * rate, then both clipped to [0, 1] (feedback.step)
        zero, one = np.float32(0.0), np.float32(1.0)
        for i in range(sat.size):
            s, t = sat[i], trust[i]
            t = t + (s - t) * rate
            sat[i] = min(max(s, zero), one)
            trust[i] = min(max(t, zero), one)

    @jit
    def awareness_step(awareness, informed, ceiling, rate):
        # awareness += ((ceiling - awareness) * rate) * informed (publicity.step; + 0 for the uninformed)
        for i in range(awareness.size):
            a = awareness[i]
            awareness[i] = a + ((ceiling - a) * rate) * np.float32(informed[i])

    @jit
    def skill_decay(skills, rows, factor):
        # skills[rows] *= factor (training.step)
        for r in rows:
            for j in range(skills.shape[1]):
                skills[r, j] *= factor

    @jit
    def volunteers_day(rows, motivation, fatigue, intrinsic, sector, available, u_serve, m0, keen_ramp,
                       serve_max, recovery, per_shift, with_levers, keep_intrinsic, extrinsic, bonus_recognition,
                       bonus_clarity, adjust, base, motivation_slope, fatigue_slope, ambiguity_factor,
                       serves, hazard):
        # participation.step, parts 2-4 up to the dropout draw: who serves, fatigue, motivation,
        # the daily dropout hazard; the columns are updated in place.
        zero, one, half = np.float32(0.0), np.float32(1.0), np.float32(0.5)
        for i in range(rows.size):
            r = rows[i]
            sec = sector[r]
            m, f = motivation[r], fatigue[r]
            keen = min(max((m - m0) / keen_ramp, zero), one)
            p = serve_max * available[sec] * keen * (one - f)
            s = u_serve[i] < p
            serves[i] = s
            f = f * recovery
            if s:
                f = min(f + per_shift, one)
            fatigue[r] = f
            target = intrinsic[r]
            if with_levers:
                target = target * keep_intrinsic + extrinsic[sec]
                target += bonus_recognition
                target += bonus_clarity
            m = m + adjust * (min(max(target, zero), one) - m)
            motivation[r] = m
            hazard[i] = base * max(zero, one + motivation_slope * (half - m)) * (one + fatigue_slope * f) * ambiguity_factor

    @jit
    def gather(values, rows, out):
        # out[:k] = values[rows] for a 1-D column: the same contiguous array as numpy's take, so
        # numpy's mean of it is the same number
        for k in range(rows.size):
            out[k] = values[rows[k]]
        return rows.size

    @jit
    def split_by_flag(values, flag, n_true, out):
        # out[:n_true] = values[flag], out[n_true:] = values[~flag], each in row order (as numpy's
        # boolean indexing); the place is chosen without a branch, so a random flag costs nothing
        front, back = 0, n_true
        for i in range(values.size):
            f = flag[i]
            at = front if f else back
            out[at] = values[i]
            front += f
            back += not f

    @jit
    def add_by_group(group, values, out):
        # out[group[i]] += float64(values[i]) in row order (as np.bincount with weights)
        for i in range(values.size):
            out[group[i]] += np.float64(values[i])

    @jit
    def times_flag(values, flag, out):
        # out = values * flag (float32 times 0 or 1, as numpy's multiply by a bool column)
        for i in range(values.size):
            out[i] = values[i] * np.float32(flag[i])

    @jit
    def count_served_since(last_served, rows, since):
        # how many of rows served on day `since` or later (metrics.active_count)
        n = 0
        for r in rows:
            if last_served[r] >= since:
                n += 1
        return n

    @jit
    def add_neighbour_counts(indptr, indices, counts, rows, delta):
        # counts[j] += delta for every neighbour j of each row (network.add_to_neighbour_counts;
        # integers, so the same numbers in any order)
        for r in rows:
            for k in range(indptr[r], indptr[r + 1]):
                counts[indices[k]] += delta

    from simulation.compiled_processes import LOOPS as draw_loops

    return SimpleNamespace(add_neighbour_counts=add_neighbour_counts, satisfaction_step=satisfaction_step, trust_step_and_clip=trust_step_and_clip,
                           awareness_step=awareness_step, skill_decay=skill_decay, volunteers_day=volunteers_day,
                           gather=gather, split_by_flag=split_by_flag, add_by_group=add_by_group, times_flag=times_flag,
                           count_served_since=count_served_since, **draw_loops)
