"""Bad experiment specs fail at once with ONE line naming the field, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from experiments.design.spec import load_spec
from simulation.errors import InputError

TOY = "tests.plugins.testing_models:ishigami"


def _good() -> dict:
    return {
        "model": TOY,
        "design": {"kind": "lhs", "n": 8, "factors": {"x1": {"low": -1, "high": 1}, "x2": {"low": -1, "high": 1}}},
        "replicates": 2,
        "root_seed": 3,
        "executor": {"kind": "inline"},
    }


def _write(tmp_path: Path, data: dict | str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _error(tmp_path: Path, data: dict | str) -> str:
    with pytest.raises(InputError) as info:
        load_spec(_write(tmp_path, data))
    message = str(info.value)
    assert "\n" not in message, f"error message is not one line: {message!r}"
    assert "Traceback" not in message
    return message


def test_good_spec_loads_with_defaults(tmp_path):
    spec = load_spec(_write(tmp_path, _good()))
    assert spec.replicates == 2 and spec.root_seed == 3
    assert spec.seeds == "common"
    assert spec.outputs.kpis == "all" and spec.outputs.daily is False
    assert spec.design is not None and spec.design.n == 8
    assert spec.display_name == "spec"  # the file name when no name is given


def test_samples_is_an_alias_of_n(tmp_path):
    data = _good()
    data["design"]["samples"] = data["design"].pop("n")
    assert load_spec(_write(tmp_path, data)).design.n == 8


def _with(path: str, value) -> dict:
    data = _good()
    node = data
    parts = path.split(".")
    for p in parts[:-1]:
        node = node[p]
    node[parts[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        # unknown factor of the plug-in model, with the nearest name suggested
        (_with("design.factors", {"x1": {"low": 0, "high": 1}, "x4": {"low": 0, "high": 1}}), ["design.factors.x4: 'x4' is not a parameter", "did you mean 'x", "known: x1, x2, x3"]),
        # empty ranges and empty value lists
        (_with("design.factors", {"x1": {"low": 1, "high": 1}, "x2": {"low": 0, "high": 1}}), ["design.factors.x1", "low=1, high=1", "low < high"]),
        (_with("design.factors", {"x1": {"low": 2, "high": -2}, "x2": {"low": 0, "high": 1}}), ["design.factors.x1", "empty range"]),
        ({**_good(), "design": {"kind": "grid", "factors": {"x1": {"values": []}}}}, ["design.factors.x1.values", "[]", "at least one value"]),
        # replicates must be a positive integer
        (_with("replicates", 0), ["replicates", "0", ">= 1"]),
        (_with("replicates", -3), ["replicates", "-3", ">= 1"]),
        (_with("replicates", 2.5), ["replicates", "2.5", "integer"]),
        # executor kind
        (_with("executor", {"kind": "threads"}), ["executor.kind", "'threads'", "'inline', 'process', 'dask'"]),
        (_with("executor", {"kind": "process", "workers": 0}), ["executor.workers", "0", ">= 1"]),
        (_with("executor", {"kind": "process", "scheduler": "tcp://h:8786"}), ["executor.scheduler", "only used with kind dask"]),
        # unknown keys suggest the nearest valid key
        ({**_good(), "replicate": 3}, ["replicate", "unknown key", "did you mean 'replicates'"]),
        (_with("design.factorz", {}), ["design.factorz", "did you mean 'factors'"]),
        (_with("design.factors", {"x1": {"low": 0, "hihg": 1}, "x2": {"low": 0, "high": 1}}), ["design.factors.x1.hihg", "did you mean 'high'"]),
        # design rules
        (_with("design.kind", "halton"), ["design.kind", "'halton'", "'explicit', 'grid', 'lhs', 'sobol', 'morris'"]),
        ({**_good(), "design": {"kind": "sobol", "n": 100, "factors": {"x1": {"low": 0, "high": 1}, "x2": {"low": 0, "high": 1}}}}, ["design.n", "100", "power of 2", "64 or 128"]),
        ({**_good(), "design": {"kind": "lhs", "factors": {"x1": {"low": 0, "high": 1}}}}, ["design.n", "missing"]),
        ({**_good(), "design": {"kind": "grid", "factors": {"x1": {"low": 0, "high": 1}}}}, ["design.factors.x1", "values: [...]"]),
        ({**_good(), "design": {"kind": "lhs", "n": 4, "factors": {"x1": {"values": [1, 2]}}}}, ["design.factors.x1", "low/high or levels"]),
        ({**_good(), "design": {"kind": "explicit", "factors": {"x1": {"values": [1, 2]}, "x2": {"values": [1]}}}}, ["design.factors", "x1=2, x2=1", "equal lengths"]),
        # model and base
        (_with("model", "tests.plugins.testing_models:nope"), ["model", "'nope'"]),
        (_with("model", "no_such_module_xyz:f"), ["model", "cannot be imported"]),
        (_with("base", "missing_base.yaml"), ["base", "'missing_base.yaml'", "not found"]),
        # scenarios naming unknown parameters
        ({**_good(), "scenarios": {"s1": {"x9": 1.0}}}, ["scenarios.s1", "'x9'", "not a parameter"]),
        # optimisation section
        (
            {**_good(), "optimize": {"objective": {"kpi": "y", "weights": {"y": 1}}, "space": {"x1": {"low": 0, "high": 1}}}},
            ["optimize.objective", "exactly one of kpi or weights"],
        ),
        (
            {**_good(), "optimize": {"objective": {"kpi": "y", "direction": "up"}, "space": {"x1": {"low": 0, "high": 1}}}},
            ["optimize.objective.direction", "'up'", "'maximize', 'minimize'"],
        ),
        (
            {**_good(), "optimize": {"objective": {"kpi": "y"}, "budget": {"max_cny_per_year": -5}, "space": {"x1": {"low": 0, "high": 1}}}},
            ["optimize.budget.max_cny_per_year", "-5", "> 0"],
        ),
    ],
)
def test_bad_spec_gives_one_line_input_error(tmp_path, data, fragments):
    message = _error(tmp_path, data)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_malformed_yaml_names_the_line(tmp_path):
    message = _error(tmp_path, "replicates: 3\ndesign: {kind: grid\n  factors: [\n")
    assert "not valid YAML" in message and "line" in message


def test_top_level_must_be_a_mapping(tmp_path):
    assert "expected a mapping" in _error(tmp_path, "- just\n- a list\n")


def test_empty_file_is_rejected(tmp_path):
    assert "is empty" in _error(tmp_path, "")


def test_missing_spec_file(tmp_path):
    with pytest.raises(InputError) as info:
        load_spec(tmp_path / "nope.yaml")
    assert "nope.yaml" in str(info.value) and "not found" in str(info.value)


def test_relative_base_resolves_against_the_spec_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "params.yaml").write_text("x3: 0.5\n", encoding="utf-8")
    spec = load_spec(_write(tmp_path / "sub", {**_good(), "base": "params.yaml"}))
    assert spec.resolved_base() == (tmp_path / "sub" / "params.yaml").resolve()


def test_spec_hash_is_stable_and_sensitive(tmp_path):
    a = load_spec(_write(tmp_path, _good(), "a.yaml")).spec_hash()
    b = load_spec(_write(tmp_path, _good(), "b.yaml")).spec_hash()
    c = load_spec(_write(tmp_path, _with("root_seed", 4), "c.yaml")).spec_hash()
    assert a == b and a != c
