"""Seeds for runs, derived from one root seed so every run is reproducible on its own.

Why keyed derivation instead of drawing seeds in order: a seed that depends only on
``(root_seed, replicate)`` (or ``(root_seed, point, replicate)``) is the same whatever the
executor, the number of workers, the order runs finish in, or whether the experiment was
interrupted and resumed. Nothing is drawn from a shared stream.

Two schemes
-----------
``replicate_seed(root, r)`` -- **common random numbers** (the default for experiments).
    Replicate *r* of EVERY scenario and EVERY design point gets the same seed. Scenario
    comparisons are then paired by replicate (the shared noise cancels in differences), and the
    points of a sweep are paired across replicates too: replicate 0 of point A and replicate 0
    of point B see the same random stream, so differences between points are less noisy.

``run_seed(root, point_key, r)`` -- **independent streams** per (point, replicate), for when
    pairing is not wanted (spec ``seeds: independent``).

Both use ``numpy.random.SeedSequence(root_seed, spawn_key=...)``, which is exactly the child
``SeedSequence(root_seed).spawn(...)`` would produce at that position, and return a plain
non-negative 63-bit ``int`` that Mesa, ``random.Random`` and ``numpy.random.default_rng`` accept.
"""

from __future__ import annotations

import hashlib

import numpy as np

# Namespaces keep the two schemes from ever producing the same child for the same numbers.
_CRN_NAMESPACE = 0
_INDEPENDENT_NAMESPACE = 1


def _to_int(seq: np.random.SeedSequence) -> int:
    """A 63-bit int from a SeedSequence (63 bits so it also fits a signed int64 column)."""
    return int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def stable_int(text: str) -> int:
    """A stable 64-bit integer for a string (sha256; unlike ``hash()`` it is not salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _check(root_seed: int, replicate: int) -> None:
    if int(root_seed) < 0:
        raise ValueError(f"root_seed must be >= 0, got {root_seed}")
    if int(replicate) < 0:
        raise ValueError(f"replicate must be >= 0, got {replicate}")


def replicate_seed(root_seed: int, replicate: int) -> int:
    """Seed of replicate ``replicate``, shared by all scenarios and design points (common random numbers)."""
    _check(root_seed, replicate)
    return _to_int(np.random.SeedSequence(int(root_seed), spawn_key=(_CRN_NAMESPACE, int(replicate))))


def run_seed(root_seed: int, point_key: str, replicate: int) -> int:
    """Seed of one (point, replicate) pair, independent of every other point (no pairing)."""
    _check(root_seed, replicate)
    key = (_INDEPENDENT_NAMESPACE, stable_int(point_key), int(replicate))
    return _to_int(np.random.SeedSequence(int(root_seed), spawn_key=key))


def design_seed(root_seed: int, purpose: str) -> int:
    """A seed for a sampler (LHS, Sobol scrambling, Morris, Optuna TPE) derived from the root seed."""
    return run_seed(root_seed, f"design:{purpose}", 0) % (2**32)
