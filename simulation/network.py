"""The community social network as a CSR adjacency, and neighbour sums over it.

Within each community residents are tied by a Watts-Strogatz small world (ring lattice of
``mean_degree`` with rewiring); a few extra ties join residents of different communities of the
same district.  Two builders give the same degree structure:

* ``networkx`` — ``nx.watts_strogatz_graph`` per community, seeded from the model's rng (small runs,
  and the reference);
* ``vectorized`` — the same lattice-and-rewire construction in numpy, for millions of residents.

Daily processes never walk the graph in Python: they keep neighbour *counts* (informed neighbours,
volunteer neighbours) and update them incrementally from the rows that changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

from simulation.config import NetworkParams

AUTO_NETWORKX_MAX = 200_000


@dataclass
class Network:
    indptr: np.ndarray  # int64 (n + 1)
    indices: np.ndarray  # int32 neighbours, row-sorted
    degree: np.ndarray  # int32

    @property
    def n(self) -> int:
        return len(self.degree)

    @property
    def n_ties(self) -> int:
        return int(len(self.indices) // 2)

    def neighbours_of(self, rows: np.ndarray) -> np.ndarray:
        """All neighbour indices of ``rows``, concatenated (with repeats)."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return np.empty(0, dtype=np.int32)
        starts = self.indptr[rows]
        lens = self.indptr[rows + 1] - starts
        total = int(lens.sum())
        if total == 0:
            return np.empty(0, dtype=np.int32)
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
        return self.indices[offsets + np.arange(total)]

    def add_to_neighbour_counts(self, counts: np.ndarray, rows: np.ndarray, delta: int = 1) -> None:
        """``counts[j] += delta`` for every neighbour j of each row (incremental neighbour sums)."""
        nb = self.neighbours_of(rows)
        if nb.size:
            np.add.at(counts, nb, delta)

    def neighbour_counts(self, flag: np.ndarray) -> np.ndarray:
        """Number of neighbours with ``flag`` set, for every row (a full sparse product)."""
        csr = sp.csr_matrix(
            (np.ones(len(self.indices), dtype=np.float32), self.indices, self.indptr),
            shape=(self.n, self.n),
        )
        return np.asarray(csr @ flag.astype(np.float32)).astype(np.int32)

    def to_networkx(self) -> nx.Graph:
        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        rows = np.repeat(np.arange(self.n), self.degree)
        mask = rows < self.indices
        g.add_edges_from(zip(rows[mask].tolist(), self.indices[mask].tolist()))
        return g


def _csr_from_edges(n: int, src: np.ndarray, dst: np.ndarray) -> Network:
    """Symmetric, duplicate-free, loop-free CSR from an undirected edge list."""
    keep = src != dst
    src, dst = src[keep], dst[keep]
    a = np.minimum(src, dst).astype(np.int64)
    b = np.maximum(src, dst).astype(np.int64)
    key = np.unique(a * n + b)
    a, b = (key // n).astype(np.int32), (key % n).astype(np.int32)
    rows = np.concatenate([a, b])
    cols = np.concatenate([b, a])
    order = np.lexsort((cols, rows))
    rows, cols = rows[order], cols[order]
    degree = np.bincount(rows, minlength=n).astype(np.int32)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(degree, out=indptr[1:])
    return Network(indptr=indptr, indices=cols.astype(np.int32), degree=degree)


def _lattice_rewired(sizes: np.ndarray, k: int, p: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Watts-Strogatz edges for consecutive blocks of ``sizes`` nodes, in numpy."""
    n = int(sizes.sum())
    offsets = np.repeat(np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes)
    block = np.repeat(sizes, sizes)
    local = np.arange(n) - offsets
    half = max(1, k // 2)
    src_parts, dst_parts = [], []
    for j in range(1, half + 1):
        ok = block > j  # a block needs more than j members for a distinct j-th neighbour
        src = np.arange(n)[ok]
        dst = offsets[ok] + (local[ok] + j) % block[ok]
        rewire = rng.random(src.size) < p
        dst = dst.copy()
        dst[rewire] = offsets[ok][rewire] + rng.integers(0, block[ok][rewire])
        src_parts.append(src)
        dst_parts.append(dst)
    return np.concatenate(src_parts), np.concatenate(dst_parts)


def _networkx_within(sizes: np.ndarray, k: int, p: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    src_parts, dst_parts = [], []
    offset = 0
    for size in sizes.tolist():
        kk = min(k, size - 1 - ((size - 1) % 2)) if size > 2 else 0
        if kk >= 2:
            g = nx.watts_strogatz_graph(size, kk, p, seed=int(rng.integers(2**31 - 1)))
            e = np.asarray(g.edges(), dtype=np.int64).reshape(-1, 2)
            src_parts.append(e[:, 0] + offset)
            dst_parts.append(e[:, 1] + offset)
        elif size == 2:
            src_parts.append(np.array([offset]))
            dst_parts.append(np.array([offset + 1]))
        offset += size
    if not src_parts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(src_parts), np.concatenate(dst_parts)


def _cross_ties(community_sizes: np.ndarray, per_district: int, ties_per_person: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random ties between residents of the same district (other communities, mostly)."""
    n = int(community_sizes.sum())
    n_ties = rng.poisson(n * ties_per_person / 2.0)
    if n_ties == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    n_comm = len(community_sizes)
    district_of_comm = np.arange(n_comm) // per_district
    district_sizes = np.bincount(district_of_comm, weights=community_sizes).astype(np.int64)
    district_start = np.concatenate(([0], np.cumsum(district_sizes)[:-1]))
    person_district = np.repeat(district_of_comm, community_sizes)
    src = rng.integers(0, n, n_ties)
    d = person_district[src]
    dst = district_start[d] + rng.integers(0, district_sizes[d])
    return src, dst


def build_network(community_sizes: np.ndarray, communities_per_district: int, params: NetworkParams, rng: np.random.Generator) -> Network:
    """The community network for residents laid out in consecutive community blocks."""
    n = int(community_sizes.sum())
    builder = params.builder
    if builder == "auto":
        builder = "networkx" if n <= AUTO_NETWORKX_MAX else "vectorized"
    within = _networkx_within if builder == "networkx" else _lattice_rewired
    s1, d1 = within(community_sizes, params.mean_degree, params.rewire_prob, rng)
    s2, d2 = _cross_ties(community_sizes, communities_per_district, params.cross_community_ties, rng)
    return _csr_from_edges(n, np.concatenate([s1, s2]), np.concatenate([d1, d2]))
