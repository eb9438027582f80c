"""The participation and guardianship rules written the idiomatic Mesa way, next to the project's
column implementation of the same rules on the same population: speed and equivalence.

    python benchmarks/mesa_reference.py                      # 10k and 100k volunteers
    python benchmarks/mesa_reference.py --sizes 1e4 --seeds 10 --days 30

**Rules compared** (a day, in order):

* participation — every registered volunteer serves today with probability
  ``s_max · availability(sector, weekday/weekend, term) · clip((motivation − m0)/0.15, 0, 1) ·
  (1 − fatigue)``; fatigue recovers and grows with the shift; motivation moves toward intrinsic
  motivation; the volunteer drops out with probability ``1 − exp(−h/365)``,
  ``h = d0 · max(0, 1 + a·(0.5 − motivation)) · (1 + b·fatigue)`` (levers off: status-quo role
  ambiguity, no incentives);
* guardianship — every volunteer still serving patrols a uniformly drawn place of their own
  community and adds ``0.5 + 0.5·patrol skill`` to its guardianship, on top of the community
  police's expected presence; each place then has ``Poisson(λ · (1 − G(g)))`` property and
  public-order incidents, ``G(g) = e_max · (1 − exp(−g·ln2/g_half))``.

**Column side**: the project's real process functions — ``simulation.processes.participation.step``,
``deployment.step`` and ``incidents.step`` — run on a real :class:`CommunitySafetyModel` (its
``phases`` cut down to those three), with every other process and the levers switched off.
Registration does not happen there because every resident is already a registered volunteer.

**Mesa side**: :class:`MesaReference` — one ``Volunteer`` agent per volunteer and one ``Place``
agent per place, each with a ``step`` method; a day is
``agents_by_type[Volunteer].shuffle_do("step")`` then ``agents_by_type[Place].do("step")``.
It copies its initial state (sector, community, motivation, fatigue, patrol skill, place risk,
police presence) from the column model built with the same seed, so both start from the same
population; random draws differ, so the two agree in distribution, not draw for draw.

World: every resident is a volunteer (so *agents* = volunteers), in communities of ~100 with 12
places each, so guardianship is neither nil nor saturated.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from dataclasses import dataclass

import mesa
import numpy as np

from simulation import load_config
from simulation.model import CommunitySafetyModel
from simulation.processes.participation import AVAILABILITY, KEEN_RAMP, STUDENT_TERM, in_term
from simulation.population import Sector, Skill, VolunteerState

RESIDENTS_PER_COMMUNITY = 100
PLACES_PER_COMMUNITY = 12
COLUMN_PHASES = ("participation", "deployment", "incidents")
OUTCOMES = ("shifts_per_day", "dropouts", "incidents", "expected_incidents", "final_motivation")


def reference_config(n: int, seed: int, days: int):
    """A world of ``n`` residents who are all registered volunteers; only participation,
    deployment and place incidents switched on."""
    communities = max(1, round(n / RESIDENTS_PER_COMMUNITY))
    off = ("levers", "publicity", "word_of_mouth", "training", "fraud", "disputes", "emergencies",
           "reporting", "feedback")
    over = {
        "run.days": days, "run.warmup_days": 0, "run.seed": seed,
        "world.n_residents": n, "world.n_districts": 1, "world.communities_per_district": communities,
        "world.places_per_community": PLACES_PER_COMMUNITY, "world.initial_volunteer_share": 1.0,
        "world.agent_views": "none", "network.builder": "vectorized",
    }
    over.update({f"processes.{p}": False for p in off})
    return load_config(None).with_overrides(over)


# ----------------------------------------------------------------------------------------------
# column side: the project's own process functions
# ----------------------------------------------------------------------------------------------
def column_model(n: int, seed: int, days: int) -> CommunitySafetyModel:
    model = CommunitySafetyModel(reference_config(n, seed, days))
    model.phases = [(name, fn) for name, fn in model.PHASES if name in COLUMN_PHASES]
    return model


def run_columns(model: CommunitySafetyModel, days: int) -> tuple[dict[str, float], float]:
    """Run ``days`` days of the three processes; outcomes and wall seconds."""
    tot: dict[str, float] = defaultdict(float)
    elapsed = 0.0
    for _ in range(days):
        t0 = time.perf_counter()
        model._advance_day()  # runs model.phases: participation, deployment, incidents
        elapsed += time.perf_counter() - t0
        t = model.today
        tot["shifts"] += t["shifts"]
        tot["dropouts"] += t["dropouts"]
        tot["incidents"] += t["property_incidents"] + t["public_order_incidents"]
        tot["expected_incidents"] += t["expected_property"] + t["expected_public_order"]
    reg = model.pop.vol_state == VolunteerState.REGISTERED
    out = {
        "shifts_per_day": tot["shifts"] / days,
        "dropouts": tot["dropouts"],
        "incidents": tot["incidents"],
        "expected_incidents": tot["expected_incidents"],
        "final_motivation": float(model.pop.motivation[reg].mean()),
    }
    return out, elapsed


# ----------------------------------------------------------------------------------------------
# Mesa side: an agent per volunteer and per place, a step method each
# ----------------------------------------------------------------------------------------------
class Volunteer(mesa.Agent):
    """A registered volunteer who decides each day whether to serve, tires, and may drop out."""

    def __init__(self, model: "MesaReference", sector: int, community: int, intrinsic: float,
                 motivation: float, fatigue: float, patrol: float) -> None:
        super().__init__(model)
        self.sector = sector
        self.community = community
        self.intrinsic = intrinsic
        self.motivation = motivation
        self.fatigue = fatigue
        self.patrol = patrol
        self.shifts = 0

    def availability(self, day: int) -> float:
        weekend = int(day % 7 >= 5)
        if self.sector == Sector.STUDENT and in_term(day):
            return float(STUDENT_TERM[weekend])
        return float(AVAILABILITY[self.sector, weekend])

    def step(self) -> None:
        m, p = self.model, self.model.p
        keen = min(max((self.motivation - p.dormant_motivation) / KEEN_RAMP, 0.0), 1.0)
        serve_p = p.service_prob_max * self.availability(m.day) * keen * (1.0 - self.fatigue)
        active = self.random.random() < serve_p
        if active:
            self.shifts += 1
            m.today["shifts"] += 1
        self.fatigue *= 1.0 - p.fatigue_recovery_per_day
        if active:
            self.fatigue = min(self.fatigue + p.fatigue_per_shift, 1.0)
        target = min(max(self.intrinsic, 0.0), 1.0)
        self.motivation += p.motivation_adjust_per_year / 365.0 * (target - self.motivation)
        h = (p.dropout_base_per_year * max(0.0, 1.0 + p.dropout_motivation_slope * (0.5 - self.motivation))
             * (1.0 + p.dropout_fatigue_slope * self.fatigue))
        if self.random.random() < -math.expm1(-h / 365.0):
            m.today["dropouts"] += 1
            self.remove()
            return
        if active:
            place = self.random.choice(m.places_of[self.community])
            place.volunteer_guardians += 0.5 + 0.5 * self.patrol


class Place(mesa.Agent):
    """A public place: incidents reduced by the guardianship present today."""

    def __init__(self, model: "MesaReference", base_rate: float, police: float) -> None:
        super().__init__(model)
        self.base_rate = base_rate  # incidents/day per unit of "rate per 1,000 residents per year"
        self.police = police  # expected police guardianship (patrol spread by risk)
        self.volunteer_guardians = 0.0

    def step(self) -> None:
        m, inc = self.model, self.model.inc
        g = self.police + self.volunteer_guardians
        prevented = inc.guardian_effect_max * -math.expm1(-g * math.log(2.0) / inc.guardian_half)
        for rate in (inc.property_per_1000_per_year, inc.public_order_per_1000_per_year):
            lam = self.base_rate * rate * (1.0 - prevented)
            m.today["expected_incidents"] += lam
            m.today["incidents"] += int(m.rng.poisson(lam))
        self.volunteer_guardians = 0.0


class MesaReference(mesa.Model):
    """The same rules, one agent object per volunteer and per place, copied from ``columns``."""

    def __init__(self, columns: CommunitySafetyModel, seed: int) -> None:
        super().__init__(seed=seed)
        self.p = columns.cfg.participation
        self.inc = columns.cfg.incidents
        self.day = columns.day
        self.today: dict[str, float] = defaultdict(float)
        pop, pl = columns.pop, columns.places
        per_comm = pl.risk.reshape(-1, pl.per_community).astype(np.float64)
        risk_share = (per_comm / per_comm.sum(axis=1, keepdims=True)).reshape(-1)
        police = (self.inc.police_guardian_weight * self.inc.police_patrol_share
                  * columns.officers_per_community[pl.community] * risk_share)
        self.places_of: list[list[Place]] = [[] for _ in range(columns.n_communities)]
        for j in range(pl.n):
            place = Place(self, float(columns.place_base_rate[j]), float(police[j]))
            self.places_of[int(pl.community[j])].append(place)
        for r in np.flatnonzero(pop.vol_state == VolunteerState.REGISTERED).tolist():
            Volunteer(self, int(pop.sector[r]), int(pop.community[r]), float(pop.intrinsic[r]),
                      float(pop.motivation[r]), float(pop.fatigue[r]), float(pop.skills[r, Skill.PATROL]))

    def step(self) -> None:
        self.agents_by_type[Volunteer].shuffle_do("step")
        self.agents_by_type[Place].do("step")
        self.day += 1


def run_mesa(model: MesaReference, days: int) -> tuple[dict[str, float], float]:
    tot: dict[str, float] = defaultdict(float)
    elapsed = 0.0
    for _ in range(days):
        model.today = defaultdict(float)
        t0 = time.perf_counter()
        model.step()
        elapsed += time.perf_counter() - t0
        for k, v in model.today.items():
            tot[k] += v
    vols = model.agents_by_type[Volunteer] if Volunteer in model.agent_types else []
    out = {
        "shifts_per_day": tot["shifts"] / days,
        "dropouts": tot["dropouts"],
        "incidents": tot["incidents"],
        "expected_incidents": tot["expected_incidents"],
        "final_motivation": float(np.mean([v.motivation for v in vols])) if len(vols) else float("nan"),
    }
    return out, elapsed


# ----------------------------------------------------------------------------------------------
# comparison
# ----------------------------------------------------------------------------------------------
@dataclass
class Comparison:
    n: int
    days: int
    seeds: int
    agents: int
    column_seconds: float  # per day, first seed
    mesa_seconds: float  # per day, first seed
    column: dict[str, np.ndarray]  # outcome -> per-seed values
    mesa: dict[str, np.ndarray]

    @property
    def ratio(self) -> float:
        return self.mesa_seconds / self.column_seconds

    def z(self, outcome: str) -> float:
        """Paired difference (columns − Mesa) over seeds, in standard errors of its mean."""
        d = self.column[outcome] - self.mesa[outcome]
        se = d.std(ddof=1) / math.sqrt(d.size) if d.size > 1 else float("inf")
        scale = max(abs(self.column[outcome].mean()), 1e-12)
        if se <= 1e-9 * scale:  # identical up to rounding
            return 0.0 if abs(d.mean()) <= 1e-6 * scale else float("inf")
        return float(d.mean() / se)

    def bound(self, alpha: float = 0.001) -> float:
        """Two-sided critical value of Student's t with seeds − 1 degrees of freedom."""
        from scipy.stats import t

        return float(t.ppf(1.0 - alpha / 2.0, max(self.seeds - 1, 1)))

    def agree(self, alpha: float = 0.001) -> bool:
        """Every outcome's paired mean difference is within the t bound (level ``alpha`` each)."""
        b = self.bound(alpha)
        return all(abs(self.z(o)) <= b for o in OUTCOMES)


