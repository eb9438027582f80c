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
        if nb.size > self.n // 16:  # many: one counting pass beats ufunc.at's per-element updates
            counts += (np.bincount(nb, minlength=self.n) * delta).astype(counts.dtype, copy=False)
        elif nb.size:
            np.add.at(counts, nb, delta)

    def neighbour_counts(self, flag: np.ndarray) -> np.ndarray:
        """Number of neighbours with ``flag`` set, for every row (a full sparse product).

        Computed by blocks of rows as differences of a running sum over the CSR entries, so no
        sparse-matrix copy of the network is made (at city scale it would take gigabytes).
        """
        flag = np.asarray(flag)
        counts = np.empty(self.n, dtype=np.int32)
        step = 1 << 16  # rows per block: about 0.7 M entries, so the running sum stays a few MiB
        for r0 in range(0, self.n, step):
            r1 = min(r0 + step, self.n)
            e0, e1 = int(self.indptr[r0]), int(self.indptr[r1])
            running = np.zeros(e1 - e0 + 1, dtype=np.int64)
            np.cumsum(flag[self.indices[e0:e1]], out=running[1:])
            ptr = self.indptr[r0:r1 + 1] - e0
            counts[r0:r1] = running[ptr[1:]] - running[ptr[:-1]]
        return counts

    def to_networkx(self) -> nx.Graph:
        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        rows = np.repeat(np.arange(self.n), self.degree)
        mask = rows < self.indices
        g.add_edges_from(zip(rows[mask].tolist(), self.indices[mask].tolist()))
        return g


