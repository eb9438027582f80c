"""People as arrays: the column (struct-of-arrays) state of residents and the synthetic population.

Every person is one row.  Daily processes read and write these columns with numpy; the Mesa
agents in :mod:`simulation.agents` are thin views that know their row.  Residents of a community
occupy a contiguous block of rows, which keeps network construction and per-community sums cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from simulation.config import ModelConfig


class AgeGroup(IntEnum):
    YOUNG = 0  # 18-34
    MIDDLE = 1  # 35-59
    OLDER = 2  # 60+


class Education(IntEnum):
    LOW = 0  # at most middle school
    MID = 1  # high school / college
    UNIVERSITY = 2


class Sector(IntEnum):
    STUDENT = 0
    WORKER = 1
    MERCHANT = 2
    RETIRED = 3
    LAW = 4
    COUNSELLING = 5
    MEDICAL = 6  # medicine / emergency rescue


PROFESSIONS = (Sector.LAW, Sector.COUNSELLING, Sector.MEDICAL)


class VolunteerState(IntEnum):
    NONE = 0  # never registered
    REGISTERED = 1
    LAPSED = 2  # registered once, dropped out


class Skill(IntEnum):
    PATROL = 0  # law and safety prevention
    ANTI_FRAUD = 1
    MEDIATION = 2
    EMERGENCY = 3


N_SKILLS = len(Skill)
NEVER = np.int32(-1_000_000)  # "day" of an event that never happened


@dataclass
class Population:
    """Column state of all residents (one row per agent)."""

    n: int
    community: np.ndarray  # int32, community index
    age: np.ndarray  # int8 AgeGroup
    education: np.ndarray  # int8 Education
    sector: np.ndarray  # int8 Sector
    mobile: np.ndarray  # bool, mobile (migrant) population
    threshold: np.ndarray  # float32, registration threshold
    informed: np.ndarray  # bool, knows the programme
    awareness: np.ndarray  # float32 0-1, civic awareness / sense of ownership
    fraud_literacy: np.ndarray  # float32 0-1
    forewarned_until: np.ndarray  # int32 day until which an in-person warning protects
    trust: np.ndarray  # float32 0-1, trust in police
    satisfaction: np.ndarray  # float32 0-1, satisfaction with community safety governance
    # volunteer columns (meaningful where vol_state != NONE)
    vol_state: np.ndarray  # int8 VolunteerState
    registered_day: np.ndarray  # int32
    intrinsic: np.ndarray  # float32 0-1, intrinsic motivation
    motivation: np.ndarray  # float32 0-1
    fatigue: np.ndarray  # float32 0-1
    last_served: np.ndarray  # int32 day of last shift
    shifts: np.ndarray  # int32 shifts served
    skills: np.ndarray  # float32 (n, N_SKILLS)
    backbone: np.ndarray  # bool, backbone instructor
    active_today: np.ndarray = field(default=None)  # bool, set each day by participation

    def __post_init__(self) -> None:
        if self.active_today is None:
            self.active_today = np.zeros(self.n, dtype=bool)

    @property
    def registered(self) -> np.ndarray:
        return self.vol_state == VolunteerState.REGISTERED


def _row_items(matrix: np.ndarray) -> np.ndarray:
    """A 1-D view of a C-contiguous 2-D array with one opaque item per row (fast row gathers)."""
    return matrix.view(np.dtype((np.void, matrix.shape[1] * matrix.itemsize))).reshape(-1)


def take_rows(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``matrix[rows]`` for a C-contiguous 2-D column such as ``skills`` — the same values, but
    gathered a row at a time (several times faster than 2-D fancy indexing at millions of rows)."""
    return np.take(_row_items(matrix), rows).view(matrix.dtype).reshape(len(rows), matrix.shape[1])


