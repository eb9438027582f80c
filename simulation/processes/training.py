"""Training: skills decay without practice and grow with training.

* Decay — every volunteer skill loses ``decay_per_year/365`` of its value per day.
* A session (scheduled by the training lever) reaches a share ``coverage`` of registered
  volunteers; each trained skill closes a share ``gain × fidelity`` of its gap to 1.  Without the
  cascade, fidelity is 1 but police can reach only one session's worth of volunteers; with the
  backbone-instructor cascade, police train instructors who train volunteers: reach is unlimited
  by police time but each level passes on only ``cascade_fidelity`` of the content (~75%, UNITAR).
* Pre-job mode trains only volunteers registered in the last 60 days; online mode reaches the
  older less.  Training also gives a small motivation boost (older volunteers in Zhejiang value
  training).
* Joint drills with fire, health and emergency departments raise emergency skills.
"""

from __future__ import annotations

import numpy as np

from simulation import kernels
from simulation.constraints import note, note_last
from simulation.population import AgeGroup, Skill, put_rows, take_rows

POLICE_TRAINEES_PER_OFFICER = 15  # volunteers an officer can train directly in one session; assumption
TRAINING_MOTIVATION_BOOST = 0.02  # assumption (Zhejiang older-volunteer survey: training raises satisfaction)


def step(model) -> None:
    """Daily skill decay of registered volunteers."""
    if not model.switches.training:
        return
    vols = model.registered_rows
    factor = np.float32(1.0 - model.cfg.skills.decay_per_year / 365.0)
    if kernels.enabled(model):
        kernels.loops().skill_decay(model.pop.skills, vols, factor)
        return
    skills = take_rows(model.pop.skills, vols)
    skills *= factor
    put_rows(model.pop.skills, vols, skills)


def run_session(model, coverage: float, cascade: bool, levels: int, skills: list[Skill], gain_mult: float, mode: str) -> int:
    """Train a share ``coverage`` of volunteers; return the number of trainees (agents)."""
    pop, rng, sk = model.pop, model.streams["training"], model.cfg.skills
    vols = model.registered_rows
    if mode == "pre_job":
        vols = vols[model.day - pop.registered_day[vols] <= 60]
    if vols.size == 0 or not skills:
        return 0
    reach = np.full(vols.size, min(coverage, 1.0), dtype=np.float64)
    if mode == "online":
        reach = np.where(pop.age[vols] == AgeGroup.OLDER, reach / 3.0, reach)
    trainees = vols[rng.random(vols.size) < np.minimum(reach, 1.0)]
    note(model, "training_asked", trainees.size)
    note(model, "training_sessions", 1)
    if cascade:
        fidelity = sk.cascade_fidelity ** levels
        n_instructors = max(1, trainees.size // 20)
        instructors = rng.choice(trainees, size=min(n_instructors, trainees.size), replace=False) if trainees.size else trainees
        pop.backbone[instructors] = True
    else:
        fidelity = 1.0
        cap = model.police.n * POLICE_TRAINEES_PER_OFFICER
        note_last(model, "trainees_per_officer", POLICE_TRAINEES_PER_OFFICER)
        if trainees.size > cap:
            trainees = rng.choice(trainees, size=cap, replace=False)
    note(model, "training_delivered", trainees.size)
    gain = np.float32(min(sk.gain_per_session * gain_mult * fidelity, 1.0))
    cols = np.array([int(s) for s in skills])
    block = pop.skills[np.ix_(trainees, cols)]
    pop.skills[np.ix_(trainees, cols)] = block + gain * (1.0 - block)
    pop.motivation[trainees] = np.minimum(pop.motivation[trainees] + np.float32(TRAINING_MOTIVATION_BOOST), 1.0)
    model.today["trainees"] += trainees.size
    return int(trainees.size)


def run_drill(model) -> None:
    """A joint drill: active-minded volunteers (half of those registered) gain emergency skill."""
    pop, rng, sk = model.pop, model.streams["training"], model.cfg.skills
    vols = model.registered_rows
    part = vols[rng.random(vols.size) < 0.5 * (pop.motivation[vols] > model.cfg.participation.dormant_motivation)]
    e = int(Skill.EMERGENCY)
    pop.skills[part, e] += np.float32(sk.gain_per_session * 1.5) * (1.0 - pop.skills[part, e])
    pop.skills[part, e] = np.minimum(pop.skills[part, e], 1.0)
    model.today["drill_participants"] += part.size
