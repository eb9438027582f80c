"""Organizations and memberships: enterprises, merchant associations, social organizations in each
community; a university, professional associations, media outlets and government departments in
each district.  They recruit (drives target their members), carry channels (social organizations,
enterprise cooperation), publicise (media) and train (departments run joint drills).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from simulation.config import ModelConfig
from simulation.population import PROFESSIONS, Population, Sector


class OrgKind(IntEnum):
    ENTERPRISE = 0
    MERCHANT_ASSOCIATION = 1
    SOCIAL_ORGANIZATION = 2
    UNIVERSITY = 3
    PROFESSIONAL_ASSOCIATION = 4
    MEDIA_OUTLET = 5
    GOVERNMENT_DEPARTMENT = 6


COMMUNITY_KINDS = (OrgKind.ENTERPRISE, OrgKind.MERCHANT_ASSOCIATION, OrgKind.SOCIAL_ORGANIZATION)
DISTRICT_KINDS = (OrgKind.UNIVERSITY, OrgKind.PROFESSIONAL_ASSOCIATION) + (OrgKind.MEDIA_OUTLET,) * 4 + (OrgKind.GOVERNMENT_DEPARTMENT,) * 3
MEDIA_NAMES = ("newspaper", "wechat", "weibo", "tiktok")
DEPARTMENT_NAMES = ("fire", "health", "emergency")


@dataclass
class Organizations:
    n: int
    kind: np.ndarray  # int8 OrgKind
    community: np.ndarray  # int32 (-1: district level)
    district: np.ndarray  # int32
    label: list[str]
    members: np.ndarray  # int64 member count
    member_of: np.ndarray  # int16 per resident (int32 past 32,767 organizations): organization index or -1


def build_organizations(cfg: ModelConfig, pop: Population, rng: np.random.Generator, district_of_comm: np.ndarray | None = None) -> Organizations:
    """``district_of_comm``: the district of each community (default: equal districts)."""
    w = cfg.world
    if district_of_comm is None:
        district_of_comm = np.arange(w.n_districts * w.communities_per_district) // w.communities_per_district
    n_comm = len(district_of_comm)
    n_districts = int(district_of_comm.max()) + 1
    kinds, comms, dists, labels = [], [], [], []
    per_comm = w.organizations_per_community
    for c in range(n_comm):
        for j in range(per_comm):
            k = COMMUNITY_KINDS[j % len(COMMUNITY_KINDS)]
            kinds.append(k); comms.append(c); dists.append(int(district_of_comm[c]))
            labels.append(f"{k.name.lower()} c{c}-{j}")
    media_i = dept_i = 0
    for d in range(n_districts):
        for k in DISTRICT_KINDS:
            if k == OrgKind.MEDIA_OUTLET:
                name = MEDIA_NAMES[media_i % 4]; media_i += 1
            elif k == OrgKind.GOVERNMENT_DEPARTMENT:
                name = DEPARTMENT_NAMES[dept_i % 3]; dept_i += 1
            else:
                name = k.name.lower()
            kinds.append(k); comms.append(-1); dists.append(d); labels.append(f"{name} d{d}")
    kind = np.asarray(kinds, dtype=np.int8)
    community = np.asarray(comms, dtype=np.int32)
    district = np.asarray(dists, dtype=np.int32)

    # Memberships: one organization per resident at most, by sector.
    member_of = np.full(pop.n, -1, dtype=np.int32)
    res_district = district_of_comm[pop.community]
    first_district_org = n_comm * per_comm + np.arange(n_districts) * len(DISTRICT_KINDS)

    def join_community_org(rows: np.ndarray, kind_wanted: OrgKind) -> None:
        """``member_of[rows]`` = the community organization of that kind of each row's community
        (-1 if communities have no such organization)."""
        slot = COMMUNITY_KINDS.index(kind_wanted)
        if slot >= per_comm:
            member_of[rows] = -1
        else:
            member_of[rows] = pop.community[rows] * per_comm + slot

    join = rng.random(pop.n)
    join_community_org((pop.sector == Sector.WORKER) & (join < 0.5), OrgKind.ENTERPRISE)
    join_community_org(pop.sector == Sector.MERCHANT, OrgKind.MERCHANT_ASSOCIATION)
    join_community_org((member_of < 0) & (join > 0.9), OrgKind.SOCIAL_ORGANIZATION)
    students = np.flatnonzero(pop.sector == Sector.STUDENT)
    member_of[students] = first_district_org[res_district[students]] + DISTRICT_KINDS.index(OrgKind.UNIVERSITY)
    prof = np.flatnonzero(np.isin(pop.sector, PROFESSIONS))
    member_of[prof] = first_district_org[res_district[prof]] + DISTRICT_KINDS.index(OrgKind.PROFESSIONAL_ASSOCIATION)

    valid = member_of >= 0
    members = np.bincount(member_of[valid], minlength=len(kind)).astype(np.int64)
    if len(kind) <= np.iinfo(np.int16).max:  # the smallest type that holds an organization index
        member_of = member_of.astype(np.int16)
    return Organizations(n=len(kind), kind=kind, community=community, district=district, label=labels,
                         members=members, member_of=member_of)
