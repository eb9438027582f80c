"""The policy levers: interventions with a lifecycle and a cost.

Each lever is an object built from its config section with three steps, as in Starsim/Covasim
interventions:

* ``initialize(model)`` — once, after the world is built;
* ``apply(model, day)`` — every day, first in the daily loop: runs what is scheduled that day
  (sessions, drives, campaign days, evaluation cycles) and returns the day's cost in CNY for the
  real population;
* ``finalize(model)`` — once, at the end of a run.

Levers own *when* and *how much*; the mechanisms they set in motion live in
``simulation/processes`` (e.g. the training lever schedules sessions, ``processes.training`` says
what a session does to skills).  Processes read the levers' derived settings (e.g. the extrinsic
value of incentives by sector, the media reach by age group).
"""

from __future__ import annotations

import functools

import numpy as np
from mesa import Model

from simulation.constraints import note
from simulation.population import AgeGroup, Sector, Skill, VolunteerState
from simulation.processes import feedback, participation, training



def scheduled(day: int, per_year: float) -> bool:
    """True on ``per_year`` evenly spaced days of each 365-day year (day counted from 0)."""
    if per_year <= 0:
        return False
    return int((day + 1) * per_year / 365.0) > int(day * per_year / 365.0)


SECTOR_GROUP = {  # recruitment target names -> sectors
    "students": (Sector.STUDENT,),
    "law": (Sector.LAW,),
    "counselling": (Sector.COUNSELLING,),
    "medical": (Sector.MEDICAL,),
    "merchants": (Sector.MERCHANT,),
    "workers": (Sector.WORKER,),
}
N_SECTORS = len(Sector)


class Lever:
    """Base class: a named intervention with a lifecycle and daily cost.

    Typed against Mesa's ``Model``: at run time it is a ``CommunitySafetyModel``, but
    ``simulation.model`` builds the levers, so this module must not import it.
    """

    name = "lever"

    def __init__(self, settings) -> None:
        self.settings = settings
        self.spent = 0.0  # CNY over recorded days
        self.activity: dict[str, float] = {}  # counted activity over recorded days (for cost checks)

    def initialize(self, model: Model) -> None:
        """Called once after the world is built."""

    def apply(self, model: Model, day: int) -> float:
        """Act on ``day``; return the day's cost in CNY (real population)."""
        return 0.0

    def finalize(self, model: Model) -> None:
        """Called once at the end of the run."""

    def count(self, model: Model, key: str, amount: float) -> None:
        if model.recording:
            self.activity[key] = self.activity.get(key, 0.0) + float(amount)


class Recruitment(Lever):
    """Path 1.1: targeted drives by organizations, university partnerships, merchant guardians."""

    name = "recruitment"

    def initialize(self, model) -> None:
        self.bonus = np.zeros(N_SECTORS, dtype=np.float32)  # propensity bonus by sector today
        self.drive_until = -1

    def apply(self, model, day: int) -> float:
        s = self.settings
        cost = 0.0
        if scheduled(day, s.drives_per_year) and s.targets:
            self.drive_until = day + 30
            n_drives = model.n_communities
            cost += n_drives * s.cost_per_drive_cny
            self.count(model, "drives", n_drives)
            sectors = [int(sec) for t in s.targets for sec in SECTOR_GROUP[t]]
            model.today["informed_by_drives"] += participation.recruitment_drive(model, sectors, s.drive_reach)
        self.bonus[:] = 0.0
        if day <= self.drive_until:
            for t in s.targets:
                for sec in SECTOR_GROUP[t]:
                    self.bonus[sec] = s.drive_boost
        if s.university_partnerships:
            # Students recruited with study credit: removes the young time-cost penalty for them.
            self.bonus[Sector.STUDENT] += model.cfg.participation.young_time_cost + 0.1
            cost += s.cost_partnership_per_year_cny * model.n_districts / 365.0
            self.count(model, "partnership_years", model.n_districts / 365.0)
        return cost