def _keys(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Entry keys ``a·n + b`` (int64): sorted keys are the CSR entries in row-major order."""
    key = np.multiply(a, n, dtype=np.int64)
    key += b
    return key


def _is_sorted(key: np.ndarray) -> bool:
    return key.size < 2 or bool(np.all(key[1:] >= key[:-1]))


CHUNK = 1 << 20  # entries per chunk when converting keys to column indices (8 MiB of int64 keys)


def _csr_from_edges(n: int, parts: list[tuple[np.ndarray, np.ndarray]]) -> Network:
    """Symmetric, duplicate-free, loop-free CSR from undirected edges given as ``(src, dst)`` parts.

    Every tie becomes two entries, keyed ``row·n + col``; sorting the keys gives the CSR in
    row-major order with each row's neighbours ascending, and equal neighbouring keys are
    duplicate ties.  Builders hand over their edges in parts whose keys are mostly already
    ascending (a ring lattice layer is), so the sort is a merge of a few long sorted runs
    (NumPy's stable sort finds runs) plus one sort of the few unordered keys (rewired and
    cross-community ties) — much faster than a general sort of every entry at city scale.

    Memory: ``parts`` is consumed (emptied) as the keys are written into one preallocated
    array — ordered runs from the front, unordered keys from the back — so the edge list and
    the keys are not all held twice at the peak.
    """
    loops = [int(np.count_nonzero(np.asarray(src) == np.asarray(dst))) for src, dst in parts]
    total = 2 * (sum(np.asarray(src).size for src, _ in parts) - sum(loops))
    key = np.empty(total, dtype=np.int64)
    head, tail = 0, total  # ordered runs fill key[:head], unordered keys key[tail:]
    parts.reverse()
    loops.reverse()
    while parts:
        src, dst = parts.pop()
        if loops.pop():
            keep = np.asarray(src) != np.asarray(dst)
            src, dst = np.asarray(src)[keep], np.asarray(dst)[keep]
        for a, b in ((src, dst), (dst, src)):
            k = _keys(a, b, n)
            if _is_sorted(k):
                key[head:head + k.size] = k
                head += k.size
            else:
                key[tail - k.size:tail] = k
                tail -= k.size
            del k
        del src, dst
    key[tail:].sort()  # the unordered keys, in place
    if not _is_sorted(key):
        key.sort(kind="stable")  # merges the sorted runs (in place)
    # Duplicates (a tie drawn twice, or in both directions) are equal neighbouring keys.
    fresh = np.ones(total, dtype=bool)
    if total > 1:
        np.not_equal(key[1:], key[:-1], out=fresh[1:])
    dups = np.flatnonzero(~fresh)
    starts = np.searchsorted(key, np.arange(n + 1, dtype=np.int64) * n)
    indptr = (starts - np.searchsorted(dups, starts)).astype(np.int64)
    del starts
    degree = np.diff(indptr).astype(np.int32)
    indices = np.empty(total - dups.size, dtype=np.int32)
    pos = 0
    for lo in range(0, total, CHUNK):  # chunked, so no second full-size temporary
        cols = key[lo:lo + CHUNK] % n
        if dups.size:
            cols = cols[fresh[lo:lo + CHUNK]]
        indices[pos:pos + cols.size] = cols
        pos += cols.size
    return Network(indptr=indptr, indices=indices, degree=degree)


def _compact(rows: np.ndarray) -> np.ndarray:
    """Row numbers as int32 when they fit (they do below 2^31 residents): the edge parts wait for
    :func:`_csr_from_edges` together, so halving them lowers the build's peak memory."""
    return rows.astype(np.int32) if rows.size and int(rows.max()) < 2**31 - 1 else rows


def _lattice_rewired(sizes: np.ndarray, k: int, p: float, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Watts-Strogatz edges for consecutive blocks of ``sizes`` nodes, in numpy.

    Layer ``j`` (1 ≤ j ≤ k/2) ties every node to the node ``j`` further round its block's ring;
    each tie is rewired with probability ``p`` to a uniformly drawn member of the block.  The
    edges come back in parts that keep their keys ordered for :func:`_csr_from_edges`: per layer
    the straight ties, the ties that wrap round the ring, and the rewired ties.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    n = int(sizes.sum())
    offsets = np.repeat(np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes)
    block = np.repeat(sizes, sizes)
    local = np.arange(n, dtype=np.int64) - offsets
    half = max(1, k // 2)
    everyone = np.arange(n, dtype=np.int64)
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    for j in range(1, half + 1):
        if n and sizes.min() > j:  # every block has a distinct j-th neighbour
            src, off, blk, loc = everyone, offsets, block, local
        else:
            ok = np.flatnonzero(block > j)
            src, off, blk, loc = everyone[ok], offsets[ok], block[ok], local[ok]
        if src.size == 0:
            continue
        # (loc + j) % blk, as loc + j < 2·blk
        dst = loc + j
        wrap = dst >= blk
        dst[wrap] -= blk[wrap]
        dst += off
        rewire = rng.random(src.size) < p
        moved = np.flatnonzero(rewire)
        dst[moved] = off[moved] + rng.integers(0, blk[moved])
        stay = ~rewire
        straight = stay & ~wrap
        wrapped = stay & wrap
        parts.append((_compact(src[straight]), _compact(dst[straight])))
        parts.append((_compact(src[wrapped]), _compact(dst[wrapped])))
        parts.append((_compact(src[moved]), _compact(dst[moved])))
    return parts


def _networkx_within(sizes: np.ndarray, k: int, p: float, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
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
        return []
    return [(np.concatenate(src_parts), np.concatenate(dst_parts))]


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
    parts = within(community_sizes, params.mean_degree, params.rewire_prob, rng)
    parts.append(_cross_ties(community_sizes, communities_per_district, params.cross_community_ties, rng))
    return _csr_from_edges(n, parts)


def _lattice_rewired_by_block(sizes: np.ndarray, k_block: np.ndarray, p_block: np.ndarray, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`_lattice_rewired` with a ring degree and a rewiring probability of each block's own
    (district tables: villages have fewer and more local ties than city communities)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    n = int(sizes.sum())
    offsets = np.repeat(np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes)
    block = np.repeat(sizes, sizes)
    half_node = np.repeat(np.maximum(1, np.asarray(k_block) // 2), sizes)
    p_node = np.repeat(np.asarray(p_block, dtype=np.float64), sizes)
    local = np.arange(n, dtype=np.int64) - offsets
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    for j in range(1, int(half_node.max(initial=0)) + 1):
        ok = np.flatnonzero((block > j) & (half_node >= j))
        if ok.size == 0:
            continue
        src, off, blk, loc = ok.astype(np.int64), offsets[ok], block[ok], local[ok]
        dst = loc + j
        wrap = dst >= blk
        dst[wrap] -= blk[wrap]
        dst += off
        rewire = rng.random(src.size) < p_node[ok]
        moved = np.flatnonzero(rewire)
        dst[moved] = off[moved] + rng.integers(0, blk[moved])
        stay = ~rewire
        parts.append((_compact(src[stay & ~wrap]), _compact(dst[stay & ~wrap])))
        parts.append((_compact(src[stay & wrap]), _compact(dst[stay & wrap])))
        parts.append((_compact(src[moved]), _compact(dst[moved])))
    return parts


def _networkx_by_block(sizes: np.ndarray, k_block: np.ndarray, p_block: np.ndarray, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    parts = []
    offset = 0
    for size, k, p in zip(sizes.tolist(), np.asarray(k_block).tolist(), np.asarray(p_block).tolist()):
        for src, dst in _networkx_within(np.array([size]), int(k), float(p), rng):
            parts.append((src + offset, dst + offset))
        offset += size
    return parts


def build_network_for_layout(layout, params: NetworkParams, rng: np.random.Generator) -> Network:
    """The network of a district-table world: each district's ring degree, rewiring and
    cross-community ties come from its urban type (``simulation/districts.py``)."""
    sizes = np.asarray(layout.community_sizes, dtype=np.int64)
    n = int(sizes.sum())
    dist = layout.district_of_comm
    builder = params.builder
    if builder == "auto":
        builder = "networkx" if n <= AUTO_NETWORKX_MAX else "vectorized"
    within = _networkx_by_block if builder == "networkx" else _lattice_rewired_by_block
    parts = within(sizes, layout.mean_degree_d[dist], layout.rewire_prob_d[dist], rng)
    # Cross-community ties within each district, at the district's own rate.
    district_sizes = np.bincount(dist, weights=sizes, minlength=layout.n_districts).astype(np.int64)
    district_start = np.concatenate(([0], np.cumsum(district_sizes)[:-1]))
    weight = district_sizes * np.asarray(layout.cross_ties_d, dtype=np.float64)
    n_ties = rng.poisson(weight.sum() / 2.0)
    if n_ties:
        d = rng.choice(layout.n_districts, size=n_ties, p=weight / weight.sum())
        src = district_start[d] + rng.integers(0, district_sizes[d])
        dst = district_start[d] + rng.integers(0, district_sizes[d])
        parts.append((src, dst))
    return _csr_from_edges(n, parts)
