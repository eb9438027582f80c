"""The small-world builder of small worlds is networkx's Watts-Strogatz, re-done on neighbour sets
for speed: it must give networkx's graph, tie for tie, for every size, degree, rewiring and seed —
and so must its compiled twin (``simulation/compiled_network.py``, used in a sweep's workers)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from simulation.network import watts_strogatz_ties


def _builders():
    """The Python builder, and the compiled one where numba is installed."""
    try:
        from simulation.compiled_network import watts_strogatz_ties as compiled
    except ImportError:  # pragma: no cover - numba is a declared dependency
        return (watts_strogatz_ties,)
    return (watts_strogatz_ties, compiled)


def test_compiled_builder_in_a_sweep_worker_gives_the_same_world(monkeypatch):
    """Where the compiled loops are on (a sweep's worker) the model builds its network with the
    compiled builder: the same network as a plain build."""
    from simulation import kernels, load_config
    from simulation.model import CommunitySafetyModel

    cfg = load_config({"world": {"n_residents": 4000, "n_districts": 2, "communities_per_district": 2}})
    plain = CommunitySafetyModel(cfg, seed=3)
    with kernels.for_all_sizes(True):
        compiled = CommunitySafetyModel(cfg, seed=3)
    assert not kernels.enabled(plain) and kernels.enabled(compiled)
    assert np.array_equal(plain.network.indptr, compiled.network.indptr)
    assert np.array_equal(plain.network.indices, compiled.network.indices)
    assert plain.streams["build"].bit_generator.state == compiled.streams["build"].bit_generator.state


def _ties(src: np.ndarray, dst: np.ndarray) -> set[tuple[int, int]]:
    return {(min(a, b), max(a, b)) for a, b in zip(src.tolist(), dst.tolist())}


@pytest.mark.parametrize("n,k", [(3, 2), (4, 2), (5, 4), (7, 6), (10, 4), (37, 10), (200, 10), (1500, 12)])
@pytest.mark.parametrize("p", [0.0, 0.05, 0.3, 1.0])
def test_the_same_graph_as_networkx(n, k, p):
    for seed in (0, 1, 12345, 2**31 - 2):
        want = {(min(a, b), max(a, b)) for a, b in nx.watts_strogatz_graph(n, k, p, seed=seed).edges()}
        for builder in _builders():
            src, dst = builder(n, k, p, seed)
            assert _ties(src, dst) == want
            # each tie in both directions, once
            assert src.size == 2 * len(want) and len(set(zip(src.tolist(), dst.tolist()))) == src.size


def test_rewiring_happens():
    src, dst = watts_strogatz_ties(500, 10, 0.2, 7)
    ring = {(u, (u + d) % 500) for u in range(500) for d in range(1, 6)}
    ring = {(min(a, b), max(a, b)) for a, b in ring}
    assert len(_ties(src, dst) - ring) > 100
