"""The teaching page without a browser: the chart data the browser draws, the page's components
rendered headless (Step, Reset, compare mode), the language choice and the exercise adapter."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulation.teaching import app
from simulation.teaching.controls import PROCESS_CONTROLS, TeachingModel


@pytest.fixture
def page_state():
    """Module-level page state is per browser session in a server; restore it between tests here."""
    state = [app.values, app.preset, app.compare, app.reference_preset, app.seed_text, app.n_residents, app.tick, app.playing,
             app.speed, app.open_panels]
    saved = [s.value for s in state]
    yield
    for s, v in zip(state, saved):
        s.set(v)


def _runs(*models):
    return [(name, m) for name, m in zip((app.YOURS, app.REFERENCE), models)]


def test_every_chart_has_data_for_each_village():
    yours, ref = TeachingModel(seed="4", preset="all_paths"), TeachingModel(seed="4")
    for _ in range(6):
        yours.step()
        ref.step()
    _ = str
    for make in app.CHARTS:
        base, update = make(_runs(yours, ref), _)
        json.dumps(base), json.dumps(update)  # what the browser receives
        ids = [s["id"] for s in base["series"]]
        assert [s["id"] for s in update["series"]] == ids, make.__name__
        if make is not app.factors_option:
            assert len(ids) % 2 == 0 and len(ids) >= 2, make.__name__
            assert all(len(s["data"]) == 6 for s in update["series"]), make.__name__
            styles = {s["lineStyle"]["type"] for s in base["series"][len(ids) // 2:]}
            assert styles == {"dashed"}, make.__name__  # the reference is dashed
            assert base["series"][len(ids) // 2]["name"].endswith("(reference)")
        else:
            assert len(ids) == 2 and all(len(s["data"]) == 5 for s in update["series"])
    cumulative = app.incidents_option(_runs(yours), _)[1]["series"][0]["data"]
    expected = np.cumsum([r["property_incidents"] for r in yours.records]) / yours.real_residents * 1000
    assert [p[1] for p in cumulative] == pytest.approx(expected, rel=1e-3)


def _ties_among(model, rows):
    """Ties (each once) between residents ``rows`` of the model's network."""
    net, keep = model.network, np.zeros(model.pop.n, dtype=bool)
    keep[rows] = True
    src = np.repeat(np.arange(model.pop.n), np.diff(net.indptr))
    return int((keep[src] & keep[net.indices] & (src < net.indices)).sum())


def test_network_data_follows_volunteer_states_and_ties_are_sent_once():
    model = TeachingModel(seed="9")
    for _ in range(8):
        model.step()
    base, update = app.network_option(model, str)
    lay = app.network_layout(model)
    shown_rows = lay["shown"]
    # The 10,000-resident village draws a neighbourhood of 200 residents per community, with their ties.
    assert shown_rows.size == app.SHOWN_PER_COMMUNITY * model.n_communities < model.pop.n
    assert np.all(np.diff(shown_rows) > 0)
    for c in range(model.n_communities):
        lo, size = model.community_start[c], model.community_size[c]
        assert ((shown_rows >= lo) & (shown_rows < lo + size)).sum() == app.SHOWN_PER_COMMUNITY
    ties = next(s for s in base["series"] if s["id"] == "ties")["data"]
    assert len(ties) == _ties_among(model, shown_rows)
    assert len(ties) > 2 * shown_rows.size  # a neighbourhood keeps who knows whom (about 10 ties each)
    assert all("ties" != s["id"] for s in update["series"])  # a step never resends the ties
    shown = {s["id"]: len(s["data"]) for s in update["series"]}
    status = app.volunteer_status(model)[shown_rows]
    assert shown["active"] == (status == 1).sum() and shown["resident"] == (status == 0).sum()
    assert sum(shown[k] for k in ("resident", "active", "inactive", "lapsed")) == shown_rows.size
    assert update["title"]["text"] == "The village's network, day 8 · 400 of 10,000 residents drawn; events anywhere"


def test_a_small_village_is_drawn_whole_and_events_mark_any_resident():
    model = TeachingModel(seed="9", n_residents=300)
    lay = app.network_layout(model)
    assert np.array_equal(lay["shown"], np.arange(300))
    base, update = app.network_option(model, str)
    assert len(next(s for s in base["series"] if s["id"] == "ties")["data"]) == _ties_among(model, np.arange(300))
    assert update["title"]["text"] == "The village's network, day 0"
    big, struck = TeachingModel(seed="9"), 0
    for _day in range(40):
        big.step()
        victims = np.unique(np.concatenate([app._today(big, "fraud"), app._today(big, "disputes")]))
        marked = next(s for s in app.network_update(big, str)["series"] if s["id"] == "victim")["data"]
        assert len(marked) == victims.size  # drawn whether or not the resident is in the drawn sample
        struck += victims.size
    assert struck > 0
    # Positions of residents outside the sample lie in their community's disc.
    pos = app.network_layout(big)["residents"]
    rows = np.arange(big.community_size[0])
    assert np.all(np.hypot(pos[rows, 0] - pos[rows, 0].mean(), pos[rows, 1] - pos[rows, 1].mean()) < 1.6)


