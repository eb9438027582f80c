"""Each stylised-fact check of ``safetysim validate`` passes on the bundled baseline."""

from __future__ import annotations

import pytest

from experiments.analysis.validate import format_checks, validate

FACTS = ("1", "2", "3", "4", "5", "6", "7", "8")


@pytest.fixture(scope="module")
def checks():
    return {c.fact: c for c in validate("configs/baseline.yaml", replicates=2, root_seed=1)}


@pytest.mark.slow  # a validation run of the baseline; the full suite (Python 3.11) runs it
@pytest.mark.parametrize("fact", FACTS)
def test_stylised_fact_holds_on_the_baseline(fact, checks):
    check = checks[fact]
    assert check.passed, f"fact {fact}: {check.name}: target {check.target}, measured {check.measured}"


def test_table_lists_every_fact(checks):
    text = format_checks(list(checks.values()))
    assert text.count("PASS") + text.count("FAIL") == len(FACTS)
    assert "8 of 8 checks passed" in text
