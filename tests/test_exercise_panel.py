"""The page's guided exercises: their data and prediction logic, and the panel rendered headless
(Solara's test renderer, no browser)."""

from __future__ import annotations

import ipyvuetify as v
import pytest
import solara
import yaml

from simulation.config import get_dotted
from simulation.paths import lever_overrides
from simulation.teaching.controls import classroom_config
from simulation.teaching.exercise_panel import ExercisePanel
from simulation.teaching.exercises import (
    EXERCISES_FILE,
    ExerciseFileError,
    exercise,
    load_exercises,
    observed_direction,
    parse_exercises,
    prediction_outcome,
)
from tests.test_teaching_exercises import SCENARIOS


def test_six_exercises_in_both_languages():
    exercises = load_exercises()
    assert [e.id for e in exercises] == [f"ex0{i}" for i in range(1, 7)]
    for e in exercises:
        for field in ("title", "question", "kpi_label", "explanation"):
            en, zh = e.text(field, "en"), e.text(field, "zh-CN")
            assert en and zh and en != zh, (e.id, field)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), (e.id, field)
        assert e.reference.text("zh") != e.reference.text("en")


def test_settings_are_valid_configs_of_the_page_village():
    """Every override is a real config key; both sides are the 2,000-resident exercise village."""
    base = classroom_config()
    for e in load_exercises():
        for side in e.overrides().values():
            cfg = base.with_overrides(side)  # raises on an unknown key or a bad value
            assert cfg.world.n_residents == 2000
            for key, value in side.items():
                assert get_dotted(cfg, key) == value


def test_comparisons_are_scenarios_of_the_documented_exercises():
    """Each page exercise compares two scenarios that tests/test_teaching_exercises.py checks."""
    for e in load_exercises():
        number = e.id[2:]
        levers = [{k: v for k, v in side.items() if k.startswith("levers.")} for side in (e.reference.overrides, e.student.overrides)]
        scenarios = list(SCENARIOS[number].values())
        for side in levers:
            assert any(side == {**lever_overrides("status_quo"), **s} for s in scenarios), (e.id, side)
        assert e.doc.startswith(number + "_")


@pytest.mark.parametrize("reference, student, moved", [(71, 91, "up"), (0.24, 0.12, "down"), (7.71, 7.75, "same"), (100, 100, "same")])
def test_observed_direction(reference, student, moved):
    assert observed_direction(exercise("ex06"), reference, student) == moved


def test_prediction_outcome_in_both_languages():
    ex = exercise("ex05")
    verdict, sentence = prediction_outcome(ex, "down", 9.1, 7.9)
    assert verdict == "correct"
    assert sentence.startswith("Your prediction was right") and "9.10" not in sentence and "9.1" in sentence and "7.9" in sentence
    assert "Over seeds 1-12 it also went down." in sentence
    verdict, sentence = prediction_outcome(ex, "up", 9.1, 7.9, lang="zh")
    assert verdict == "incorrect" and "下降了" in sentence and "预期案件" in sentence
    # A run that goes against the documented direction says so.
    verdict, sentence = prediction_outcome(ex, "up", 7.9, 9.1)
    assert verdict == "correct" and "one run is one village" in sentence
    verdict, _ = prediction_outcome(exercise("ex06"), "same", 7.71, 7.75)
    assert verdict == "correct"
    with pytest.raises(ValueError, match="prediction"):
        prediction_outcome(ex, "sideways", 1, 2)


def test_bad_exercise_file_names_the_field():
    data = yaml.safe_load(EXERCISES_FILE.read_text(encoding="utf-8"))
    data["exercises"][2]["expected"] = "sideways"
    with pytest.raises(ExerciseFileError, match=r"exercises\[2\]\.expected: 'sideways' \.\.\. allowed: up, down, same"):
        parse_exercises(data)
    data = yaml.safe_load(EXERCISES_FILE.read_text(encoding="utf-8"))
    del data["exercises"][0]["question"]["zh"]
    with pytest.raises(ExerciseFileError, match=r"exercises\[0\]\.question"):
        parse_exercises(data)
    data = yaml.safe_load(EXERCISES_FILE.read_text(encoding="utf-8"))
    data["exercises"][5]["student"]["preset"] = "path_9"
    with pytest.raises(ExerciseFileError, match=r"exercises\[5\]\.student\.preset: 'path_9'"):
        parse_exercises(data)


def _button(rc, label):
    return rc.find(v.Btn, children=[label]).widget


def test_panel_judges_only_a_run_it_set_up():
    """A result passed before the student predicted and set up the villages is not judged."""
    box, rc = solara.render(ExercisePanel(lang="en", on_apply=lambda o: None, result={"active_volunteers": (71.0, 91.0)}),
                            handle_error=False)
    assert not rc.find(v.Alert, class_="ss-verdict-correct").widgets
    assert not rc.find(v.Alert, class_="ss-verdict-incorrect").widgets
    assert "Make a prediction before you run the villages." in str(rc.find(v.Alert).widget.children)


def test_panel_predict_apply_and_judge_in_chinese():
    calls: list[dict] = []
    box, rc = solara.render(ExercisePanel(lang="zh", on_apply=calls.append, result=None), handle_error=False)
    select = rc.find(v.Select).widget
    assert len(select.items) == 6 and select.v_model.startswith("1. ")
    apply = _button(rc, "设置两个村庄")
    assert apply.disabled  # no prediction yet
    rc.find(v.Alert).assert_single()
    assert "运行村庄之前，请先做出预测" in str(rc.find(v.Alert).widget.children)
    rc.find(v.BtnToggle).widget.v_model = 0  # "上升" (up)
    assert not _button(rc, "设置两个村庄").disabled
    _button(rc, "设置两个村庄").click()
    assert calls == [exercise("ex01").overrides()]
    assert calls[0]["student"]["levers.incentives.scheme"] == "matched"
    assert not rc.find(v.BtnToggle).widgets  # the prediction is fixed once applied
    rc.render(ExercisePanel(lang="zh", on_apply=calls.append, result={"active_volunteers": (71.0, 91.0)}))
    alerts = " ".join(str(w.children) for w in rc.find(v.Alert).widgets)
    assert "你的预测正确" in alerts and "从71变为91。在种子1-12上" in alerts
    assert rc.find(v.Alert, class_="ss-verdict-correct")
    assert "挤出" in str(box)  # the explanation is shown


def test_panel_wrong_prediction_and_changing_exercise_in_english():
    calls: list[dict] = []
    box, rc = solara.render(ExercisePanel(lang="en", on_apply=calls.append, result=None), handle_error=False)
    rc.find(v.Select).widget.v_model = rc.find(v.Select).widget.items[4]  # exercise 5: patrols
    rc.find(v.BtnToggle).widget.v_model = 0  # "It goes up"
    _button(rc, "Set up the two villages").click()
    assert calls[-1]["student"]["levers.allocation.rule"] == "risk"
    rc.render(ExercisePanel(lang="en", on_apply=calls.append, result={"expected_incidents_per_1000": (9.1, 7.9)}))
    assert rc.find(v.Alert, class_="ss-verdict-incorrect")
    alerts = " ".join(str(w.children) for w in rc.find(v.Alert).widgets)
    assert "not what this run showed" in alerts and "went down, from 9.1 to 7.9" in alerts
    # Choosing another exercise clears the prediction.
    rc.find(v.Select).widget.v_model = rc.find(v.Select).widget.items[5]
    assert _button(rc, "Set up the two villages").disabled
    assert rc.find(v.BtnToggle).widget.v_model is None
