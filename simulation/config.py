"""Typed, validated model parameters — the one place every parameter lives.

Each parameter is declared with :func:`P`, which records its unit, a one-line meaning and its
source (a figure from the project's calibration sources) or the word "assumption".  The schema is
strict: unknown keys are rejected with the nearest valid key suggested, types and ranges are
checked, and every error is one line naming the field path, the value and what is allowed
(:class:`simulation.errors.InputError`).

Loading: ``load_config(path | dict | None)``; ``None`` gives the bundled baseline.  Overrides use
dotted paths: ``cfg.with_overrides({"levers.incentives.scheme": "matched"})``.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
from pathlib import Path
from typing import Any, Literal, Optional, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulation import districts as district_table
from simulation.errors import InputError

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
"""The repository's ``configs/`` folder (the project is installed in editable mode)."""


def P(default: Any, unit: str, meaning: str, source: str, **constraints: Any) -> Any:
    """Declare a parameter: default, unit, one-line meaning, source (or "assumption")."""
    return Field(
        default,
        description=meaning,
        json_schema_extra={"unit": unit, "source": source},
        **constraints,
    )


class Section(BaseModel):
    """Base for every config section: strict (unknown keys rejected), validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# --------------------------------------------------------------------------------------------
# Run control
# --------------------------------------------------------------------------------------------
class RunParams(Section):
    days: int = P(365, "days", "simulated days that are recorded (one step = one day)", "assumption", ge=1, le=3650)
    warmup_days: int = P(30, "days", "days simulated before recording starts, so motivation and fatigue settle", "assumption", ge=0, le=3650)
    seed: int = P(42, "-", "root random seed of a single run", "assumption", ge=0)


# --------------------------------------------------------------------------------------------
# The world: population, communities, places, police, organizations
# --------------------------------------------------------------------------------------------
class CoreType(Section):
    """Urban type "core" (the old city): the reference, every multiplier 1."""

    incident_rate_mult: float = P(1.0, "×", "property and public-order incidents per resident relative to the core", "reference type", ge=0.0, le=10.0)
    mean_degree_mult: float = P(1.0, "×", "within-community ties per person relative to network.mean_degree", "reference type", gt=0.0, le=10.0)
    rewire_mult: float = P(1.0, "×", "tie rewiring (ties beyond the immediate neighbourhood) relative to network.rewire_prob", "reference type", ge=0.0, le=10.0)
    cross_ties_mult: float = P(1.0, "×", "ties to other communities of the district relative to network.cross_community_ties", "reference type", ge=0.0, le=10.0)
    mobile_share_mult: float = P(1.0, "×", "mobile population share relative to world.mobile_share (districts without a mobile_share of their own)", "reference type", ge=0.0, le=10.0)
    police_per_10k_mult: float = P(1.0, "×", "community officers per 10,000 residents relative to world.police_per_10k (districts without police figures of their own)", "reference type", gt=0.0, le=10.0)
    travel_hours: float = P(0.0, "hours", "travel time added to every police response", "reference type (dense streets, short distances)", ge=0.0, le=24.0)
    residents_per_community: int = P(8_000, "people/community", "residents of one community, for districts without a communities count", "assumption: Hangzhou's 1,106 urban communities/quarters hold most of its ~10 M urban residents", ge=1, le=1_000_000)


class SuburbanType(Section):
    """Urban type "suburban": new towns, industrial and development zones around the core."""

    incident_rate_mult: float = P(0.9, "×", "property and public-order incidents per resident relative to the core", "assumption: crime rates fall with density (Glaeser & Sacerdote 1999), offset by migrant-heavy industrial zones", ge=0.0, le=10.0)
    mean_degree_mult: float = P(1.0, "×", "within-community ties per person relative to network.mean_degree", "assumption", gt=0.0, le=10.0)
    rewire_mult: float = P(1.0, "×", "tie rewiring (ties beyond the immediate neighbourhood) relative to network.rewire_prob", "assumption", ge=0.0, le=10.0)
    cross_ties_mult: float = P(0.8, "×", "ties to other communities of the district relative to network.cross_community_ties", "assumption: more dispersed settlement than the core", ge=0.0, le=10.0)
    mobile_share_mult: float = P(1.4, "×", "mobile population share relative to world.mobile_share (districts without a mobile_share of their own)", "assumption: factories and development zones draw most migrant workers", ge=0.0, le=10.0)
    police_per_10k_mult: float = P(1.0, "×", "community officers per 10,000 residents relative to world.police_per_10k (districts without police figures of their own)", "assumption", gt=0.0, le=10.0)
    travel_hours: float = P(0.25, "hours", "travel time added to every police response", "assumption: longer distances between stations and communities", ge=0.0, le=24.0)
    residents_per_community: int = P(4_000, "people/community", "residents of one community, for districts without a communities count", "assumption: a mix of urban communities and villages (city average ~3,980)", ge=1, le=1_000_000)


class RuralMountainType(Section):
    """Urban type "rural_mountain": mountain counties of villages and small towns."""

    incident_rate_mult: float = P(0.6, "×", "property and public-order incidents per resident relative to the core", "assumption: rural crime rates well below urban ones (Glaeser & Sacerdote 1999: crime rises with city size)", ge=0.0, le=10.0)
    mean_degree_mult: float = P(0.8, "×", "within-community ties per person relative to network.mean_degree", "assumption: small villages, fewer acquaintances", gt=0.0, le=10.0)
    rewire_mult: float = P(0.5, "×", "tie rewiring (ties beyond the immediate neighbourhood) relative to network.rewire_prob", "assumption: ties more local (kin and neighbours)", ge=0.0, le=10.0)
    cross_ties_mult: float = P(0.3, "×", "ties to other communities of the district relative to network.cross_community_ties", "assumption: villages far apart", ge=0.0, le=10.0)
    mobile_share_mult: float = P(0.3, "×", "mobile population share relative to world.mobile_share (districts without a mobile_share of their own)", "assumption: mountain counties lose people to the city rather than draw migrants", ge=0.0, le=10.0)
    police_per_10k_mult: float = P(1.25, "×", "community officers per 10,000 residents relative to world.police_per_10k (districts without police figures of their own)", "assumption: township police stations cover few residents over large areas", gt=0.0, le=10.0)
    travel_hours: float = P(0.75, "hours", "travel time added to every police response", "assumption: mountain roads and dispersed villages", ge=0.0, le=24.0)
    residents_per_community: int = P(1_500, "people/community", "residents of one community, for districts without a communities count", "assumption: Hangzhou's 2,043 administrative villages hold ~2-3 M rural residents", ge=1, le=1_000_000)


class UrbanTypes(Section):
    core: CoreType = Field(default_factory=CoreType)
    suburban: SuburbanType = Field(default_factory=SuburbanType)
    rural_mountain: RuralMountainType = Field(default_factory=RuralMountainType)


class WorldParams(Section):
    n_residents: int = P(20_000, "agents", "number of resident agents simulated", "assumption (a district of ~20,000)", ge=10, le=20_000_000)
    scale: float = P(1.0, "people/agent", "real people each agent stands for; KPIs are reported for the real population", "assumption", ge=1.0)
    n_districts: int = P(1, "districts", "districts in the world", "assumption", ge=1, le=1000)
    communities_per_district: int = P(8, "communities", "communities (社区/villages) per district", "assumption", ge=1, le=100_000)
    places_per_community: int = P(12, "places", "public places per community (street/market, school, property compound, factory)", "assumption", ge=1, le=1000)
    place_risk_sigma: float = P(2.0, "log-units", "sd of log place risk (lognormal): heavy tail so few places carry many incidents", "calibrated to ~50% of crime at <5% of places (Weisburd; Police Foundation)", ge=0.0, le=5.0)
    mobile_share: float = P(0.18, "share", "share of residents who are mobile (migrant) population", "Hangzhou 15.29M actual vs 12.52M registered residents (Legal Daily 2023; population bulletin)", ge=0.0, le=1.0)
    age_young: float = P(0.30, "share", "share of adult residents aged 18-34", "assumption", ge=0.0, le=1.0)
    age_older: float = P(0.196, "share", "share of residents aged 60+", "Hangzhou population bulletin 2023 (19.6%)", ge=0.0, le=1.0)
    edu_low: float = P(0.35, "share", "share with at most middle-school education", "assumption", ge=0.0, le=1.0)
    edu_university: float = P(0.25, "share", "share with a university degree", "assumption", ge=0.0, le=1.0)
    student_share_of_young: float = P(0.25, "share", "share of 18-34 year-olds who are students", "assumption", ge=0.0, le=1.0)
    merchant_share: float = P(0.06, "share", "share of working-age residents who are merchants/shopkeepers", "assumption", ge=0.0, le=1.0)
    professional_share: float = P(0.03, "share", "share of working-age residents who are law, counselling or medical/rescue professionals", "assumption", ge=0.0, le=1.0)
    police_per_10k: float = P(4.0, "officers/10,000 residents", "community police officers per 10,000 residents", "assumption", gt=0.0, le=100.0)
    initial_volunteer_share: float = P(0.065, "share", "share of residents registered as volunteers at start", "≈1M volunteers in a city of 15.29M (programme name; Legal Daily 2023)", ge=0.0, le=1.0)
    initial_informed_share: float = P(0.45, "share", "share of residents who know the programme at start", "assumption", ge=0.0, le=1.0)
    organizations_per_community: int = P(3, "organizations", "enterprises/merchant associations/social organizations per community", "assumption", ge=0, le=1000)
    districts: Optional[list[district_table.DistrictRow]] = P(None, "table", "a district table (path to a .csv/.yaml file, or an inline list): one row per district with name, residents and optional urban_type, police, mobile/older shares, initial volunteers, communities; when given, n_districts and n_residents (= residents / scale) are derived from it (see simulation/districts.py)", "user data (e.g. configs/data/hangzhou_districts.csv)")
    urban_types: UrbanTypes = Field(default_factory=UrbanTypes)
    agent_views: Literal["auto", "all", "none"] = P("auto", "-", "create Mesa agent views for every person (all), none, or all only up to 200,000 residents (auto)", "assumption")

    @model_validator(mode="after")
    def _shares_sum(self) -> "WorldParams":
        if self.age_young + self.age_older > 1:
            raise ValueError(f"age_young + age_older = {self.age_young + self.age_older:g}; must be at most 1")
        if self.edu_low + self.edu_university > 1:
            raise ValueError(f"edu_low + edu_university = {self.edu_low + self.edu_university:g}; must be at most 1")
        if self.merchant_share + self.professional_share > 1:
            raise ValueError("merchant_share + professional_share must be at most 1")
        return self


class NetworkParams(Section):
    mean_degree: int = P(10, "ties/person", "mean number of within-community ties (ring lattice before rewiring; even)", "assumption", ge=2, le=100)
    rewire_prob: float = P(0.1, "probability", "small-world rewiring probability of a within-community tie", "assumption (Watts-Strogatz)", ge=0.0, le=1.0)
    cross_community_ties: float = P(1.0, "ties/person", "mean extra ties per person to residents of other communities in the same district", "assumption", ge=0.0, le=50.0)
    builder: Literal["auto", "networkx", "vectorized"] = P("auto", "-", "network generator: networkx per community, a vectorized numpy generator, or auto (networkx up to 200,000 residents)", "assumption")


class ProcessSwitches(Section):
    """Every mechanism can be switched off, so a class can see what each one does."""

    levers: bool = P(True, "switch", "policy levers act and spend", "model structure (a switch)")
    publicity: bool = P(True, "switch", "media publicity informs residents (Bass p) and raises awareness", "model structure (a switch)")
    word_of_mouth: bool = P(True, "switch", "informed neighbours inform residents (Bass q)", "model structure (a switch)")
    participation: bool = P(True, "switch", "registration, daily activation, motivation, fatigue, dropout", "model structure (a switch)")
    training: bool = P(True, "switch", "skill gain from training and skill decay", "model structure (a switch)")
    deployment: bool = P(True, "switch", "active volunteers, police and merchants guard places", "model structure (a switch)")
    property_incidents: bool = P(True, "switch", "property and public-order incidents at places", "model structure (a switch)")
    fraud: bool = P(True, "switch", "fraud attempts on residents", "model structure (a switch)")
    disputes: bool = P(True, "switch", "neighbour disputes that escalate unless mediated", "model structure (a switch)")
    emergencies: bool = P(True, "switch", "emergencies with volunteer first response", "model structure (a switch)")
    reporting: bool = P(True, "switch", "reporting through channels and the police queue", "model structure (a switch)")
    feedback: bool = P(True, "switch", "satisfaction and trust respond to events", "model structure (a switch)")


# --------------------------------------------------------------------------------------------
# Mechanism parameters
# --------------------------------------------------------------------------------------------
class DiffusionParams(Section):
    p_media: float = P(0.03, "1/year", "Bass innovation coefficient: yearly hazard of learning of the programme from background media, every day", "Bass (1969) and reviews: p ≈ 0.03", ge=0.0, le=10.0)
    campaign_hazard_per_year: float = P(1.0, "1/year", "extra yearly hazard of learning of the programme on campaign days, for an age group the outlet mix reaches fully", "assumption", ge=0.0, le=100.0)
    q_word_of_mouth: float = P(0.38, "1/year", "Bass imitation coefficient: yearly hazard per unit informed share of one's neighbours", "Bass (1969) and reviews: q ≈ 0.38 (0.3-0.5)", ge=0.0, le=10.0)
    awareness_gain_per_year: float = P(0.5, "1/year", "rate at which an informed resident's civic awareness approaches its ceiling", "assumption", ge=0.0, le=50.0)
    awareness_ceiling: float = P(0.7, "0-1", "awareness an informed resident tends to without role models", "assumption", ge=0.0, le=1.0)
    role_model_ceiling_bonus: float = P(0.15, "0-1", "extra awareness ceiling when role models are publicised", "assumption", ge=0.0, le=1.0)
    initial_awareness_mean: float = P(0.35, "0-1", "mean civic awareness at start (Beta distributed)", "assumption", ge=0.01, le=0.99)
    initial_fraud_literacy_mean: float = P(0.45, "0-1", "mean fraud literacy at start (Beta distributed)", "assumption", ge=0.0, le=1.0)


class ParticipationParams(Section):
    registration_rate_per_year: float = P(0.2, "1/year", "yearly hazard that an informed resident whose propensity just meets their threshold registers", "assumption; calibrated so registrations roughly replace dropout", ge=0.0, le=50.0)
    threshold_mean: float = P(0.55, "0-1", "mean of the heterogeneous registration threshold", "assumption", ge=0.0, le=2.0)
    threshold_sd: float = P(0.15, "0-1", "sd of the registration threshold", "assumption", ge=0.0, le=1.0)
    propensity_steepness: float = P(10.0, "1/unit", "steepness of the logistic registration response to propensity minus threshold", "assumption", gt=0.0, le=100.0)
    peer_weight: float = P(0.6, "0-1 per share", "weight of the volunteer share among one's neighbours in propensity", "assumption", ge=0.0, le=5.0)
    older_time_bonus: float = P(0.15, "0-1", "propensity bonus of retirees (more free time)", "Japan: 61.6% of crime-prevention groups average 60+ (NPA 2014)", ge=-1.0, le=1.0)
    young_time_cost: float = P(0.15, "0-1", "propensity penalty of 18-34 year-olds without targeted recruitment (time, visibility)", "assumption; stylised fact 3 (older team)", ge=-1.0, le=1.0)
    mid_education_bonus: float = P(0.08, "0-1", "propensity bonus of high-school/college educated residents", "study: team mostly high-school/college educated", ge=-1.0, le=1.0)
    mobile_penalty: float = P(0.2, "0-1", "propensity penalty of the mobile population (not on the agenda, short stay)", "assumption", ge=0.0, le=1.0)
    service_prob_max: float = P(0.3, "probability/day", "daily probability of serving for a fully motivated volunteer who is fully available", "assumption", ge=0.0, le=1.0)
    dormant_motivation: float = P(0.45, "0-1", "motivation below which a registered volunteer does not serve at all", "assumption; calibrated to active share ≈ 1/2 (Chaoyang: 60k of 130k)", ge=0.0, le=1.0)
    hours_per_shift: float = P(3.0, "hours", "hours of one volunteer shift", "assumption", gt=0.0, le=24.0)
    active_window_days: int = P(30, "days", "a registered volunteer is 'active' if they served within this window", "assumption (monthly activity, as in Chaoyang's active count)", ge=1, le=365)
    intrinsic_mean: float = P(0.55, "0-1", "mean intrinsic motivation of volunteers (Beta distributed)", "assumption; calibrated to active share ≈ 1/2", ge=0.01, le=0.99)
    intrinsic_concentration: float = P(8.0, "-", "Beta concentration (a+b) of intrinsic motivation", "assumption", gt=0.0, le=1000.0)
    motivation_adjust_per_year: float = P(6.0, "1/year", "rate at which motivation follows intrinsic + extrinsic drivers", "assumption", ge=0.0, le=365.0)
    efficacy_weight: float = P(0.05, "0-1", "motivation gained from seeing results (recognition, feedback)", "assumption", ge=0.0, le=1.0)
    fatigue_per_shift: float = P(0.08, "0-1", "fatigue added by one shift", "assumption", ge=0.0, le=1.0)
    fatigue_recovery_per_day: float = P(0.05, "1/day", "share of fatigue recovered per day", "assumption", ge=0.0, le=1.0)
    dropout_base_per_year: float = P(0.20, "1/year", "yearly dropout hazard of a volunteer with no fatigue, mid motivation and status-quo role clarity", "UK special constables 17% wastage (Home Office); US ~1/3 (CNCS)", ge=0.0, le=10.0)
    dropout_motivation_slope: float = P(1.5, "-", "relative change of dropout hazard per unit motivation below 0.5", "assumption", ge=0.0, le=20.0)
    dropout_fatigue_slope: float = P(2.0, "-", "relative increase of dropout hazard per unit fatigue", "assumption", ge=0.0, le=20.0)
    dropout_ambiguity_slope: float = P(0.8, "-", "relative increase of dropout hazard per unit role ambiguity (1 - role clarity)", "assumption", ge=0.0, le=20.0)
    crowding_out: float = P(0.12, "0-1", "intrinsic motivation lost when small money rewards frame the service as paid", "Gneezy & Rustichini (2000): paid 1% raised 154 vs 239 unpaid", ge=0.0, le=1.0)
    money_value_per_1000_cny: float = P(0.12, "0-1 per 1,000 CNY/yr", "extrinsic motivation from 1,000 CNY per volunteer-year of money-like reward", "assumption; Lacetera et al. (gift cards +15-20%)", ge=0.0, le=10.0)


class SkillParams(Section):
    initial_skill_mean: float = P(0.25, "0-1", "mean skill (each of patrol, anti-fraud, mediation, emergency) of volunteers at start", "assumption", ge=0.0, le=1.0)
    decay_per_year: float = P(0.25, "1/year", "yearly relative decay of untrained skills", "assumption", ge=0.0, le=10.0)
    gain_per_session: float = P(0.25, "0-1", "share of the gap to full skill closed by one classroom session", "assumption", ge=0.0, le=1.0)
    cascade_fidelity: float = P(0.75, "share", "share of training content passed on at each level of the instructor cascade", "training literature (UNITAR): ~75% per level", ge=0.0, le=1.0)


class IncidentParams(Section):
    property_per_1000_per_year: float = P(9.0, "incidents/1,000 residents/year", "property incidents at places without guardianship", "assumption (order of magnitude of recorded property crime)", ge=0.0, le=1000.0)
    public_order_per_1000_per_year: float = P(6.0, "incidents/1,000 residents/year", "public-order incidents at places without guardianship", "assumption", ge=0.0, le=1000.0)
    guardian_effect_max: float = P(0.6, "share", "largest share of a place's incidents that guardianship can prevent", "assumption; calibrated to a 16-26% reduction (Bennett, Holloway & Farrington 2008)", ge=0.0, le=1.0)
    guardian_half: float = P(0.5, "guardian-shifts", "guardianship at a place that gives half the largest effect", "assumption; calibrated as above", gt=0.0, le=1000.0)
    police_guardian_weight: float = P(1.5, "volunteer-shift equivalents", "guardianship of one officer on patrol relative to a volunteer shift", "assumption", ge=0.0, le=20.0)
    merchant_guardian_weight: float = P(0.3, "volunteer-shift equivalents", "guardianship of a recruited merchant at their own place each day", "assumption", ge=0.0, le=20.0)
    police_patrol_share: float = P(0.6, "share", "share of community officers on street patrol on a day", "Hangzhou: 60% of police deployed on street (Legal Daily 2023)", ge=0.0, le=1.0)
    fraud_attempts_per_person_per_year: float = P(0.6, "attempts/person/year", "fraud attempts reaching a resident", "assumption", ge=0.0, le=365.0)
    fraud_success_base: float = P(0.01, "probability", "success probability of an attempt on a resident with fraud literacy 0 (success = base × (1 − literacy))", "assumption", ge=0.0, le=1.0)
    fraud_older_vulnerability: float = P(1.5, "multiplier", "relative success probability for residents aged 60+", "assumption", ge=0.0, le=10.0)
    fraud_loss_mean_cny: float = P(12_000.0, "CNY", "mean loss of a successful fraud (lognormal)", "assumption", ge=0.0)
    forewarned_effect: float = P(0.5, "share", "reduction of fraud success for a resident recently forewarned in person", "Pratkanis / AARP experiments: victimisation halved", ge=0.0, le=1.0)
    forewarned_days: int = P(180, "days", "how long an in-person warning protects", "assumption", ge=1, le=3650)
    mass_message_literacy_gain: float = P(0.0005, "0-1 per campaign day", "fraud literacy gained from a day of untargeted mass messaging by those reached", "Jensen et al. (2024): no measurable effect of mass messages", ge=0.0, le=1.0)
    disputes_per_1000_per_year: float = P(20.0, "disputes/1,000 residents/year", "neighbour disputes", "assumption", ge=0.0, le=1000.0)
    dispute_escalation_prob: float = P(0.2, "probability", "probability that an unmediated dispute escalates to a public-order incident", "assumption", ge=0.0, le=1.0)
    mediation_effect: float = P(0.7, "share", "reduction of escalation by a mediator with full mediation skill", "assumption", ge=0.0, le=1.0)
    emergencies_per_1000_per_year: float = P(3.0, "emergencies/1,000 residents/year", "medical/fire/accident emergencies", "assumption", ge=0.0, le=1000.0)
    first_response_skill: float = P(0.3, "0-1", "emergency skill from which a volunteer can give first response", "assumption", ge=0.0, le=1.0)


class ResponseParams(Section):
    report_base: float = P(0.55, "probability", "probability an incident is reported through the hotline alone by a witness of mean trust", "assumption", ge=0.0, le=1.0)
    trust_slope: float = P(0.6, "-", "relative change of reporting per unit trust above/below 0.5", "assumption", ge=0.0, le=5.0)
    mobile_report_penalty: float = P(0.35, "share", "relative reduction of reporting by the mobile population", "assumption", ge=0.0, le=1.0)
    cases_per_officer_per_day: float = P(6.0, "cases/officer/day", "cases a community officer closes per day", "assumption", gt=0.0, le=1000.0)
    routine_per_1000_per_day: float = P(2.0, "cases/1,000 residents/day", "routine affairs reaching community police (certificates, lost items, checks)", "assumption", ge=0.0, le=1000.0)
    routine_per_volunteer_shift: float = P(0.3, "cases/shift", "routine affairs a volunteer shift takes off the police", "assumption", ge=0.0, le=100.0)
    base_response_hours: float = P(0.5, "hours", "response time when the police queue is empty", "assumption", ge=0.0, le=1000.0)


class SatisfactionParams(Section):
    response_satisfaction_base: float = P(0.965, "probability", "probability a reporter is satisfied with call handling when response is prompt", "Hangzhou satisfaction with call handling 96.11% (Legal Daily 2023)", ge=0.0, le=1.0)
    delay_penalty_per_hour: float = P(0.02, "probability/hour", "loss of response satisfaction per hour of delay beyond the base", "assumption", ge=0.0, le=1.0)
    closed_loop_bonus: float = P(0.01, "probability", "extra response satisfaction when the reporter gets feedback (closed loop)", "assumption", ge=0.0, le=1.0)
    initial_satisfaction_mean: float = P(0.8, "0-1", "mean resident satisfaction with community safety governance at start", "assumption", ge=0.01, le=0.99)
    initial_trust_mean: float = P(0.7, "0-1", "mean trust in police at start", "assumption", ge=0.01, le=0.99)
    mobile_satisfaction_gap: float = P(0.1, "0-1", "initial satisfaction and trust gap of the mobile population", "assumption", ge=0.0, le=1.0)
    victim_satisfaction_drop: float = P(0.2, "0-1", "satisfaction lost by a victim of an incident or fraud", "assumption", ge=0.0, le=1.0)
    satisfaction_adjust_per_year: float = P(1.0, "1/year", "rate at which satisfaction drifts to its community's safety-and-voice level", "assumption", ge=0.0, le=365.0)
    trust_adjust_per_year: float = P(0.5, "1/year", "rate at which trust follows satisfaction", "assumption", ge=0.0, le=365.0)
    presence_weight: float = P(0.05, "0-1", "satisfaction target gained from visible volunteer presence in one's community", "assumption", ge=0.0, le=1.0)
    voice_weight: float = P(0.08, "0-1", "satisfaction target gained by a group whose concerns are on the agenda (dialogue)", "assumption", ge=0.0, le=1.0)


# --------------------------------------------------------------------------------------------
# Policy levers (status-quo defaults: a small bonus for a few, few channels, little training)
# --------------------------------------------------------------------------------------------
Sector = Literal["students", "law", "counselling", "medical", "merchants", "workers"]


class RecruitmentLever(Section):
    targets: list[Sector] = P([], "-", "groups targeted by recruitment drives (path 1.1)", "study path 1.1")
    drives_per_year: int = P(0, "drives/year", "recruitment drives by organizations per community", "assumption", ge=0, le=365)
    drive_boost: float = P(0.25, "0-1", "propensity bonus of a targeted group during the month after a drive", "assumption", ge=0.0, le=2.0)
    drive_reach: float = P(0.5, "share", "share of the targeted groups' uninformed residents a drive informs (through their organizations)", "assumption", ge=0.0, le=1.0)
    university_partnerships: bool = P(False, "switch", "standing partnerships with universities (students recruited with study credit)", "study path 1.1; fx361: 75%+ graduates in a station team", )
    merchant_guardians: bool = P(False, "switch", "registered merchants guard their own places each day", "study path 1.1")
    cost_per_drive_cny: float = P(5_000.0, "CNY/drive", "cost of one recruitment drive in one community", "assumption", ge=0.0)
    cost_partnership_per_year_cny: float = P(100_000.0, "CNY/year", "cost of the university partnership programme per district", "assumption", ge=0.0)


class TrainingLever(Section):
    coverage: float = P(0.1, "share", "share of registered volunteers reached by each training session", "assumption (status quo: little training)", ge=0.0, le=1.0)
    sessions_per_year: int = P(2, "sessions/year", "training sessions per year", "assumption", ge=0, le=365)
    content: list[Literal["patrol", "anti_fraud", "mediation", "emergency"]] = P(["patrol", "anti_fraud"], "-", "skills taught (law and safety prevention = patrol)", "study path 1.2")
    mode: Literal["classroom", "door_to_door", "pre_job", "online"] = P("classroom", "-", "delivery mode, with different reach, gain and cost", "study path 3.2")
    cascade: bool = P(False, "switch", "backbone-instructor cascade: police train instructors who train volunteers", "study path 3.2")
    cascade_levels: int = P(2, "levels", "levels from police to volunteers in the cascade", "assumption", ge=1, le=5)
    joint_drills_per_year: int = P(0, "drills/year", "joint drills with fire, health and emergency departments", "study path 1.2", ge=0, le=365)
    cost_per_trainee_session_cny: float = P(60.0, "CNY/trainee-session", "cost of one trainee in one classroom session", "assumption", ge=0.0)
    cost_per_drill_cny: float = P(20_000.0, "CNY/drill", "cost of one joint drill per district", "assumption", ge=0.0)


class RoleClarityLever(Section):
    level: float = P(0.3, "0-1", "clarity of volunteers' responsibilities and rights (1 = fully clear)", "assumption (status quo: vague)", ge=0.0, le=1.0)
    cost_per_volunteer_per_year_cny: float = P(40.0, "CNY/volunteer-year", "cost per volunteer-year of each 0.1 of clarity above status quo (handbooks, duty rosters, insurance)", "assumption", ge=0.0)


class DialogueLever(Section):
    mobile_weight: float = P(0.2, "0-1", "weight of the mobile population on the governance agenda", "assumption (status quo: organized groups dominate)", ge=0.0, le=1.0)
    dispersed_weight: float = P(0.4, "0-1", "weight of dispersed, unorganized residents on the agenda", "assumption", ge=0.0, le=1.0)
    meetings_per_year: int = P(2, "meetings/year", "equal-dialogue meetings per community", "assumption", ge=0, le=365)
    cost_per_meeting_cny: float = P(2_000.0, "CNY/meeting", "cost of one meeting in one community", "assumption", ge=0.0)


class ChannelsLever(Section):
    hotline: bool = P(True, "switch", "110 hotline", "model structure (a switch)")
    app: bool = P(False, "switch", "app / WeChat mini-program reporting", "study path 2.2")
    group_chat: bool = P(True, "switch", "volunteer group chats", "study path 2.2")
    joint_meetings: bool = P(False, "switch", "joint meetings of police, residents and organizations", "study path 2.2")
    social_orgs: bool = P(False, "switch", "grassroots social organizations as a channel", "study path 2.2")
    enterprise: bool = P(False, "switch", "cooperation with enterprises (staff report, premises guarded)", "study path 2.2")
    closed_loop: bool = P(False, "switch", "closed loop: discover, respond, classify, summarise, feed back to reporter", "study path 2.2")
    cost_per_channel_per_year_cny: float = P(60_000.0, "CNY/channel-year", "operating cost of each channel beyond the hotline, per district", "assumption", ge=0.0)
    cost_closed_loop_per_year_cny: float = P(80_000.0, "CNY/year", "cost of running the closed loop per district", "assumption", ge=0.0)


class PublicityLever(Section):
    intensity: float = P(0.3, "0-1", "overall publicity intensity (share of days with campaign activity)", "assumption (status quo: occasional)", ge=0.0, le=1.0)
    newspaper: float = P(0.5, "0-1", "share of the campaign in newspapers (reach mostly 60+)", "study path 3.1", ge=0.0, le=1.0)
    wechat: float = P(0.4, "0-1", "share in WeChat (all ages)", "study path 3.1", ge=0.0, le=1.0)
    weibo: float = P(0.1, "0-1", "share in Weibo (young)", "study path 3.1", ge=0.0, le=1.0)
    tiktok: float = P(0.0, "0-1", "share in TikTok/Douyin (young and middle-aged)", "study path 3.1", ge=0.0, le=1.0)
    role_models: bool = P(False, "switch", "publicise outstanding volunteers as role models", "study path 3.1")
    anti_fraud: Literal["none", "mass", "targeted"] = P("mass", "-", "anti-fraud warnings: none, untargeted mass messages, or targeted in-person warnings by volunteers", "study; Jensen et al. (2024); Pratkanis/AARP")
    warnings_per_shift: float = P(3.0, "residents/shift", "residents warned in person per anti-fraud volunteer shift (targeted mode)", "assumption", ge=0.0, le=100.0)
    cost_per_campaign_day_cny: float = P(3_000.0, "CNY/day", "cost of one campaign day at intensity 1 per district", "assumption", ge=0.0)
    cost_role_models_per_year_cny: float = P(30_000.0, "CNY/year", "cost of role-model recognition per district", "assumption", ge=0.0)


class IncentivesLever(Section):
    scheme: Literal["none", "top_bonus", "points", "matched"] = P("top_bonus", "-", "incentive scheme (status quo: a small bonus for a few outstanding volunteers)", "study path 4.1")
    budget_cny_per_year: float = P(30_000.0, "CNY/year per 20,000 residents", "incentive budget, stated per 20,000 residents so it scales with the world", "assumption", ge=0.0)
    top_share: float = P(0.05, "share", "share of volunteers receiving the top bonus", "study: a small bonus for a few outstanding volunteers", ge=0.0, le=1.0)


class EvaluationLever(Section):
    satisfaction_led: bool = P(False, "switch", "evaluation cycles with public satisfaction as the main pillar", "study path 4.2")
    third_party: bool = P(False, "switch", "third-party expert evaluation", "study path 4.2")
    cycles_per_year: int = P(0, "cycles/year", "evaluation cycles per year", "assumption", ge=0, le=52)
    cost_per_cycle_cny: float = P(20_000.0, "CNY/cycle", "cost of one satisfaction survey cycle per district", "assumption", ge=0.0)
    cost_third_party_cny: float = P(40_000.0, "CNY/cycle", "extra cost of third-party experts per cycle per district", "assumption", ge=0.0)


class AllocationLever(Section):
    rule: Literal["uniform", "risk", "need"] = P("uniform", "-", "where volunteer patrols go: uniformly, by risk (hot spots), or by need on the agenda", "study factor 4; Braga et al. (2019)")


class Levers(Section):
    recruitment: RecruitmentLever = Field(default_factory=RecruitmentLever)
    training: TrainingLever = Field(default_factory=TrainingLever)
    role_clarity: RoleClarityLever = Field(default_factory=RoleClarityLever)
    dialogue: DialogueLever = Field(default_factory=DialogueLever)
    channels: ChannelsLever = Field(default_factory=ChannelsLever)
    publicity: PublicityLever = Field(default_factory=PublicityLever)
    incentives: IncentivesLever = Field(default_factory=IncentivesLever)
    evaluation: EvaluationLever = Field(default_factory=EvaluationLever)
    allocation: AllocationLever = Field(default_factory=AllocationLever)


class ModelConfig(Section):
    """The whole model configuration: what one YAML file holds."""

    name: str = P("unnamed", "-", "a label for the scenario", "-")
    description: str = P("", "-", "free text", "-")
    run: RunParams = Field(default_factory=RunParams)
    world: WorldParams = Field(default_factory=WorldParams)
    network: NetworkParams = Field(default_factory=NetworkParams)
    processes: ProcessSwitches = Field(default_factory=ProcessSwitches)
    diffusion: DiffusionParams = Field(default_factory=DiffusionParams)
    participation: ParticipationParams = Field(default_factory=ParticipationParams)
    skills: SkillParams = Field(default_factory=SkillParams)
    incidents: IncidentParams = Field(default_factory=IncidentParams)
    response: ResponseParams = Field(default_factory=ResponseParams)
    satisfaction: SatisfactionParams = Field(default_factory=SatisfactionParams)
    levers: Levers = Field(default_factory=Levers)

    # -- convenience ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def canonical_json(self) -> str:
        """Stable JSON of every resolved value, for hashing and manifests."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]

    def with_overrides(self, overrides: dict[str, Any] | None) -> "ModelConfig":
        """A new config with dotted-path overrides applied (``{"levers.training.coverage": 0.5}``)."""
        if not overrides:
            return self
        data = self.to_dict()
        for path, value in overrides.items():
            set_dotted(data, path, value)
        return config_from_dict(data)