class Training(Lever):
    """Paths 1.2 and 3.2: sessions by mode, the instructor cascade, joint drills."""

    name = "training"
    # mode -> (reach multiplier, gain multiplier, cost multiplier); assumptions
    MODES = {
        "classroom": (1.0, 1.0, 1.0),
        "door_to_door": (0.8, 1.2, 1.6),
        "pre_job": (1.0, 1.0, 0.8),
        "online": (1.5, 0.5, 0.2),
    }

    def apply(self, model, day: int) -> float:
        s = self.settings
        cost = 0.0
        if model.switches.training and scheduled(day, s.sessions_per_year) and s.coverage > 0:
            reach, gain, cost_mult = self.MODES[s.mode]
            skills = [Skill[c.upper()] for c in s.content]
            trainees = training.run_session(model, s.coverage * reach, s.cascade, s.cascade_levels, skills, gain, s.mode)
            cost += trainees * model.scale * s.cost_per_trainee_session_cny * cost_mult
            self.count(model, "trainee_sessions", trainees * model.scale)
            self.count(model, f"trainee_sessions_{s.mode}", trainees * model.scale)
        if model.switches.training and scheduled(day, s.joint_drills_per_year):
            training.run_drill(model)
            cost += s.cost_per_drill_cny * model.n_districts
            self.count(model, "drills", model.n_districts)
        return cost


class RoleClarity(Lever):
    """Path 1.3: clear responsibilities and rights (lower ambiguity, dropout, mismatched tasks)."""

    name = "role_clarity"
    STATUS_QUO = 0.3

    @property
    def ambiguity(self) -> float:
        return 1.0 - self.settings.level

    def apply(self, model, day: int) -> float:
        extra = max(0.0, self.settings.level - self.STATUS_QUO) / 0.1
        vol_years = model.n_registered * model.scale / 365.0
        self.count(model, "volunteer_years", vol_years)
        return extra * self.settings.cost_per_volunteer_per_year_cny * vol_years


class Dialogue(Lever):
    """Path 2.1: equal dialogue puts the mobile population and dispersed residents on the agenda."""

    name = "dialogue"

    def apply(self, model, day: int) -> float:
        s = self.settings
        if scheduled(day, s.meetings_per_year):
            self.count(model, "meetings", model.n_communities)
            return s.cost_per_meeting_cny * model.n_communities
        return 0.0


class Channels(Lever):
    """Path 2.2: more ways to report and take part; the closed loop with feedback to reporters."""

    name = "channels"
    EXTRA = ("app", "group_chat", "joint_meetings", "social_orgs", "enterprise")

    @functools.cached_property
    def n_extra(self) -> int:
        """How many channels besides the hotline are open (settings are fixed for a run)."""
        return sum(bool(getattr(self.settings, c)) for c in self.EXTRA)

    def apply(self, model, day: int) -> float:
        s = self.settings
        self.count(model, "extra_channel_district_years", self.n_extra * model.n_districts / 365.0)
        self.count(model, "closed_loop_district_years", float(s.closed_loop) * model.n_districts / 365.0)
        per_year = self.n_extra * s.cost_per_channel_per_year_cny + (s.cost_closed_loop_per_year_cny if s.closed_loop else 0.0)
        return per_year * model.n_districts / 365.0

    def report_multiplier(self, model, rows: np.ndarray) -> np.ndarray:
        """Relative reporting probability of residents ``rows`` given the open channels (assumption)."""
        s = self.settings
        pop = model.pop
        mult = np.full(rows.size, 1.0 if s.hotline else 0.6, dtype=np.float32)
        if s.app:
            mult += np.where(pop.age[rows] == AgeGroup.OLDER, 0.05, 0.2)
        if s.group_chat:
            mult += np.where(model.nb_volunteers[rows] > 0, 0.1, 0.0)
        if s.joint_meetings:
            mult += 0.05
        if s.social_orgs:
            mult += np.where(pop.mobile[rows], 0.2, 0.05)
        if s.enterprise:
            mult += np.where(pop.sector[rows] == Sector.WORKER, 0.1, 0.0)
        return mult

    def participation_bonus(self, model, rows: np.ndarray) -> np.ndarray:
        """More ways to take part raise the propensity of members of the organizations used."""
        s = self.settings
        pop = model.pop
        bonus = np.zeros(rows.size, dtype=np.float32)
        if s.social_orgs:
            bonus += np.where(pop.mobile[rows], 0.1, 0.04)
        if s.enterprise:
            bonus += np.where(np.isin(pop.sector[rows], (Sector.WORKER, Sector.MERCHANT)), 0.06, 0.0)
        if s.joint_meetings:
            bonus += 0.03
        return bonus


