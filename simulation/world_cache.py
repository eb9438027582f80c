"""A per-process cache of built worlds, so scenarios that share a world build it once.

Why: in a sweep under common random numbers, replicate *r* of every scenario has the same seed
and — when the scenarios differ only in levers or process parameters — the same world (synthetic
population, network, places, police, organizations).  Building it is a large share of a short
run (the networkx builder of the baseline district most of all), so a worker that runs several
scenarios of one replicate builds it once.

What is cached is exactly the part of ``CommunitySafetyModel._build`` that comes before the
levers: its inputs are the seed and the config sections it reads (``world``, ``network``,
``diffusion``, ``satisfaction``, ``participation``, ``response``), which form the key; its
outputs are the five objects plus the state of the ``build`` random stream after them, which a
hit restores — so a run gives the same results with or without the cache.

Safety:
* off unless switched on (:func:`active`); the experiment engine switches it on around each run
  in whatever process or thread runs it (a context variable, so threads do not see each other's
  switch); the environment variable ``SAFETYSIM_WORLD_CACHE=0`` keeps it off everywhere (to
  measure or rule it out);
* per process, bounded (at most :data:`MAX_ENTRIES` worlds and :data:`MAX_BYTES` of arrays,
  least recently used evicted first; a world larger than the budget is not kept);
* runs cannot contaminate each other: a hit hands out deep copies of the population, places,
  police and organizations, which the day changes; the network, which no process writes, is
  shared with its arrays made read-only, so a stray write would raise instead of leaking.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, fields
from typing import Any, Iterator

import numpy as np

MAX_ENTRIES = 8
MAX_BYTES = 256 * 2**20
KEY_SECTIONS = ("world", "network", "diffusion", "satisfaction", "participation", "response")

_active: contextvars.ContextVar[bool] = contextvars.ContextVar("world_cache_active", default=False)
_lock = threading.Lock()
_entries: "OrderedDict[str, World]" = OrderedDict()
stats = {"hits": 0, "misses": 0}


@dataclass
class World:
    """What the build produces before the levers, and the state after it of each stream the build
    draws from (by name)."""

    pop: Any
    network: Any
    places: Any
    police: Any
    orgs: Any
    stream_states: dict[str, dict]
    nbytes: int


@contextlib.contextmanager
def active(on: bool = True) -> Iterator[None]:
    """Use the cache for models built inside this block (in this thread/context only)."""
    token = _active.set(on and os.environ.get("SAFETYSIM_WORLD_CACHE", "1") != "0")
    try:
        yield
    finally:
        _active.reset(token)


def is_active() -> bool:
    return _active.get()


def key(cfg, seed: int) -> str:
    data = cfg.to_dict()
    return json.dumps({"seed": int(seed), **{s: data[s] for s in KEY_SECTIONS}}, sort_keys=True, separators=(",", ":"))


def _arrays(obj: Any) -> list[np.ndarray]:
    return [v for f in fields(obj) if isinstance(v := getattr(obj, f.name), np.ndarray)]


def get(k: str) -> World | None:
    """A private copy of the cached world under ``k``, or None."""
    with _lock:
        w = _entries.get(k)
        if w is None:
            stats["misses"] += 1
            return None
        _entries.move_to_end(k)
        stats["hits"] += 1
    return World(copy.deepcopy(w.pop), w.network, copy.deepcopy(w.places), copy.deepcopy(w.police),
                 copy.deepcopy(w.orgs), copy.deepcopy(w.stream_states), w.nbytes)


def put(k: str, pop, network, places, police, orgs, streams: dict[str, np.random.Generator]) -> None:
    """Keep a copy of a freshly built world and of the state of the ``streams`` it was drawn from
    (call right after building, before any day runs).

    The network's arrays become read-only (also in the model that built it: no process writes
    them)."""
    for a in _arrays(network):
        a.flags.writeable = False
    nbytes = sum(a.nbytes for obj in (pop, network, places, police, orgs) for a in _arrays(obj))
    if nbytes > MAX_BYTES:
        return
    w = World(copy.deepcopy(pop), network, copy.deepcopy(places), copy.deepcopy(police), copy.deepcopy(orgs),
              {name: copy.deepcopy(g.bit_generator.state) for name, g in streams.items()}, nbytes)
    with _lock:
        _entries[k] = w
        _entries.move_to_end(k)
        while len(_entries) > MAX_ENTRIES or sum(e.nbytes for e in _entries.values()) > MAX_BYTES:
            _entries.popitem(last=False)


def clear() -> None:
    with _lock:
        _entries.clear()
        stats.update(hits=0, misses=0)
