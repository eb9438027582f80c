"""The guided-exercise panel of the teaching page (a Solara component).

The student picks an exercise, reads the question, predicts which way the watched KPI will go
(up, down or no change) and only then sets up the two villages; when the page passes the run's
result back, the panel judges the prediction and explains.  The page owns the models: this panel
only calls ``on_apply({"reference": {...}, "student": {...}})`` with dotted config overrides and
reads ``result`` (KPI -> (reference value, student value)).  Logic and texts:
:mod:`simulation.teaching.exercises`.
"""

from __future__ import annotations

from typing import Callable

import solara

from simulation.teaching.exercises import DIRECTION_LABELS, DIRECTIONS, format_value, load_exercises, prediction_outcome
from simulation.teaching.i18n import normalise, translator


@solara.component
def ExercisePanel(lang: str, on_apply: Callable[[dict], None], result: dict | None = None):
    """Select an exercise, predict, set up the two villages, then see the result and why.

    ``result``: ``{kpi: (reference value, student value)}`` of the run the page made after
    ``on_apply``, or ``None`` before; only the exercise's own KPI is read, and only once the
    student has predicted and set up this exercise (a result left from another exercise that
    watches the same KPI is not judged).
    """
    lang = normalise(lang)
    _ = translator(lang)
    exercises = load_exercises()
    chosen, set_chosen = solara.use_state(exercises[0].id)
    prediction, set_prediction = solara.use_state(None)
    applied, set_applied = solara.use_state(False)
    ex = next(e for e in exercises if e.id == chosen)
    titles = {e.id: f"{i}. {e.text('title', lang)}" for i, e in enumerate(exercises, start=1)}
    by_title = {title: key for key, title in titles.items()}
    shown_directions = {d: _(DIRECTION_LABELS[d]) for d in DIRECTIONS}
    by_shown = {text: d for d, text in shown_directions.items()}

    def choose(title: str) -> None:
        set_chosen(by_title[title])
        set_prediction(None)
        set_applied(False)

    def apply() -> None:
        set_applied(True)
        on_apply(ex.overrides())

    with solara.Column(gap="8px", classes=["ss-exercise"]) as panel:
        solara.Markdown("#### " + _("Guided exercise"), style={"margin": "0"})
        solara.Select(label=_("Exercise"), values=list(titles.values()), value=titles[ex.id], on_value=choose)
        with solara.Column(classes=["ss-question"]):
            solara.Markdown(ex.text("question", lang))
        solara.Text(_("Compare: {reference} (reference) with {student} (your change).").format(
            reference=ex.reference.text(lang), student=ex.student.text(lang)))
        solara.Text(_("Watch: {kpi}.").format(kpi=ex.text("kpi_label", lang)), classes=["ss-kpi"])
        if applied:  # the prediction is fixed once the villages are set up
            solara.Text(_("Your prediction: {prediction}.").format(prediction=shown_directions[prediction]), classes=["ss-prediction"])
        else:
            solara.Text(_("Your prediction — what will happen to it?"))
            solara.ToggleButtonsSingle(value=shown_directions.get(prediction), values=list(shown_directions.values()),
                                       on_value=lambda text: set_prediction(by_shown.get(text)))
        solara.Button(_("Set up the two villages"), on_click=apply, disabled=prediction is None or applied,
                      color="primary", classes=["ss-apply"])
        if applied:
            solara.Button(_("Predict again"), on_click=lambda: set_applied(False), text=True, classes=["ss-again"])
        if prediction is None:
            solara.Info(_("Make a prediction before you run the villages."))
        elif applied and not result:
            solara.Info(_("The two villages are set up. Run them to the end, then compare."))
        if applied and result and ex.kpi in result:  # only a run this exercise set up, after a prediction
            reference, student = result[ex.kpi]
            solara.Text(_("{kpi}: reference {reference}, your change {student}.").format(
                kpi=ex.text("kpi_label", lang), reference=format_value(reference), student=format_value(student)),
                classes=["ss-result"])
            verdict, sentence = prediction_outcome(ex, prediction, reference, student, lang=lang)
            (solara.Success if verdict == "correct" else solara.Warning)(sentence, classes=[f"ss-verdict-{verdict}"])
            why = _("Why")
            with solara.Column(classes=["ss-explanation"]):
                solara.Markdown(f"**{why}** — {ex.text('explanation', lang)}")
            solara.Text(_("Exercise sheet: docs/teaching/{doc}").format(doc=ex.doc))
    return panel
