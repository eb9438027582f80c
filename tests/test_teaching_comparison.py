"""The sentences the teaching page says about its runs (no browser): the side-by-side comparison,
the binding factor, and the CSV of both villages' daily records."""

from __future__ import annotations

import csv
import io

import pytest

from simulation.teaching.comparison import binding_factor, binding_factor_text, compare_sentence, records_csv, totals
from simulation.teaching.controls import TeachingModel


def _days(incidents: list[float], spending: list[float]) -> list[dict]:
    return [{"incidents": i, "fraud_victims": 0, "spending_cny": s} for i, s in zip(incidents, spending)]


def test_sentence_fewer_incidents_more_spent():
    reference = _days([60, 40], [10_000, 10_000])
    yours = _days([50, 38], [30_000, 25_000])
    assert compare_sentence(reference, yours) == "Your settings: 12% fewer incidents so far, 35,000 CNY more spent."


def test_sentence_more_incidents_less_spent():
    reference = _days([10, 10], [5_000, 5_000])
    yours = _days([12, 13], [1_000, 1_500])
    assert compare_sentence(reference, yours) == "Your settings: 25% more incidents so far, 7,500 CNY less spent."


def test_sentence_same_and_edge_cases():
    same = _days([3, 4], [100, 200])
    assert compare_sentence(same, same) == "Your settings: about as many incidents so far, the same amount spent."
    assert compare_sentence([], []) == "Press Step or Play to run both villages side by side."
    assert compare_sentence(_days([0, 0], [0, 0]), _days([0, 2], [0, 0])) == "Your settings: 2 more incidents so far, the same amount spent."
    assert compare_sentence(_days([0], [0]), _days([0], [0])) == "Your settings: no incidents in either village so far, the same amount spent."
    # Rounding: a 0.4% difference is "about as many"; spending differences are whole CNY.
    assert compare_sentence(_days([1000], [0.0]), _days([1004], [0.4])).startswith("Your settings: about as many incidents")


def test_sentence_goes_through_the_translator():
    seen: list[str] = []

    def _(msg: str) -> str:
        seen.append(msg)
        return msg.upper() if "{" not in msg else msg

    compare_sentence(_days([10], [0]), _days([5], [100]), _)
    assert "Your settings: {incidents}, {spending}." in seen
    assert "{pct}% fewer incidents so far" in seen and "{cny} CNY more spent" in seen


def test_same_seed_same_settings_is_no_difference_and_a_lever_shows():
    """Common random numbers: two villages with the same seed and settings never differ."""
    ref, same, lever = TeachingModel(seed="5"), TeachingModel(seed="5"), TeachingModel(seed="5", levers__channels__app=True)
    for _ in range(15):
        ref.step()
        same.step()
        lever.step()
    assert ref.records == same.records
    assert compare_sentence(ref.records, same.records).endswith(" so far, the same amount spent.")
    spent = totals(lever.records)["spending_cny"] - totals(ref.records)["spending_cny"]
    assert spent > 0
    assert compare_sentence(ref.records, lever.records).endswith(f"{round(spent):,} CNY more spent.")


def test_binding_factor_names_the_lowest_factor():
    record = {"factor_subject": 0.6, "factor_culture": 0.2, "factor_system": 0.5, "factor_allocation": 0.9, "factor_strategy": 0.4}
    assert binding_factor(record) == "factor_culture"
    assert binding_factor_text(record) == "Binding factor: culture — participation awareness is weakest"
    record["factor_allocation"] = 0.1
    assert binding_factor_text(record) == "Binding factor: resource allocation — patrols are not where they are needed"


def test_binding_factor_before_the_first_day_and_with_gaps():
    assert binding_factor_text(None) == "Binding factor: shown after the first day."
    assert binding_factor_text({}) == "Binding factor: shown after the first day."
    assert binding_factor({"factor_subject": float("nan"), "factor_strategy": 0.7}) == "factor_strategy"
    # A tie goes to the factor listed first (subject, culture, system, allocation, strategy).
    assert binding_factor({"factor_system": 0.3, "factor_culture": 0.3}) == "factor_culture"


def test_binding_factor_of_a_model_run():
    model = TeachingModel(seed="3")
    for _ in range(5):
        model.step()
    key = binding_factor(model.last_record)
    values = {k: model.last_record[k] for k in ("factor_subject", "factor_culture", "factor_system", "factor_allocation", "factor_strategy")}
    assert values[key] == min(values.values())


def test_records_csv_has_both_villages_daily_records():
    a, b = TeachingModel(seed="2"), TeachingModel(seed="2", preset="p3_culture")
    for _ in range(4):
        a.step()
        b.step()
    rows = list(csv.DictReader(io.StringIO(records_csv({"your settings": b.records, "reference": a.records}))))
    assert [r["run"] for r in rows] == ["your settings"] * 4 + ["reference"] * 4
    assert [int(r["day"]) for r in rows] == [int(r["day"]) for r in b.records + a.records]
    assert float(rows[-1]["spending_cny"]) == pytest.approx(a.records[-1]["spending_cny"])
