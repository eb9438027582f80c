"""Seeded regression baseline of end-of-run KPIs (tests/regression/baseline_kpis.json).

Same code, same seed, same numbers: any difference beyond floating-point noise means the model's
behaviour changed.  If the change is intended, regenerate the baseline deliberately
(``python -m tests.regression.cases --write``) and give the reason in the commit.
"""

from __future__ import annotations

import json
import math

import pytest

from tests.regression.cases import BASELINE, CASES, compute_portable

REL_TOL = 1e-6  # floating-point summation noise only
ABS_TOL = 1e-9


@pytest.fixture(scope="module")
def current():
    return compute_portable()


@pytest.mark.parametrize("case", sorted(CASES))
def test_kpis_match_the_seeded_baseline(case, current):
    expected = json.loads(BASELINE.read_text())[case]
    got = current[case]
    assert set(got) == set(expected), set(got) ^ set(expected)
    bad = {k: (got[k], v) for k, v in expected.items()
           if not (math.isclose(got[k], v, rel_tol=REL_TOL, abs_tol=ABS_TOL) or (math.isnan(v) and math.isnan(got[k])))}
    assert not bad, f"{len(bad)} KPI(s) differ from the baseline: {dict(list(bad.items())[:8])}"


def test_the_two_cases_differ(current):
    """The baseline is not degenerate: the levers of all paths change the KPIs."""
    a, b = current["status_quo"], current["all_paths"]
    assert b["spending_cny"] > a["spending_cny"]
    assert b["registered_volunteers"] != a["registered_volunteers"]
