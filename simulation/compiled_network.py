"""Compiled Watts-Strogatz ties: :func:`network.watts_strogatz_ties` — networkx's algorithm and
Python's own random draws — in one compiled call, the same ties.

Why: a sweep's worker builds the world of every seed it meets, and at 20,000 residents the
Watts-Strogatz ties were two thirds of a build (0.1 of 0.16 s): Python-level set operations and
half a million calls of ``random.Random``.  Here the Mersenne Twister is CPython's (its integer
seeding, ``random()`` from two 32-bit words, ``choice`` by rejection on ``getrandbits``), so the
draws are Python's, and the neighbour sets are short arrays with the same membership answers, so
the rewiring makes the same choices.  ``tests/test_network_builders.py`` compares the ties with the
Python version over sizes, degrees, rewiring chances and seeds.

Used in a sweep's worker (:func:`simulation.kernels.in_build`), which loads the compiler for its
many runs anyway; a single world's build stays free of it.
"""

from __future__ import annotations

import numba
import numpy as np

jit = numba.njit(cache=True, nogil=True)

_N, _M = 624, 397
_MATRIX_A, _UPPER, _LOWER = np.uint32(0x9908B0DF), np.uint32(0x80000000), np.uint32(0x7FFFFFFF)


@jit
def _seeded(seed):
    # CPython's random.seed(seed) for 0 <= seed < 2**32: init_by_array with the one 32-bit word
    mt = np.empty(_N, dtype=np.uint32)
    mt[0] = np.uint32(19650218)
    for i in range(1, _N):
        prev = np.uint64(mt[i - 1])
        mt[i] = np.uint32((np.uint64(1812433253) * (prev ^ (prev >> np.uint64(30))) + np.uint64(i)) & np.uint64(0xFFFFFFFF))
    i, j = 1, 0
    key = np.uint64(seed)
    for _ in range(_N):  # max(N, key length)
        prev = np.uint64(mt[i - 1])
        mixed = (np.uint64(mt[i]) ^ (((prev ^ (prev >> np.uint64(30))) * np.uint64(1664525)) & np.uint64(0xFFFFFFFF)))
        mt[i] = np.uint32((mixed + key + np.uint64(j)) & np.uint64(0xFFFFFFFF))
        i += 1
        j = 0  # the key has one word
        if i >= _N:
            mt[0] = mt[_N - 1]
            i = 1
    for _ in range(_N - 1):
        prev = np.uint64(mt[i - 1])
        mixed = (np.uint64(mt[i]) ^ (((prev ^ (prev >> np.uint64(30))) * np.uint64(1566083941)) & np.uint64(0xFFFFFFFF)))
        mt[i] = np.uint32((mixed - np.uint64(i)) & np.uint64(0xFFFFFFFF))
        i += 1
        if i >= _N:
            mt[0] = mt[_N - 1]
            i = 1
    mt[0] = np.uint32(0x80000000)
    return mt


@jit
def _twist(mt):
    for kk in range(_N):
        y = (mt[kk] & _UPPER) | (mt[(kk + 1) % _N] & _LOWER)
        v = mt[(kk + _M) % _N] ^ (y >> np.uint32(1))
        if y & np.uint32(1):
            v ^= _MATRIX_A
        mt[kk] = v


@jit
def _next32(mt, at):
    # the next 32-bit output (tempered); at[0] is the position in the state (624: twist first)
    if at[0] >= _N:
        _twist(mt)
        at[0] = 0
    y = mt[at[0]]
    at[0] += 1
    y ^= y >> np.uint32(11)
    y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
    y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
    y ^= y >> np.uint32(18)
    return y


@jit
def _random(mt, at):
    # random.random(): 53 bits from two outputs
    a = _next32(mt, at) >> np.uint32(5)
    b = _next32(mt, at) >> np.uint32(6)
    return (np.float64(a) * 67108864.0 + np.float64(b)) * (1.0 / 9007199254740992.0)


@jit
def _below(mt, at, n, bits):
    # random.choice(range(n)): getrandbits(n.bit_length()) until below n
    r = _next32(mt, at) >> np.uint32(32 - bits)
    while r >= n:
        r = _next32(mt, at) >> np.uint32(32 - bits)
    return np.int64(r)


@jit
def _has(adj, deg, u, w):
    for t in range(deg[u]):
        if adj[u, t] == w:
            return True
    return False


@jit
def _drop(adj, deg, u, w):
    for t in range(deg[u]):
        if adj[u, t] == w:
            deg[u] -= 1
            adj[u, t] = adj[u, deg[u]]
            return


@jit
def _grown(adj):
    wider = np.empty((adj.shape[0], 2 * adj.shape[1]), dtype=adj.dtype)
    wider[:, :adj.shape[1]] = adj
    return wider


@jit
def watts_strogatz_ties(n, k, p, seed):
    # network.watts_strogatz_ties(n, k, p, seed): both directions of every tie
    half = k // 2
    mt = _seeded(seed)
    at = np.full(1, _N, dtype=np.int64)
    adj = np.empty((n, 2 * k + 2), dtype=np.int64)
    deg = np.zeros(n, dtype=np.int64)
    for u in range(n):
        for d in range(-half, half + 1):
            if d:
                adj[u, deg[u]] = (u + d) % n
                deg[u] += 1
    bits = 0
    while (1 << bits) <= n:  # n.bit_length()
        bits += 1
    for j in range(1, half + 1):
        for u in range(n):
            if _random(mt, at) < p:
                w = _below(mt, at, n, bits)
                skip = False
                while w == u or _has(adj, deg, u, w):
                    w = _below(mt, at, n, bits)
                    if deg[u] >= n - 1:
                        skip = True
                        break
                if not skip:
                    v = (u + j) % n
                    _drop(adj, deg, u, v)
                    _drop(adj, deg, v, u)
                    if deg[u] == adj.shape[1] or deg[w] == adj.shape[1]:
                        adj = _grown(adj)
                    adj[u, deg[u]] = w
                    deg[u] += 1
                    adj[w, deg[w]] = u
                    deg[w] += 1
    total = 0
    for u in range(n):
        total += deg[u]
    src = np.empty(total, dtype=np.int64)
    dst = np.empty(total, dtype=np.int64)
    at_edge = 0
    for u in range(n):
        for t in range(deg[u]):
            src[at_edge] = u
            dst[at_edge] = adj[u, t]
            at_edge += 1
    return src, dst