def put_rows(matrix: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """``matrix[rows] = values`` (rows without repeats), a row at a time."""
    np.put(_row_items(matrix), rows, _row_items(np.ascontiguousarray(values, dtype=matrix.dtype)))


def _beta(rng: np.random.Generator, mean: float, conc: float, n: int) -> np.ndarray:
    a, b = mean * conc, (1.0 - mean) * conc
    return rng.beta(max(a, 1e-3), max(b, 1e-3), n).astype(np.float32)


def community_sizes(n: int, n_communities: int) -> np.ndarray:
    """Near-equal community sizes that sum to n (the first ``n % k`` get one more)."""
    base, extra = divmod(n, n_communities)
    sizes = np.full(n_communities, base, dtype=np.int64)
    sizes[:extra] += 1
    return sizes


def synthesize(cfg: ModelConfig, rng: np.random.Generator, layout=None) -> Population:
    """Draw a synthetic population for ``cfg.world`` (ages, education, sectors, attitudes).

    With a district table (``layout.table``) communities have the layout's sizes and the older
    and mobile shares are the district's own; the draws are the same either way."""
    w = cfg.world
    n = w.n_residents
    if layout is not None and layout.table:
        sizes = layout.community_sizes
        n_comm = len(sizes)
    else:
        n_comm = w.n_districts * w.communities_per_district
        sizes = community_sizes(n, n_comm)
    community = np.repeat(np.arange(n_comm, dtype=np.int32), sizes)
    by_district = layout is not None and layout.table
    age_older = layout.per_row(layout.older_share_d, community) if by_district else w.age_older
    mobile_share = layout.per_row(layout.mobile_share_d, community) if by_district else w.mobile_share

    u = rng.random(n)
    age = np.full(n, AgeGroup.MIDDLE, dtype=np.int8)
    age[u < w.age_young] = AgeGroup.YOUNG
    age[u >= 1.0 - age_older] = AgeGroup.OLDER

    # Education depends on age: the young are more often graduates, the old less often.
    # (Computed per age group, then looked up: the same values as per person, in a fraction of the time.)
    p_low_by_age = np.clip(w.edu_low * np.array([0.5, 1.0, 1.7]), 0, 1)
    p_uni_by_age = np.clip(w.edu_university * np.array([1.6, 0.9, 0.4]), 0, 1 - p_low_by_age)
    u = rng.random(n)
    education = np.full(n, Education.MID, dtype=np.int8)
    education[u < p_low_by_age[age]] = Education.LOW
    education[u >= (1.0 - p_uni_by_age)[age]] = Education.UNIVERSITY

    sector = np.full(n, Sector.WORKER, dtype=np.int8)
    sector[age == AgeGroup.OLDER] = Sector.RETIRED
    young = age == AgeGroup.YOUNG
    u = rng.random(n)
    student = young & (u < w.student_share_of_young)
    sector[student] = Sector.STUDENT
    education[student & (education == Education.LOW)] = Education.MID
    working = ~student & (age != AgeGroup.OLDER)
    u = rng.random(n)
    sector[working & (u < w.merchant_share)] = Sector.MERCHANT
    prof = working & (u >= w.merchant_share) & (u < w.merchant_share + w.professional_share)
    sector[prof] = rng.choice(np.array(PROFESSIONS, dtype=np.int8), size=int(prof.sum()))
    education[prof] = Education.UNIVERSITY

    mobile = rng.random(n) < mobile_share
    d, s = cfg.diffusion, cfg.satisfaction
    gap = np.where(mobile, s.mobile_satisfaction_gap, 0.0).astype(np.float32)
    p = cfg.participation
    threshold = rng.normal(p.threshold_mean, p.threshold_sd, n).astype(np.float32)
    informed = rng.random(n) < w.initial_informed_share

    return Population(
        n=n,
        community=community,
        age=age,
        education=education,
        sector=sector,
        mobile=mobile,
        threshold=threshold,
        informed=informed,
        awareness=_beta(rng, d.initial_awareness_mean, 6.0, n),
        fraud_literacy=_beta(rng, min(max(d.initial_fraud_literacy_mean, 0.01), 0.99), 6.0, n)
        if 0.0 < d.initial_fraud_literacy_mean < 1.0
        else np.full(n, d.initial_fraud_literacy_mean, dtype=np.float32),
        forewarned_until=np.full(n, NEVER, dtype=np.int32),
        trust=np.clip(_beta(rng, s.initial_trust_mean, 10.0, n) - gap, 0, 1),
        satisfaction=np.clip(_beta(rng, s.initial_satisfaction_mean, 10.0, n) - gap, 0, 1),
        vol_state=np.zeros(n, dtype=np.int8),
        registered_day=np.full(n, NEVER, dtype=np.int32),
        intrinsic=np.zeros(n, dtype=np.float32),
        motivation=np.zeros(n, dtype=np.float32),
        fatigue=np.zeros(n, dtype=np.float32),
        last_served=np.full(n, NEVER, dtype=np.int32),
        shifts=np.zeros(n, dtype=np.int32),
        skills=np.zeros((n, N_SKILLS), dtype=np.float32),
        backbone=np.zeros(n, dtype=bool),
    )