# --------------------------------------------------------------------------------------------
# Loading, overriding, error messages
# --------------------------------------------------------------------------------------------
def _section_fields(model: type[BaseModel], parts: list[str]) -> type[BaseModel] | None:
    """The pydantic model class reached by following ``parts`` from ``model`` (None: a leaf)."""
    cls: Any = model
    for part in parts:
        field = cls.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return None
        cls = ann
    return cls


def _suggest(cls: type[BaseModel] | None, key: str) -> str:
    if cls is None:
        return ""
    close = difflib.get_close_matches(key, list(cls.model_fields), n=1, cutoff=0.5)
    allowed = ", ".join(cls.model_fields)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"{hint} (valid keys: {allowed})"


def set_dotted(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``data['a']['b']['c'] = value`` for ``path='a.b.c'``, checking every part exists."""
    parts = path.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            cls = _section_fields(ModelConfig, parts[:i])
            shown = ".".join(parts[: i + 1])
            raise InputError(f"{shown}: unknown parameter{_suggest(cls, part)}")
        if i == len(parts) - 1:
            node[part] = value
        else:
            node = node[part]


def get_dotted(cfg: ModelConfig, path: str) -> Any:
    node: Any = cfg
    for part in path.split("."):
        node = getattr(node, part)
    return node


def _format_validation_error(err: ValidationError) -> str:
    """One line: field path, bad value, what is allowed (first error only)."""
    e = err.errors()[0]
    loc = ".".join(str(p) for p in e["loc"]) or "config"
    if e["type"] == "extra_forbidden":
        parts = [str(p) for p in e["loc"]]
        cls = _section_fields(ModelConfig, parts[:-1])
        return f"{loc}: unknown key{_suggest(cls, parts[-1])}"
    value = e.get("input")
    shown = repr(value) if not isinstance(value, dict) else "{...}"
    msg = e["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    more = f" (and {len(err.errors()) - 1} more problem(s))" if len(err.errors()) > 1 else ""
    return f"{loc}: {shown} is not allowed: {msg}{more}"


def expand_dotted(data: dict[str, Any]) -> dict[str, Any]:
    """Turn top-level dotted keys (``levers.training.coverage: 0.5``) into nested sections."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(key, str) and "." in key:
            node = out
            parts = key.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise InputError(f"{key}: conflicts with a value given for {part}")
            node[parts[-1]] = value
        else:
            out[key] = deep_merge(out[key], value) if isinstance(out.get(key), dict) and isinstance(value, dict) else value
    return out


def config_from_dict(data: dict[str, Any] | None) -> ModelConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"config: expected a mapping of sections, got {type(data).__name__}")
    data = district_table.resolve(expand_dotted(data))
    try:
        return ModelConfig.model_validate(data)
    except ValidationError as err:
        raise InputError(_format_validation_error(err)) from None


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping, turning every failure into a one-line InputError."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: config file not found")
    if not p.is_file():
        raise InputError(f"{p}: not a file")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise InputError(f"{p}:{where}: malformed YAML: {problem}") from None
    except UnicodeDecodeError:
        raise InputError(f"{p}: not a UTF-8 text file") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{p}: expected a mapping of sections at the top level, got {type(data).__name__}")
    return data


