"""The community social network as a CSR adjacency, and neighbour sums over it.

Within each community residents are tied by a Watts-Strogatz small world (ring lattice of
``mean_degree`` with rewiring); a few extra ties join residents of different communities of the
same district.  Two builders give the same degree structure:

* ``networkx`` — networkx's Watts-Strogatz graph per community, seeded from the model's rng (small
  runs, and the reference), built by :func:`watts_strogatz_ties` — networkx's algorithm and draws on
  plain neighbour sets, the same graph in a third of the time;
* ``vectorized`` — the same lattice-and-rewire construction in numpy, for millions of residents.

Daily processes never walk the graph in Python: they keep neighbour *counts* (informed neighbours,
volunteer neighbours) and update them incrementally from the rows that changed.
"""

from __future__ import annotations

import itertools
import random
import sys
from dataclasses import dataclass

import networkx as nx
import numpy as np

from simulation.config import NetworkParams

AUTO_NETWORKX_MAX = 200_000


@dataclass
class Network:
    indptr: np.ndarray  # int32 (n + 1) (int64 past 2**31 entries)
    indices: np.ndarray  # int32 neighbours, row-sorted
    degree: np.ndarray  # int16 (int32 if a resident has more than 32,767 contacts)

    def __post_init__(self) -> None:
        # The smallest integer types that hold the offsets and the degrees (and so the neighbour
        # counts kept per resident): at a million residents int64 offsets and int32 counts held
        # 13 MB that nothing needed.
        if self.indptr[-1] <= np.iinfo(np.int32).max:
            self.indptr = self.indptr.astype(np.int32, copy=False)
        self.degree = self.degree.astype(count_type(self.degree), copy=False)

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

    def add_to_neighbour_counts(self, counts: np.ndarray, rows: np.ndarray, delta: int = 1, loops=None) -> None:
        """``counts[j] += delta`` for every neighbour j of each row (incremental neighbour sums).

        ``loops``: the compiled loops (``simulation.kernels``) when the model uses them — one pass
        over the rows' ties instead of gathering them first."""
        if loops is not None:
            loops.add_neighbour_counts(self.indptr, self.indices, counts, np.asarray(rows, dtype=np.int64), delta)
            return
        nb = self.neighbours_of(rows)
        if nb.size > self.n // 16:  # many: one counting pass beats ufunc.at's per-element updates
            counts += (np.bincount(nb, minlength=self.n) * delta).astype(counts.dtype, copy=False)
        elif nb.size:
            np.add.at(counts, nb, delta)

    def neighbour_counts(self, flag: np.ndarray) -> np.ndarray:
        """Number of neighbours with ``flag`` set, for every row (a full sparse product).

        Computed by blocks of rows: the flags of a block's neighbours gathered as bytes, then
        summed per row with ``np.add.reduceat`` at the rows' starts — no sparse-matrix copy of the
        network is made (at city scale it would take gigabytes) and no running sum is kept.
        """
        flag = np.asarray(flag, dtype=bool).view(np.int8)
        counts = np.zeros(self.n, dtype=self.degree.dtype)
        step = 1 << 16  # rows per block: about 0.7 M entries, so the gathered flags stay under a MiB
        for r0 in range(0, self.n, step):
            r1 = min(r0 + step, self.n)
            e0, e1 = int(self.indptr[r0]), int(self.indptr[r1])
            if e1 == e0:
                continue
            starts = self.indptr[r0:r1] - e0
            # reduceat wants in-range starts; a row without neighbours gets a value here (its start
            # is its successor's) that is reset to 0 below
            np.minimum(starts, e1 - e0 - 1, out=starts)
            np.add.reduceat(np.take(flag, self.indices[e0:e1]), starts, dtype=counts.dtype, out=counts[r0:r1])
        counts[self.degree == 0] = 0
        return counts

    def to_networkx(self) -> nx.Graph:
        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        rows = np.repeat(np.arange(self.n), self.degree)
        mask = rows < self.indices
        g.add_edges_from(zip(rows[mask].tolist(), self.indices[mask].tolist()))
        return g


# An entry (row, col) of the adjacency is the int64 key ``row << 32 | col``: sorted keys are the CSR
# entries in row-major order with each row's neighbours ascending (rows and columns are below 2^31),
# and the column is the key's low 32-bit half — read as a strided int32 view, no division.
_LOW = 0 if sys.byteorder == "little" else 1  # the int32 half of an int64 that holds the low bits


