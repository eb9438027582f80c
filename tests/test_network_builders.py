"""The small-world builder of small worlds is networkx's Watts-Strogatz, re-done on neighbour sets
for speed: it must give networkx's graph, tie for tie, for every size, degree, rewiring and seed."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from simulation.network import watts_strogatz_ties


def _ties(src: np.ndarray, dst: np.ndarray) -> set[tuple[int, int]]:
    return {(min(a, b), max(a, b)) for a, b in zip(src.tolist(), dst.tolist())}


@pytest.mark.parametrize("n,k", [(3, 2), (4, 2), (5, 4), (7, 6), (10, 4), (37, 10), (200, 10), (1500, 12)])
@pytest.mark.parametrize("p", [0.0, 0.05, 0.3, 1.0])
def test_the_same_graph_as_networkx(n, k, p):
    for seed in (0, 1, 12345, 2**31 - 2):
        want = {(min(a, b), max(a, b)) for a, b in nx.watts_strogatz_graph(n, k, p, seed=seed).edges()}
        src, dst = watts_strogatz_ties(n, k, p, seed)
        assert _ties(src, dst) == want
        # each tie in both directions, once
        assert src.size == 2 * len(want) and len(set(zip(src.tolist(), dst.tolist()))) == src.size


def test_rewiring_happens():
    src, dst = watts_strogatz_ties(500, 10, 0.2, 7)
    ring = {(u, (u + d) % 500) for u in range(500) for d in range(1, 6)}
    ring = {(min(a, b), max(a, b)) for a, b in ring}
    assert len(_ties(src, dst) - ring) > 100