def bundled_config_path(name: str = "baseline") -> Path:
    return CONFIG_DIR / f"{name}.yaml"


def load_config(source: str | Path | dict[str, Any] | ModelConfig | None = None) -> ModelConfig:
    """A validated :class:`ModelConfig` from a YAML path, a dict, a config, or None (the baseline).

    A YAML file may start with ``extends: other.yaml`` (relative to the file): its values are
    merged over that file's, so scenario files only state what differs.  Keys may be nested
    sections or dotted paths (``levers.training.coverage: 0.5``).
    """
    if isinstance(source, ModelConfig):
        return source
    if source is None:
        source = bundled_config_path("baseline")
    if isinstance(source, dict):
        return config_from_dict(copy.deepcopy(source))
    return config_from_dict(resolve_extends(Path(source)))


def resolve_extends(path: Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    data = read_yaml(path)
    data = expand_dotted(data)
    district_table.anchor_path(data.get("world"), path.parent)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    parent_path = (path.parent / str(parent)).resolve()
    if parent_path in _seen:
        raise InputError(f"{path}: extends: circular reference to {parent_path}")
    return deep_merge(resolve_extends(parent_path, _seen + (path.resolve(),)), data)


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _type_name(ann: Any) -> str:
    """``int``, ``float``, ``one of a/b/c`` or ``list of a/b`` for a field annotation."""
    origin, args = get_origin(ann), get_args(ann)
    if origin is Literal:
        return "one of " + "/".join(str(a) for a in args)
    if origin is list:
        return "list of " + _type_name(args[0]) .replace("one of ", "") if args else "list"
    return getattr(ann, "__name__", str(ann))


def parameter_table() -> list[dict[str, str]]:
    """Every parameter with its path, type, default, unit, meaning and source (for docs and tests)."""
    rows: list[dict[str, str]] = []

    def walk(cls: type[BaseModel], prefix: str) -> None:
        for name, field in cls.model_fields.items():
            ann = field.annotation
            path = f"{prefix}{name}"
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, path + ".")
                continue
            extra = field.json_schema_extra or {}
            rows.append(
                {
                    "path": path,
                    "type": _type_name(ann),
                    "default": json.dumps(field.default if field.default_factory is None else field.default_factory()),
                    "unit": str(extra.get("unit", "")),
                    "meaning": field.description or "",
                    "source": str(extra.get("source", "")),
                }
            )

    walk(ModelConfig, "")
    return rows


def parameters_markdown() -> str:
    """docs/parameters.md: every parameter as a Markdown table (regenerate: python -m simulation.config)."""
    lines = [
        "# Model parameters",
        "",
        "Generated from `simulation/config.py` by `python -m simulation.config > docs/parameters.md`;",
        "a test fails when this file is out of date. Every default has a source or is marked as an",
        "assumption. Units: per year rates are hazards per year; shares and 0-1 scores are unitless.",
        "",
        "| path | type | default | unit | meaning | source |",
        "|---|---|---|---|---|---|",
    ]
    for r in parameter_table():
        cells = [f"`{r['path']}`", r["type"], f"`{r['default']}`", r["unit"], r["meaning"], r["source"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(parameters_markdown(), end="")