def _write_keys(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """``out[:] = a << 32 | b`` in int64, written in place (no temporary the size of the part)."""
    np.left_shift(a, 32, out=out, dtype=np.int64)
    np.add(out, b, out=out, dtype=np.int64)


def _is_sorted(key: np.ndarray) -> bool:
    return key.size < 2 or bool(np.all(key[1:] >= key[:-1]))


CHUNK = 1 << 20  # entries per chunk when converting keys to column indices (8 MiB of int64 keys)
LATTICE_ROWS = 1 << 14  # rows per block when filling in a lattice's ties (temporaries of about a MiB)


def _add_lattice(n: int, straight: list[np.ndarray], parts: list[tuple[np.ndarray, np.ndarray]]) -> Network:
    """The network of a ring lattice's straight ties and the ties in ``parts``, merged row by row.

    ``straight[j - 1][r]`` is True when row ``r`` keeps its tie to row ``r + j``: row ``r``'s
    lattice neighbours are ``r - j`` where ``straight[j - 1][r - j]`` and ``r + j`` where
    ``straight[j - 1][r]`` (1 ≤ j ≤ h), already in order.  So the merged network needs no sort
    of its millions of lattice entries: each row's size is known from the masks; each entry of
    the other ties (the few rewired, wrapped and cross-community ones, sorted on their own) goes
    to its place — the row's start, plus the row's lattice neighbours below it, plus its rank
    among the row's other entries — and the lattice neighbours fill the remaining places in
    order.  A tie in both is kept once.  ``straight`` and ``parts`` are consumed (emptied).
    """
    h = len(straight)
    key = _sorted_keys(n, parts)
    if key.size > 1:
        fresh = np.empty(key.size, dtype=bool)
        fresh[0] = True
        np.not_equal(key[1:], key[:-1], out=fresh[1:])
        if not fresh.all():
            key = key[fresh]
        del fresh
    rows = (key >> 32).astype(np.int32)  # row and column of each other entry, in CSR order
    cols = key.view(np.int32)[_LOW::2]
    gap = cols - rows  # column − row: only |gap| ≤ h can be a lattice tie, or lie among them
    near = np.flatnonzero(np.abs(gap) <= h)
    if near.size:  # drop other entries that are lattice ties too
        j, low = np.abs(gap[near]), np.minimum(rows[near], cols[near])
        both = np.zeros(near.size, dtype=bool)
        for jj, s in enumerate(straight, start=1):
            at = np.flatnonzero(j == jj)
            both[at] = s[low[at]]
        if both.any():
            keep = np.ones(rows.size, dtype=bool)
            keep[near[both]] = False
            rows, cols, gap = rows[keep], cols[keep], gap[keep]
            near = np.flatnonzero(np.abs(gap) <= h)
    n_other = np.bincount(rows, minlength=n).astype(np.int32)
    n_lattice = np.zeros(n, dtype=np.int32)
    for j, s in enumerate(straight, start=1):
        n_lattice += s  # (r, r + j)
        n_lattice[j:] += s[:-j]  # (r, r - j)
    degree = n_lattice + n_other
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(degree, out=indptr[1:])
    # Place of the i-th other entry: i (other entries before it: all those of earlier rows and its
    # rank in its row) plus the lattice entries before it — those of earlier rows, and of its own
    # row all if gap > h, none if gap < −h, and those below it in between.
    lattice_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(n_lattice, out=lattice_start[1:])
    place = lattice_start[rows + (gap > 0)]
    if near.size:
        r, g = rows[near], gap[near]
        count = np.zeros(near.size, dtype=np.int64)
        for j, s in enumerate(straight, start=1):
            count += (g > -j) & (r >= j) & s[np.maximum(r - j, 0)]  # lattice neighbour r − j is below
            count += (g > j) & s[r]  # lattice neighbour r + j is below
        place[near] = lattice_start[r] + count
    place += np.arange(place.size)
    del rows, gap, lattice_start
    other_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(n_other, out=other_start[1:])
    # By blocks of rows: the other entries to their places, then the lattice neighbours, in
    # order, into the places left.
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    offsets = np.concatenate((np.arange(-h, 0), np.arange(1, h + 1))).astype(np.int32)
    mask = np.empty((min(LATTICE_ROWS, n), 2 * h), dtype=bool)
    grid = np.arange(mask.shape[0], dtype=np.int32)[:, None] + offsets  # column − r0 of each (row, offset)
    columns = np.empty_like(grid)
    for r0 in range(0, n, LATTICE_ROWS):
        r1 = min(r0 + LATTICE_ROWS, n)
        m = mask[:r1 - r0]
        for j, s in enumerate(straight, start=1):
            below_j, above_j = m[:, h - j], m[:, h + j - 1]
            first = min(max(r0, j), r1)  # rows from here on can have a tie to row r - j
            below_j[:first - r0] = False
            below_j[first - r0:] = s[first - j:r1 - j]
            above_j[:] = s[r0:r1]
        e0, e1 = int(indptr[r0]), int(indptr[r1])
        o0, o1 = int(other_start[r0]), int(other_start[r1])
        at = place[o0:o1] - e0
        segment = indices[e0:e1]
        segment[at] = cols[o0:o1]
        free = np.ones(e1 - e0, dtype=bool)
        free[at] = False
        c = np.add(grid[:r1 - r0], np.int32(r0), out=columns[:r1 - r0])
        segment[free] = np.compress(m.ravel(), c.ravel())  # row-major: each row's neighbours ascending
    straight.clear()
    return Network(indptr=indptr, indices=indices, degree=degree)


def _csr_from_edges(n: int, parts: list[tuple[np.ndarray, np.ndarray]], lattice: list[np.ndarray] | None = None) -> Network:
    """Symmetric, duplicate-free, loop-free CSR from undirected edges given as ``(src, dst)`` parts,
    plus optionally the straight ties of a ring lattice (``lattice``, see :func:`_add_lattice`).

    Every tie becomes two entries, keyed ``row << 32 | col``; sorting the keys gives the CSR in
    row-major order with each row's neighbours ascending, and equal neighbouring keys are
    duplicate ties.  Builders hand over their edges in parts whose keys are mostly already
    ascending, so the sort is a merge of a few long sorted runs (NumPy's stable sort finds runs)
    plus one sort of the few unordered keys — much faster than a general sort of every entry.

    Memory: ``parts`` (and ``lattice``) are consumed (emptied) as the keys are written into one
    preallocated array — ordered runs from the front, unordered keys from the back — so the edge
    list and the keys are not all held twice at the peak.
    """
    return _add_lattice(n, lattice, parts) if lattice else _csr_of_parts(n, parts)


def _sorted_keys(n: int, parts: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The keys of both entries of every tie in ``parts`` (loops dropped), sorted; duplicates
    (a tie drawn twice, or in both directions) are equal neighbours.  ``parts`` is consumed."""
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
            size = np.asarray(a).size
            run = key[head:head + size]
            _write_keys(a, b, run)
            if _is_sorted(run):
                head += size
            else:  # move it to the back (numpy copies safely if the two ranges overlap)
                key[tail - size:tail] = run
                tail -= size
        del src, dst, run
    key[tail:].sort()  # the unordered keys, in place
    key.sort(kind="stable")  # merges the sorted runs (in place; one pass if there is only one)
    return key


def _csr_of_parts(n: int, parts: list[tuple[np.ndarray, np.ndarray]]) -> Network:
    """:func:`_csr_from_edges` of ``parts`` alone."""
    key = _sorted_keys(n, parts)
    total = key.size
    # One pass over the sorted keys, a chunk at a time: drop duplicates (a tie drawn twice, or in
    # both directions: equal neighbouring keys), count each row's entries and keep each entry's
    # column.  The columns are written over the front of the key array itself — the int32 columns
    # of the entries read so far take at most half the bytes their keys did, so they never reach
    # keys not yet read — and the array is then cut to their size: no second array the size of
    # the network is allocated.
    columns = key.view(np.int32)
    degree = np.zeros(n, dtype=np.int32)
    pos, last = 0, -1  # keys are never negative
    chunk = kept = None
    for lo in range(0, total, CHUNK):
        chunk = key[lo:lo + CHUNK]
        fresh = np.empty(chunk.size, dtype=bool)
        fresh[0] = chunk[0] != last
        np.not_equal(chunk[1:], chunk[:-1], out=fresh[1:])
        last = int(chunk[-1])
        kept = chunk if fresh.all() else chunk[fresh]
        rows = kept >> 32  # ascending
        first = int(rows[0])
        rows -= first
        degree[first:first + int(rows[-1]) + 1] += np.bincount(rows).astype(np.int32)
        # (where kept is the chunk itself and the two ranges overlap, numpy copies through a buffer)
        columns[pos:pos + kept.size] = kept.view(np.int32)[_LOW::2]
        pos += kept.size
    del columns, chunk, kept
    key.resize((pos + 1) // 2, refcheck=False)  # no view of it is left; shrinking frees the rest
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(degree, out=indptr[1:])
    return Network(indptr=indptr, indices=key.view(np.int32)[:pos], degree=degree)


def count_type(degree: np.ndarray) -> type:
    """int16 if every degree (and so every count of flagged neighbours) fits in it, else int32."""
    return np.int16 if degree.size == 0 or int(degree.max()) <= np.iinfo(np.int16).max else np.int32


def _compact(rows: np.ndarray) -> np.ndarray:
    """Row numbers as int32 when they fit (they do below 2^31 residents): the edge parts wait for
    :func:`_csr_from_edges` together, so halving them lowers the build's peak memory."""
    return rows.astype(np.int32) if rows.size and int(rows.max()) < 2**31 - 1 else rows


def _lattice_rewired(sizes: np.ndarray, k: int, p: float, rng: np.random.Generator) -> tuple[list[np.ndarray], list[tuple[np.ndarray, np.ndarray]]]:
    """Watts-Strogatz edges for consecutive blocks of ``sizes`` nodes, in numpy: ring degree ``k``
    and rewiring probability ``p`` in every block (see :func:`_lattice_rewired_by_block`)."""
    blocks = len(sizes)
    return _lattice_rewired_by_block(sizes, np.full(blocks, k), np.full(blocks, p, dtype=np.float64), rng)


def watts_strogatz_ties(n: int, k: int, p: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ties of ``nx.watts_strogatz_graph(n, k, p, seed=seed)`` (2 <= k < n), each in both
    directions: the same algorithm and the same draws from ``random.Random(seed)`` in the same
    order, on a list of neighbour sets instead of a networkx graph — the same graph in a third of
    the time (building it was nearly all of building a 20,000-resident world).
    ``tests/test_network_builders.py`` compares the two over sizes, degrees and seeds."""
    rnd = random.Random(seed)
    half = k // 2
    adj = [{(u + d) % n for d in range(-half, half + 1) if d} for u in range(n)]
    nodes = list(range(n))
    for j in range(1, half + 1):  # networkx's loops: layer by layer, then node by node
        for u in nodes:
            if rnd.random() < p:
                here = adj[u]
                w = rnd.choice(nodes)
                while w == u or w in here:  # no self-loops or multiple ties
                    w = rnd.choice(nodes)
                    if len(here) >= n - 1:
                        break  # skip this rewiring
                else:
                    v = (u + j) % n
                    here.remove(v)
                    adj[v].remove(u)
                    here.add(w)
                    adj[w].add(u)
    src = np.repeat(np.arange(n, dtype=np.int64), [len(a) for a in adj])
    dst = np.fromiter(itertools.chain.from_iterable(adj), dtype=np.int64, count=src.size)
    return src, dst


def _networkx_within(sizes: np.ndarray, k: int, p: float, rng: np.random.Generator, ties=None) -> list[tuple[np.ndarray, np.ndarray]]:
    ties = ties or watts_strogatz_ties
    src_parts, dst_parts = [], []
    offset = 0
    for size in sizes.tolist():
        kk = min(k, size - 1 - ((size - 1) % 2)) if size > 2 else 0
        if kk >= 2:
            src, dst = ties(size, kk, p, int(rng.integers(2**31 - 1)))
            src_parts.append(src + offset)
            dst_parts.append(dst + offset)
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
    src = rng.integers(0, n, n_ties)
    d = np.searchsorted(district_start, src, side="right") - 1  # the district of each src resident
    dst = district_start[d] + rng.integers(0, district_sizes[d])
    return src, dst


def build_network(community_sizes: np.ndarray, communities_per_district: int, params: NetworkParams, rng: np.random.Generator,
                  ties=None) -> Network:
    """The community network for residents laid out in consecutive community blocks.  ``ties``:
    a function giving :func:`watts_strogatz_ties` (e.g. its compiled twin; default that function)."""
    n = int(community_sizes.sum())
    builder = params.builder
    if builder == "auto":
        builder = "networkx" if n <= AUTO_NETWORKX_MAX else "vectorized"
    if builder == "networkx":
        straight, parts = [], _networkx_within(community_sizes, params.mean_degree, params.rewire_prob, rng, ties)
    else:
        straight, parts = _lattice_rewired(community_sizes, params.mean_degree, params.rewire_prob, rng)
    parts.append(_cross_ties(community_sizes, communities_per_district, params.cross_community_ties, rng))
    return _csr_from_edges(n, parts, straight)


def _lattice_rewired_by_block(sizes: np.ndarray, k_block: np.ndarray, p_block: np.ndarray, rng: np.random.Generator) -> tuple[list[np.ndarray], list[tuple[np.ndarray, np.ndarray]]]:
    """Watts-Strogatz edges for consecutive blocks of ``sizes`` nodes, in numpy, with a ring degree
    and a rewiring probability of each block's own (district tables: villages have fewer and more
    local ties than city communities).

    Layer ``j`` (1 ≤ j ≤ k/2 of the block) ties every node to the node ``j`` further round its
    block's ring; each tie is rewired with probability ``p`` to a uniformly drawn member of the
    block.  Returns ``(straight, parts)`` for :func:`_csr_from_edges`: per layer, a mask of the
    nodes whose tie to node + ``j`` stays as it was (most ties: no edge list is made for them),
    and as ``(src, dst)`` parts the ties that wrap round the ring and the rewired ties.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    n = int(sizes.sum())
    ends = np.cumsum(sizes)
    offsets = np.repeat(ends - sizes, sizes)
    block = np.repeat(sizes, sizes)
    half = np.maximum(1, np.asarray(k_block, dtype=np.int64) // 2)
    p_block = np.asarray(p_block, dtype=np.float64)
    same_p = p_block.size == 0 or bool(np.all(p_block == p_block[0]))
    p_node = None if same_p else np.repeat(p_block, sizes)
    straight: list[np.ndarray] = []
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    for j in range(1, int(half[sizes > 0].max(initial=0)) + 1):
        eligible = (sizes > j) & (half >= j)  # blocks whose nodes have a distinct j-th neighbour in this layer
        if not eligible.any():
            continue
        every = bool(eligible.all())
        src = None if every else np.flatnonzero(np.repeat(eligible, sizes))
        m = n if every else src.size
        p = float(p_block[0]) if same_p else (p_node if every else p_node[src])
        rewire = rng.random(m) < p
        moved = np.flatnonzero(rewire)
        if not every:
            moved = src[moved]
        dst_moved = offsets[moved] + rng.integers(0, block[moved])
        # The ties that wrap round the ring: the last j nodes of each eligible block.
        wrap = (ends[eligible][:, None] - np.arange(j, 0, -1)).ravel()
        wrap_pos = wrap if every else np.searchsorted(src, wrap)
        stay = ~rewire
        kept = stay[wrap_pos]
        stay[wrap_pos] = False
        if every:
            straight.append(stay)
        else:
            mask = np.zeros(n, dtype=bool)
            mask[src[stay]] = True
            straight.append(mask)
        wrap = wrap[kept]
        parts.append((_compact(wrap), _compact(wrap + j - block[wrap])))
        parts.append((_compact(moved), _compact(dst_moved)))
    return straight, parts


def _networkx_by_block(sizes: np.ndarray, k_block: np.ndarray, p_block: np.ndarray, rng: np.random.Generator, ties=None) -> list[tuple[np.ndarray, np.ndarray]]:
    parts = []
    offset = 0
    for size, k, p in zip(sizes.tolist(), np.asarray(k_block).tolist(), np.asarray(p_block).tolist()):
        for src, dst in _networkx_within(np.array([size]), int(k), float(p), rng, ties):
            parts.append((src + offset, dst + offset))
        offset += size
    return parts


def build_network_for_layout(layout, params: NetworkParams, rng: np.random.Generator, ties=None) -> Network:
    """The network of a district-table world: each district's ring degree, rewiring and
    cross-community ties come from its urban type (``simulation/districts.py``); ``ties`` as in
    :func:`build_network`."""
    sizes = np.asarray(layout.community_sizes, dtype=np.int64)
    n = int(sizes.sum())
    dist = layout.district_of_comm
    builder = params.builder
    if builder == "auto":
        builder = "networkx" if n <= AUTO_NETWORKX_MAX else "vectorized"
    if builder == "networkx":
        straight, parts = [], _networkx_by_block(sizes, layout.mean_degree_d[dist], layout.rewire_prob_d[dist], rng, ties)
    else:
        straight, parts = _lattice_rewired_by_block(sizes, layout.mean_degree_d[dist], layout.rewire_prob_d[dist], rng)
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
    return _csr_from_edges(n, parts, straight)
