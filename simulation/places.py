"""Public places with heavy-tailed risk, and the community police who patrol them.

Each community has ``places_per_community`` places of four kinds.  A place's risk is lognormal,
so a small share of places carries a large share of incidents (crime concentration).  Places of a
community occupy a contiguous block, so community ``c`` owns places ``c*P .. c*P+P-1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from scipy.special import ndtri

from simulation.config import ModelConfig


class PlaceKind(IntEnum):
    STREET_MARKET = 0
    SCHOOL = 1
    PROPERTY_COMPOUND = 2
    FACTORY = 3


# Share of a place's users who are mobile population, relative to the world's mobile share
# (factories and markets draw migrant workers).  Assumption.
MOBILE_USE = np.array([1.3, 0.6, 0.8, 1.8], dtype=np.float32)


@dataclass
class Places:
    n: int
    per_community: int
    community: np.ndarray  # int32
    kind: np.ndarray  # int8 PlaceKind
    risk: np.ndarray  # float32, mean 1 over all places (communities differ in risk too)
    mobile_use: np.ndarray  # float32, relative use by the mobile population

    def community_block(self, c: np.ndarray) -> np.ndarray:
        return np.asarray(c) * self.per_community


def build_places(cfg: ModelConfig, n_communities: int, rng: np.random.Generator) -> Places:
    per = cfg.world.places_per_community
    n = n_communities * per
    kind = (np.arange(n) % per % len(PlaceKind)).astype(np.int8)
    sigma = cfg.world.place_risk_sigma
    # Lognormal quantiles at the midpoints of n equal-probability strata, shuffled over places:
    # the risk distribution has the same shape in every run (crime concentration does not hinge
    # on whether a few extreme places happened to be drawn), while which places are hot differs
    # by seed.
    u = (np.arange(n) + 0.5) / n
    risk = np.exp(sigma * ndtri(u))
    rng.shuffle(risk)
    risk = (risk / risk.mean()).astype(np.float32)
    return Places(
        n=n,
        per_community=per,
        community=np.repeat(np.arange(n_communities, dtype=np.int32), per),
        kind=kind,
        risk=risk,
        mobile_use=MOBILE_USE[kind],
    )


@dataclass
class Police:
    n: int
    community: np.ndarray  # int32, assignment
    capacity: np.ndarray  # float32 cases/day
    backlog: np.ndarray  # float32 open cases per community (the community police queue)


def build_police(cfg: ModelConfig, community_sizes: np.ndarray, per_comm: np.ndarray | None = None) -> Police:
    """Community police; ``per_comm`` (officers per community) overrides the world-wide rate."""
    if per_comm is None:
        per_comm = np.maximum(1, np.round(community_sizes * cfg.world.police_per_10k / 10_000)).astype(np.int64)
    community = np.repeat(np.arange(len(community_sizes), dtype=np.int32), per_comm)
    return Police(
        n=int(per_comm.sum()),
        community=community,
        capacity=np.full(len(community), cfg.response.cases_per_officer_per_day, dtype=np.float32),
        backlog=np.zeros(len(community_sizes), dtype=np.float32),
    )
