"""The teaching page's guided exercises: data and logic, no widgets.

Each exercise (``docs/teaching/0N_*.md``) becomes one paired comparison the page can run: the
reference settings and the student's settings of the same village and seed, the KPI to watch, the
direction it goes over seeds 1-12, and an explanation.  The prose lives in
``configs/teaching/page_exercises.yaml`` in English and Chinese (long texts are kept together
with their translation there rather than in the message catalogue); the short interface texts
here are message ids for :mod:`simulation.teaching.i18n`.

The student predicts *before* running; :func:`prediction_outcome` then compares the prediction
with what the run showed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from simulation.config import CONFIG_DIR
from simulation.paths import PATH_NAMES, lever_overrides
from simulation.teaching.i18n import LANGUAGES, N_, normalise, translator

EXERCISES_FILE = CONFIG_DIR / "teaching" / "page_exercises.yaml"
Direction = Literal["up", "down", "same"]
DIRECTIONS: tuple[str, ...] = ("up", "down", "same")
DIRECTION_LABELS = {"up": N_("It goes up"), "down": N_("It goes down"), "same": N_("No change")}
"""How each prediction is offered to the student (message ids)."""
_MOVED = {"up": N_("went up"), "down": N_("went down"), "same": N_("stayed about the same")}
_CORRECT = N_("Your prediction was right: {kpi} {moved}, from {reference} to {student}.")
_WRONG = N_("Your prediction was not what this run showed: {kpi} {moved}, from {reference} to {student}.")
_SEEDS_AGREE = N_("Over seeds 1-12 it also {moved}.")
_SEEDS_DIFFER = N_("Over seeds 1-12 it {moved}: one run is one village and one stretch of luck, try another seed.")


@dataclass(frozen=True)
class Setting:
    """One side of the comparison: a label (by language) and dotted config overrides."""

    label: dict[str, str]
    overrides: dict[str, Any]

    def text(self, lang: str) -> str:
        """The label in ``lang`` (English fallback)."""
        return self.label.get(normalise(lang)) or self.label["en"]


@dataclass(frozen=True)
class Exercise:
    """One guided exercise; texts are ``{"en": ..., "zh": ...}``, read with :meth:`text`."""

    id: str
    doc: str
    title: dict[str, str]
    question: dict[str, str]
    kpi: str
    kpi_label: dict[str, str]
    expected: Direction
    same_within: float
    reference: Setting
    student: Setting
    explanation: dict[str, str]

    def text(self, field: str, lang: str) -> str:
        """``title``, ``question``, ``kpi_label`` or ``explanation`` in ``lang`` (English fallback)."""
        texts = getattr(self, field)
        return texts.get(normalise(lang)) or texts["en"]

    def overrides(self) -> dict[str, dict[str, Any]]:
        """What the page applies to set up the two villages: ``{"reference": {...}, "student": {...}}``."""
        return {"reference": dict(self.reference.overrides), "student": dict(self.student.overrides)}


class ExerciseFileError(ValueError):
    """The exercises' YAML is malformed; the message names the field."""


