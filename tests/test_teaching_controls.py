"""The page's controls, without a browser: every lever has a control, controls map to the config,
presets and controls combine as documented, sessions are independent models."""

from __future__ import annotations

import pytest

from simulation.config import Levers, get_dotted
from simulation.paths import lever_overrides
from simulation.teaching.controls import (
    CONTROLS,
    LEVER_CONTROLS,
    PRESET_LABELS,
    PROCESS_CONTROLS,
    TeachingModel,
    classroom_config,
    mesa_model_params,
)

COST_FIELD = "cost"


def test_every_lever_setting_has_a_control():
    controlled = {c.path for c in LEVER_CONTROLS}
    for lever, section in Levers.model_fields.items():
        for name in section.annotation.model_fields:
            if name.startswith(COST_FIELD) or name in ("drive_boost", "drive_reach"):
                continue  # unit costs and a drive's effect size are model parameters, not settings students move
            assert f"levers.{lever}.{name}" in controlled, f"no control for levers.{lever}.{name}"


def test_every_process_has_a_switch():
    from simulation.config import ProcessSwitches

    assert {c.path for c in PROCESS_CONTROLS} == {f"processes.{k}" for k in ProcessSwitches.model_fields}


def test_controls_are_valid_mesa_params_with_status_quo_defaults():
    params = mesa_model_params()
    assert list(params) == [c.name for c in CONTROLS]
    base = classroom_config()
    for c in LEVER_CONTROLS:
        spec = params[c.name]
        assert spec["type"] in {"SliderInt", "SliderFloat", "Select", "Checkbox"}
        assert c.parse(spec["value"]) == c.default(base)
        if spec["type"].startswith("Slider"):
            assert spec["min"] <= spec["value"] <= spec["max"], c.name
        if spec["type"] == "Select":
            assert spec["value"] in spec["values"], c.name
    assert TeachingModel(**{k: v["value"] for k, v in params.items()}).settings_in_effect == []


def test_default_model_is_the_classroom_status_quo():
    a, b = TeachingModel(), TeachingModel(seed="7")
    assert a.cfg == classroom_config()
    assert a is not b and a.pop is not b.pop  # each session builds its own
    for _ in range(5):
        a.step()
    assert a.steps == 5 and b.steps == 0


@pytest.mark.parametrize("preset", list(PRESET_LABELS))
def test_preset_applies_the_path_bundle(preset):
    by_label = TeachingModel(preset=PRESET_LABELS[preset])
    by_key = TeachingModel(preset=preset)
    assert by_label.cfg == by_key.cfg
    for path, value in lever_overrides(preset).items():
        assert get_dotted(by_key.cfg, path) == value


def test_a_moved_control_overrides_the_preset_and_is_listed():
    model = TeachingModel(preset="p4_strategies", levers__incentives__scheme="points", levers__channels__app=True,
                          levers__recruitment__targets__law=True)
    assert model.cfg.levers.incentives.scheme == "points"
    assert model.cfg.levers.incentives.budget_cny_per_year == lever_overrides("p4_strategies")["levers.incentives.budget_cny_per_year"]
    assert model.cfg.levers.channels.app is True
    assert model.cfg.levers.recruitment.targets == ["law"]
    sources = {label: source for label, _, source in model.settings_in_effect}
    assert sources["Incentive scheme"] == "your control"
    assert sources["Where patrols go"] == PRESET_LABELS["p4_strategies"]
    assert sources["Recruitment targets"] == "your control"


def test_selects_show_plain_words_and_accept_them():
    params = mesa_model_params()
    assert params["levers__incentives__scheme"]["value"] == "top_bonus — small bonus for a few"
    shown = [v for v in params["levers__incentives__scheme"]["values"] if v.startswith("matched")]
    assert shown == ["matched — rewards matched to each group"]
    assert TeachingModel(levers__incentives__scheme=shown[0]).cfg.levers.incentives.scheme == "matched"
    assert TeachingModel(levers__incentives__scheme="matched").cfg.levers.incentives.scheme == "matched"


def test_unticking_a_default_training_subject_removes_it():
    model = TeachingModel(levers__training__content__anti_fraud=False)
    assert model.cfg.levers.training.content == ["patrol"]


def test_process_switch_and_population():
    model = TeachingModel(processes__fraud=False, n_residents=600)
    assert model.pop.n == 600 and model.cfg.processes.fraud is False
    for _ in range(30):
        model.step()
    assert sum(r["fraud_attempts"] for r in model.records) == 0


@pytest.mark.parametrize("seed, used, warned", [("11", 11, False), (" 12 ", 12, False), ("abc", 7, True), ("1.5", 7, True), ("-3", 7, True)])
def test_seed_is_typed_as_an_integer(seed, used, warned):
    model = TeachingModel(seed=seed)
    assert model.seed_value == used
    assert (model.input_warning is not None) == warned


def test_same_controls_same_run():
    a, b = TeachingModel(seed="3", levers__publicity__intensity=0.8), TeachingModel(seed="3", levers__publicity__intensity=0.8)
    for _ in range(20):
        a.step()
        b.step()
    assert a.records == b.records


def test_unknown_control_is_rejected():
    with pytest.raises(TypeError, match="unknown control"):
        TeachingModel(levers__incentives__schema="points")
    with pytest.raises(ValueError, match="not a path"):
        TeachingModel(preset="path 9")


def test_every_lever_control_is_in_exactly_one_path_panel():
    from simulation.teaching.controls import PANELS, PATH_PANELS, PRESET, controls_in, panel_of

    keys = [p.key for p in PANELS]
    assert keys == ["path1", "path2", "path3", "path4", "world", "processes"]
    shown = [c for key in keys for c in controls_in(key)]
    assert len(shown) == len(set(c.name for c in shown)) == len(CONTROLS) - 1  # every control once; the preset sits above
    assert PRESET not in shown
    for c in LEVER_CONTROLS:
        assert panel_of(c) in PATH_PANELS, c.name
        assert sum(c in controls_in(key) for key in PATH_PANELS) == 1, c.name
    assert all(controls_in(key) for key in keys)
    path_of = {c.path: panel_of(c) for c in LEVER_CONTROLS}
    # The study's paths: 1 subjects, 2 systems, 3 culture, 4 strategies.
    assert path_of["levers.recruitment.drives_per_year"] == path_of["levers.training.coverage"] == path_of["levers.role_clarity.level"] == "path1"
    assert path_of["levers.dialogue.meetings_per_year"] == path_of["levers.channels.app"] == "path2"
    assert path_of["levers.publicity.intensity"] == path_of["levers.training.cascade"] == path_of["levers.training.cascade_levels"] == "path3"
    assert path_of["levers.incentives.scheme"] == path_of["levers.evaluation.third_party"] == path_of["levers.allocation.rule"] == "path4"
    assert {c.name for c in controls_in("processes")} == {c.name for c in PROCESS_CONTROLS}
    assert {c.name for c in controls_in("world")} == {"n_residents", "seed"}


def test_every_control_shows_its_unit():
    from simulation.teaching.controls import PANELS, unit

    for c in CONTROLS[1:]:
        assert unit(c).strip(), c.name
    assert unit(next(c for c in LEVER_CONTROLS if c.path == "levers.incentives.budget_cny_per_year")) == "CNY per year per 20,000 residents"
    assert all(p.title and p.explain for p in PANELS)


def test_seed_warning_is_translatable():
    from simulation.teaching.controls import parse_seed

    value, warning = parse_seed("abc", 7, lambda msg: "[" + msg + "]")
    assert value == 7 and warning == "[Seed must be a whole number; 'abc' is not one, so seed 7 is used.]"