def test_charts_draw_with_every_process_switched_off():
    model = TeachingModel(n_residents=100, **{c.name: False for c in PROCESS_CONTROLS})
    for _ in range(3):
        model.step()
    for make in app.CHARTS:
        json.dumps(make(_runs(model), str))
    json.dumps(app.network_option(model, str))
    assert app.spending_levers(_runs(model)) == []


def test_villages_step_together_and_stop_at_the_last_day():
    v = app.Villages()
    v.reset("status_quo", app.status_quo_values(), 100, "6", True, "p2_systems")
    assert v.step(3) == 3 and v.yours.steps == v.reference.steps == 3
    assert v.reference.cfg.levers != v.yours.cfg.levers and v.reference.seed_value == v.yours.seed_value == 6
    days = v.yours.cfg.run.days
    assert v.step(days + 50) == days - 3 and v.finished and v.step(1) == 0
    lines = v.csv().strip().split("\n")
    assert len(lines) == 1 + 2 * days and lines[0].startswith("run,")


def _status(rc) -> str:
    """The status card's text (one HTML element) as the browser receives it."""
    return " ".join(w.unsafe_innerHTML for w in rc.find(tag="div").widgets if hasattr(w, "unsafe_innerHTML"))


def test_page_renders_and_steps_headless(page_state):
    import solara

    box, rc = solara.render(app.Page(), handle_error=False)
    assert "Day 0 of 120" in _status(rc)
    assert len(rc.find(app.EchartsView).widgets) == 7  # the network view and six charts
    for _ in range(2):
        rc.find(class_="ss-step").widget.click()
    assert "Day 2 of 120" in _status(rc) and "ss-compare-sentence" not in _status(rc)
    assert rc.find(class_="ss-binding").widget.children[0].startswith("Binding factor: ")
    charts = rc.find(app.EchartsView).widgets
    assert all(len(s["data"]) == 2 for s in json.loads(charts[1].update)["series"])  # incidents: two days drawn
    # Compare mode: switch on, Reset, Step: both villages step and the sentence appears.
    rc.find(class_="ss-compare").widget.v_model = True
    rc.find(class_="ss-reset").widget.click()
    assert "Day 0 of 120" in _status(rc)
    rc.find(class_="ss-step").widget.click()
    assert "Day 1 of 120" in _status(rc) and 'class="ss-compare-sentence"' in _status(rc) and "Your settings: " in _status(rc)
    incidents = json.loads(rc.find(app.EchartsView).widgets[1].update)["series"]
    assert len(incidents) == 8 and all(len(s["data"]) == 1 for s in incidents)  # 4 lines x 2 villages


def test_controls_panels_build_widgets_only_when_open_and_a_moved_control_takes_effect(page_state):
    import solara

    villages = app.Villages()
    box, rc = solara.render(app.Controls(villages, "en"), handle_error=False)
    assert "App / WeChat mini-program reporting" not in repr(box)  # closed panels are empty
    app.open_panels.set([1])  # open "Path 2 — governance systems"
    rc.find(label="App / WeChat mini-program reporting").widget.v_model = True
    assert app.values.value["levers__channels__app"] is True
    assert "Training coverage" not in repr(box)  # path 1 stays closed
    app.reset(villages, str)
    assert villages.yours.cfg.levers.channels.app is True
    assert ("App / WeChat mini-program reporting", "True", "your control") in villages.yours.settings_in_effect


def test_page_speaks_the_language_of_the_environment(page_state, monkeypatch):
    import solara

    real = app.translator
    monkeypatch.setattr(app, "translator", lambda lang: (lambda m: "ZH:" + m) if lang == "zh" else real(lang))
    monkeypatch.setenv("SAFETYSIM_LANG", "zh")
    box, rc = solara.render(app.Page(), handle_error=False)
    rc.find(class_="ss-step").widget.click()
    assert "ZH:Day 1 of 120" in _status(rc)
    assert rc.find(class_="ss-binding").widget.children[0].startswith("ZH:Binding factor")
    monkeypatch.setenv("SAFETYSIM_LANG", "en")
    box, rc = solara.render(app.Page(), handle_error=False)
    assert "Day 0 of 120" in _status(rc)