def _texts(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or set(raw) != set(LANGUAGES) or not all(isinstance(v, str) and v.strip() for v in raw.values()):
        raise ExerciseFileError(f"{where}: {raw!r} ... allowed: a text per language {', '.join(LANGUAGES)}")
    return {k: " ".join(v.split()) for k, v in raw.items()}


def _setting(raw: Any, village: dict[str, Any], where: str) -> Setting:
    if not isinstance(raw, dict) or not set(raw) <= {"label", "preset", "set"}:
        raise ExerciseFileError(f"{where}: {raw!r} ... allowed: label, preset, set")
    preset = raw.get("preset", "status_quo")
    if preset not in PATH_NAMES:
        raise ExerciseFileError(f"{where}.preset: {preset!r} ... allowed: {', '.join(PATH_NAMES)}")
    overrides = {**village, **lever_overrides(preset), **(raw.get("set") or {})}
    return Setting(label=_texts(raw.get("label"), f"{where}.label"), overrides=overrides)


def parse_exercises(data: Any) -> tuple[Exercise, ...]:
    """Exercises from the YAML document ``data`` (see ``configs/teaching/page_exercises.yaml``)."""
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), list):
        raise ExerciseFileError("exercises: missing ... allowed: a list of exercises")
    village = dict(data.get("village") or {})
    out = []
    for i, raw in enumerate(data["exercises"]):
        where = f"exercises[{i}]"
        if raw.get("expected") not in DIRECTIONS:
            raise ExerciseFileError(f"{where}.expected: {raw.get('expected')!r} ... allowed: {', '.join(DIRECTIONS)}")
        same_within = raw.get("same_within", 0.01)
        if not isinstance(same_within, (int, float)) or not 0 <= same_within < 1:
            raise ExerciseFileError(f"{where}.same_within: {same_within!r} ... allowed: a relative change in [0, 1)")
        out.append(Exercise(
            id=str(raw["id"]), doc=str(raw["doc"]), title=_texts(raw.get("title"), f"{where}.title"),
            question=_texts(raw.get("question"), f"{where}.question"), kpi=str(raw["kpi"]),
            kpi_label=_texts(raw.get("kpi_label"), f"{where}.kpi_label"), expected=raw["expected"],
            same_within=float(same_within), reference=_setting(raw.get("reference"), village, f"{where}.reference"),
            student=_setting(raw.get("student"), village, f"{where}.student"),
            explanation=_texts(raw.get("explanation"), f"{where}.explanation")))
    return tuple(out)


@lru_cache(maxsize=None)
def load_exercises(path: Path = EXERCISES_FILE) -> tuple[Exercise, ...]:
    """The page's exercises, in order (cached: the file is read once per process)."""
    with open(path, encoding="utf-8") as fh:
        return parse_exercises(yaml.safe_load(fh))


def exercise(exercise_id: str) -> Exercise:
    """One exercise by id (``"ex01"`` ... ``"ex06"``)."""
    for ex in load_exercises():
        if ex.id == exercise_id:
            return ex
    raise KeyError(f"exercise: {exercise_id!r} ... allowed: {', '.join(e.id for e in load_exercises())}")


def observed_direction(exercise: Exercise, reference_value: float, student_value: float) -> Direction:
    """Which way the KPI moved from reference to student; within ``same_within`` (relative) is "same"."""
    diff = float(student_value) - float(reference_value)
    if abs(diff) <= exercise.same_within * abs(float(reference_value)):
        return "same"
    return "up" if diff > 0 else "down"


def format_value(value: float) -> str:
    """A KPI value as the page shows it: three significant digits, thousands separated."""
    value = float(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def prediction_outcome(exercise: Exercise, prediction: str, reference_value: float, student_value: float,
                       lang: str = "en") -> tuple[Literal["correct", "incorrect"], str]:
    """Judge a student's prediction ("up", "down" or "same") against one run's values.

    Returns ``(verdict, sentence)``: verdict ``"correct"`` when the run moved the way the student
    predicted, else ``"incorrect"``; the sentence (in ``lang``) says what moved and, when the run
    disagrees with the documented result over seeds 1-12, says so.
    """
    if prediction not in DIRECTIONS:
        raise ValueError(f"prediction: {prediction!r} ... allowed: {', '.join(DIRECTIONS)}")
    _ = translator(lang)
    moved = observed_direction(exercise, reference_value, student_value)
    verdict: Literal["correct", "incorrect"] = "correct" if prediction == moved else "incorrect"
    values = {"kpi": exercise.text("kpi_label", lang), "moved": _(_MOVED[moved]),
              "reference": format_value(reference_value), "student": format_value(student_value)}
    template = _CORRECT if prediction == moved else _WRONG
    sentence = _(template).format(**values)
    seeds = _SEEDS_AGREE if moved == exercise.expected else _SEEDS_DIFFER
    joiner = "" if normalise(lang) == "zh" else " "  # Chinese sentences follow each other without a space
    return verdict, sentence + joiner + _(seeds).format(moved=_(_MOVED[exercise.expected]))