class Publicity(Lever):
    """Path 3.1: campaigns per outlet with reach by age group, role models, anti-fraud warnings."""

    name = "publicity"
    # outlet -> reach multiplier by age group (young, middle, older); assumption
    REACH = {
        "newspaper": (0.3, 0.8, 1.6),
        "wechat": (1.0, 1.0, 0.8),
        "weibo": (1.6, 0.6, 0.1),
        "tiktok": (1.8, 1.0, 0.4),
    }

    def initialize(self, model) -> None:
        s = self.settings
        mix = np.array([getattr(s, o) for o in self.REACH], dtype=np.float64)
        total = mix.sum()
        reach = np.array(list(self.REACH.values()), dtype=np.float64)
        self.reach_by_age = (mix @ reach / total).astype(np.float32) if total > 0 else np.zeros(3, np.float32)
        self.campaign_today = False

    def apply(self, model, day: int) -> float:
        s = self.settings
        self.campaign_today = scheduled(day, 365.0 * s.intensity)
        cost = 0.0
        if self.campaign_today:
            cost += s.cost_per_campaign_day_cny * model.n_districts
            self.count(model, "campaign_district_days", model.n_districts)
        if s.role_models:
            cost += s.cost_role_models_per_year_cny * model.n_districts / 365.0
            self.count(model, "role_model_district_years", model.n_districts / 365.0)
        return cost


class Incentives(Lever):
    """Path 4.1: none, a top bonus for a few, points for hours, or rewards matched to groups.

    Money-like rewards add extrinsic motivation in proportion to money per volunteer and crowd out
    intrinsic motivation (Gneezy & Rustichini 2000); matched, non-monetary rewards are valued more
    per yuan by the group they fit and do not crowd out.
    """

    name = "incentives"
    # scheme -> (value per yuan relative to cash, share of crowding-out applied); assumptions
    SCHEMES = {"none": (0.0, 0.0), "top_bonus": (1.0, 1.0), "points": (1.3, 0.5), "matched": (2.5, 0.0)}

    def budget_total(self, model) -> float:
        return self.settings.budget_cny_per_year * model.real_residents / 20_000.0

    def initialize(self, model) -> None:
        self.extrinsic = np.zeros(N_SECTORS, dtype=np.float32)
        self.crowding = 0.0
        self.refresh(model)

    def refresh(self, model) -> None:
        s = self.settings
        per_yuan, crowd = self.SCHEMES[s.scheme]
        expected = model.cfg.world.initial_volunteer_share * model.pop.n  # before the team exists
        registered_real = max(model.n_registered or expected, 1.0) * model.scale
        per_volunteer = self.budget_total(model) / registered_real if s.scheme != "none" else 0.0
        value = model.cfg.participation.money_value_per_1000_cny * per_volunteer / 1000.0 * per_yuan
        self.extrinsic[:] = min(value, 0.5)
        if s.scheme != "none":  # asked vs delivered value, for simulation.constraints
            note(model, "incentives_asked", value)
            note(model, "incentives_delivered", min(value, 0.5))
            note(model, "incentives_refreshes", 1)
        self.crowding = model.cfg.participation.crowding_out * crowd if s.scheme != "none" else 0.0

    def apply(self, model, day: int) -> float:
        if day % 30 == 0:
            self.refresh(model)
        if self.settings.scheme == "none":
            return 0.0
        self.count(model, "budget_years", 1.0 / 365.0)
        return self.budget_total(model) / 365.0


class Evaluation(Lever):
    """Path 4.2: satisfaction-led and third-party evaluation cycles re-target effort and rewards."""

    name = "evaluation"

    def initialize(self, model) -> None:
        self.recognition = 0.0  # motivation bonus from being evaluated and recognised fairly

    def apply(self, model, day: int) -> float:
        s = self.settings
        if not (s.satisfaction_led or s.third_party) or not scheduled(day, s.cycles_per_year):
            return 0.0
        feedback.evaluation_cycle(model, s.satisfaction_led, s.third_party)
        self.count(model, "cycles", model.n_districts)
        cost = s.cost_per_cycle_cny + (s.cost_third_party_cny if s.third_party else 0.0)
        return cost * model.n_districts


class Allocation(Lever):
    """Factor 4: uniform, risk-based or need-based deployment (the rule is read by deployment)."""

    name = "allocation"


LEVER_CLASSES = (Recruitment, Training, RoleClarity, Dialogue, Channels, Publicity, Incentives, Evaluation, Allocation)


def build_levers(cfg) -> dict[str, Lever]:
    return {cls.name: cls(getattr(cfg.levers, cls.name)) for cls in LEVER_CLASSES}


def registered_mask(model) -> np.ndarray:
    return model.pop.vol_state == VolunteerState.REGISTERED