def test_language_switch_offers_english_and_chinese():
    import solara

    lang = solara.reactive("en")
    box, rc = solara.render(app.LanguageSwitch(lang), handle_error=False)
    assert "English" in repr(box) and "中文" in repr(box)
    rc.find(class_="ss-lang").widget.v_model = 1
    assert lang.value == "zh"


@pytest.mark.parametrize("header, lang", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
    ("fr-FR,fr;q=0.9,zh;q=0.5", "zh"),
    ("fr-FR", None),
    ("", None),
    (None, None),
    ("en;q=0.2,zh-TW;q=0.7", "zh"),
])
def test_language_from_accept_language(header, lang):
    assert app.language_from_accept(header) == lang


def test_environment_language_wins():
    assert app.initial_language("zh_CN", "en-US") == "zh"
    assert app.initial_language(None, "zh-CN") == "zh"
    assert app.initial_language(None, None) == "en"
    assert app.initial_language("", "fr") == "en"


def test_exercise_settings_adapter():
    state = app.exercise_settings({"preset": "p4_strategies", "reference": "status_quo", "seed": 11,
                                   "controls": {"levers__channels__app": True}})
    assert state["compare"] is True and state["seed"] == "11" and state["values"]["levers__channels__app"] is True
    v = app.Villages()
    v.reset(state["preset"], state["values"], state["n_residents"], state["seed"], state["compare"], state["reference"])
    assert v.yours.cfg.levers.channels.app is True and v.reference is not None
    assert app.exercise_result(v) == {"day": 0, "runs": {app.YOURS: [], app.REFERENCE: []}}
    with pytest.raises(TypeError, match="unknown exercise setting"):
        app.exercise_settings({"presets": "x"})
    with pytest.raises(TypeError, match="unknown control"):
        app.exercise_settings({"controls": {"levers__nope": 1}})


def test_every_guided_exercise_sets_up_both_villages_in_the_page():
    """The exercise panel's settings become page controls (student) and the reference village's levers."""
    from simulation.teaching import app
    from simulation.teaching.exercises import load_exercises

    quo = app.status_quo_values()
    for ex in load_exercises():
        sides = ex.overrides()
        state = app.exercise_settings(app.exercise_page_state(sides))
        assert state["compare"] is True
        assert state["n_residents"] == sides["student"]["world.n_residents"]
        changed = {k for k, v in state["values"].items() if v != quo[k]}
        assert changed, ex.id  # the student's side differs from the status quo somewhere
        for key, value in sides["student"].items():
            if key != "world.n_residents" and not isinstance(value, (list, tuple)):
                assert state["values"][key.replace(".", "__")] == value, (ex.id, key)


def test_exercise_result_is_given_once_both_villages_finish():
    from simulation.teaching import app

    v = app.Villages()
    state = app.exercise_settings(app.exercise_page_state({"reference": {}, "student": {"levers.channels.app": True}}))
    v.reset(state["preset"], state["values"], state["n_residents"], state["seed"], state["compare"], state["reference"],
            reference_values=state["reference_values"])
    v.step(5)
    assert app.exercise_kpis(v) is None
    v.step(v.yours.cfg.run.days)
    kpis = app.exercise_kpis(v)
    assert kpis["active_volunteers"] == (v.reference.summary()["active_volunteers"], v.yours.summary()["active_volunteers"])
    assert kpis["spending_cny"][1] > kpis["spending_cny"][0]  # the app channel costs money


def test_status_card_tells_a_binding_lever_limit():
    """Training asked of every volunteer each session meets the police's training capacity: the card says so."""
    from simulation.teaching import app
    from simulation.teaching.i18n import translator

    v = app.Villages()
    values = {**app.status_quo_values(), "levers__training__coverage": 1.0, "levers__training__sessions_per_year": 24,
              "levers__training__cascade": False}
    v.reset("status_quo", values, 2000, "7", False, "status_quo")
    v.step(60)
    lines = dict(app.status_lines(v, translator("en")))
    assert "police training capacity binds" in lines["ss-constraint"]


def test_every_chart_and_the_network_save_as_png_under_its_own_name():
    model = TeachingModel(n_residents=1000)
    model.step()
    options = [make(_runs(model), str)[0] for make in app.CHARTS] + [app.network_option(model, str)[0]]
    names = [o["toolbox"]["feature"]["saveAsImage"]["name"] for o in options]
    assert len(set(names)) == len(names) == len(app.CHARTS) + 1
    assert all(n.startswith("safetysim_") and n.replace("_", "").isalnum() for n in names)
    zh = app.translator("zh")
    assert app.save_tool("x", zh)["feature"]["saveAsImage"]["title"] == "保存为PNG图片"
