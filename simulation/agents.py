"""Mesa agents as thin views over the model's columns.

The state of people lives in numpy columns (:mod:`simulation.population`), so daily processes
run vectorized; each agent object only knows its row, and its attributes read and write the
columns.  The agents are real Mesa agents — registered with the model, grouped in
``model.agents_by_type``, usable by DataCollector, SolaraViz and ``mesa.batch_run``.

A Volunteer is a Resident who registered: the volunteer view is created when a resident
registers and points at the same row (its state is ACTIVE, INACTIVE or LAPSED).
"""

from __future__ import annotations

from enum import Enum

import mesa

from simulation.organizations import OrgKind
from simulation.population import AgeGroup, Education, Sector, Skill, VolunteerState


class VolunteerStatus(Enum):
    ACTIVE = "active"  # served within the active window
    INACTIVE = "inactive"  # registered but has not served recently
    LAPSED = "lapsed"  # dropped out


def _column(name: str, cast=float, doc: str = ""):
    def fget(self):
        return cast(getattr(self.model.pop, name)[self.row])

    def fset(self, value):
        getattr(self.model.pop, name)[self.row] = value

    return property(fget, fset, doc=doc or f"column ``{name}`` of this person")


class Resident(mesa.Agent):
    """A resident: a row of the population columns."""

    def __init__(self, model, row: int) -> None:
        super().__init__(model)
        self.row = int(row)

    age_group = property(lambda self: AgeGroup(int(self.model.pop.age[self.row])))
    education = property(lambda self: Education(int(self.model.pop.education[self.row])))
    sector = property(lambda self: Sector(int(self.model.pop.sector[self.row])))
    mobile = _column("mobile", bool, "member of the mobile (migrant) population")
    community = _column("community", int, "community index")
    informed = _column("informed", bool, "knows the volunteer programme")
    awareness = _column("awareness", float, "civic awareness, 0-1")
    fraud_literacy = _column("fraud_literacy", float, "fraud literacy, 0-1")
    trust = _column("trust", float, "trust in police, 0-1")
    satisfaction = _column("satisfaction", float, "satisfaction with community safety governance, 0-1")

    @property
    def is_volunteer(self) -> bool:
        return int(self.model.pop.vol_state[self.row]) == VolunteerState.REGISTERED

    @property
    def neighbours(self) -> list[int]:
        """Rows of this resident's network neighbours."""
        net = self.model.network
        return net.indices[net.indptr[self.row]:net.indptr[self.row + 1]].tolist()


class Volunteer(Resident):
    """The volunteer role of a resident who registered (same row as the resident)."""

    motivation = _column("motivation", float, "motivation to serve, 0-1")
    intrinsic = _column("intrinsic", float, "intrinsic motivation, 0-1")
    fatigue = _column("fatigue", float, "fatigue, 0-1")
    backbone_instructor = _column("backbone", bool, "trained as a backbone instructor")
    shifts = _column("shifts", int, "shifts served")
    active_today = _column("active_today", bool, "serving today")

    @property
    def skills(self) -> dict[str, float]:
        return {s.name.lower(): float(self.model.pop.skills[self.row, s]) for s in Skill}

    @property
    def status(self) -> VolunteerStatus:
        pop = self.model.pop
        if int(pop.vol_state[self.row]) == VolunteerState.LAPSED:
            return VolunteerStatus.LAPSED
        window = self.model.cfg.participation.active_window_days
        recent = self.model.day - int(pop.last_served[self.row]) < window
        return VolunteerStatus.ACTIVE if recent else VolunteerStatus.INACTIVE

    @property
    def tenure_days(self) -> int:
        return self.model.day - int(self.model.pop.registered_day[self.row])


class PoliceOfficer(mesa.Agent):
    """A community police officer: works the community queue, leads volunteer teams, trains instructors."""

    def __init__(self, model, row: int) -> None:
        super().__init__(model)
        self.row = int(row)

    community = property(lambda self: int(self.model.police.community[self.row]))
    capacity = property(lambda self: float(self.model.police.capacity[self.row]), doc="cases closed per day")

    @property
    def queue(self) -> float:
        """Open cases per officer in this officer's community."""
        c = self.community
        return float(self.model.police.backlog[c] / self.model.officers_per_community[c])


class Organization(mesa.Agent):
    """An enterprise, association, social organization, university, media outlet or department."""

    def __init__(self, model, row: int) -> None:
        super().__init__(model)
        self.row = int(row)

    kind = property(lambda self: OrgKind(int(self.model.orgs.kind[self.row])))
    label = property(lambda self: self.model.orgs.label[self.row])
    community = property(lambda self: int(self.model.orgs.community[self.row]), doc="-1 for district-level organizations")
    members = property(lambda self: int(self.model.orgs.members[self.row]))