def compare(n: int, seeds: int, days: int, root_seed: int = 0) -> Comparison:
    col: dict[str, list[float]] = defaultdict(list)
    mes: dict[str, list[float]] = defaultdict(list)
    col_s = mesa_s = float("nan")
    agents = 0
    for i in range(seeds):
        seed = root_seed + i
        cm = column_model(n, seed, days)
        mm = MesaReference(cm, seed=10_000 + seed)  # built from the same initial state
        if i == 0:
            agents = len(mm.agents_by_type[Volunteer])
        a, ta = run_columns(cm, days)
        b, tb = run_mesa(mm, days)
        if i == 0:
            col_s, mesa_s = ta / days, tb / days
        for k in OUTCOMES:
            col[k].append(a[k])
            mes[k].append(b[k])
    return Comparison(n=n, days=days, seeds=seeds, agents=agents, column_seconds=col_s, mesa_seconds=mesa_s,
                      column={k: np.array(v) for k, v in col.items()}, mesa={k: np.array(v) for k, v in mes.items()})


def print_report(results: list[Comparison]) -> None:
    print()
    print("| volunteer agents | days | Mesa agents (s/day) | columns (s/day) | Mesa agent-days/s | column agent-days/s | columns faster by |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for c in results:
        print(f"| {c.agents:,} | {c.days} | {c.mesa_seconds:.3f} | {c.column_seconds:.5f} | "
              f"{c.agents / c.mesa_seconds / 1e6:.2f} M | {c.agents / c.column_seconds / 1e6:.1f} M | {c.ratio:.0f}x |")
    for c in results:
        print()
        print(f"Outcomes at {c.agents:,} agents, mean over {c.seeds} seeds of {c.days} days "
              f"(z: paired difference columns − Mesa over seeds, in standard errors; |z| <= {c.bound():.2f}, "
              f"the two-sided 0.1% t value, passes):")
        print()
        print("| outcome | columns | Mesa | z |")
        print("|---|---:|---:|---:|")
        for o in OUTCOMES:
            print(f"| {o} | {c.column[o].mean():.4g} | {c.mesa[o].mean():.4g} | {c.z(o):+.2f} |")
        print(f"\n{'same distribution of outcomes' if c.agree() else 'OUTCOMES DIFFER'} at {c.agents:,} agents")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5], help="volunteer agents (default 1e4 1e5)")
    ap.add_argument("--seeds", type=int, default=6, help="seeds per size for the outcome check (default 6, at least 3)")
    ap.add_argument("--days", type=int, default=30, help="days per seed (default 30)")
    args = ap.parse_args(argv)
    if args.seeds < 3:
        ap.error("--seeds: need at least 3 seeds to estimate the spread of the paired differences")
    results = []
    for size in args.sizes:
        c = compare(int(size), args.seeds, args.days)
        print(f"  {c.agents:,} agents: Mesa {c.mesa_seconds:.3f} s/day, columns {c.column_seconds:.5f} s/day",
              file=sys.stderr, flush=True)
        results.append(c)
    print_report(results)
    return 0 if all(c.agree() for c in results) else 1


if __name__ == "__main__":
    sys.exit(main())
