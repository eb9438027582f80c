"""The supported matrix is tested, not assumed: Mesa's own example page works next to this project.

Mesa before 3.4 (all that Python 3.11 gets) draws Altair pages with ``np.issubdtype`` on a column
dtype, which raises on pandas 3's default string dtype ("Cannot interpret StringDtype as a data
type"; fixed in Mesa 3.4 by mesa PR #2917). pyproject.toml therefore keeps pandas below 3 where
Mesa stays below 3.4, and requires Mesa >= 3.4 where pip can give it. These tests fail if that
guard is lost, in the file or in the environment.
"""

from __future__ import annotations

import sys
import tomllib
import warnings
from pathlib import Path

import mesa
import pandas as pd
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _requirements(name: str, python: str) -> list[Requirement]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    reqs = [Requirement(d) for d in deps]
    return [r for r in reqs if r.name.lower() == name and (r.marker is None or r.marker.evaluate({"python_version": python}))]


def test_pyproject_keeps_pandas_3_away_from_mesa_before_3_4():
    # Python 3.11: Mesa 3.3.x is the newest pip gives, so pandas stays below 3
    pandas_311 = _requirements("pandas", "3.11")
    assert pandas_311 and not any(r.specifier.contains("3.0.0") for r in pandas_311)
    assert all(r.specifier.contains("2.3.3") for r in pandas_311)
    # Python >= 3.12: Mesa >= 3.4 (which handles pandas 3), and no pandas cap
    for python in ("3.12", "3.13"):
        mesa_reqs = _requirements("mesa", python)
        assert mesa_reqs and all(not r.specifier.contains("3.3.1") and r.specifier.contains("3.5.1") for r in mesa_reqs)
        assert all(r.specifier.contains("3.1.1") for r in _requirements("pandas", python))


def test_installed_versions_are_a_supported_pair():
    if Version(mesa.__version__) < Version("3.4"):
        assert Version(pd.__version__) < Version("3"), f"Mesa {mesa.__version__} with pandas {pd.__version__}: reinstall (pip install -e .)"
    if sys.version_info >= (3, 12):
        assert Version(mesa.__version__) >= Version("3.4")


def _widgets(w):
    """Every widget under ``w``: children, and the items of a Solara GridLayout (SolaraViz's cards)."""
    yield w
    for child in [*(getattr(w, "children", None) or ()), *(getattr(w, "items", None) or () if type(w).__name__ == "GridLayout" else ())]:
        yield from _widgets(child)


def test_mesa_virus_on_network_example_page_builds_its_altair_charts():
    """Mesa's own example page (Altair space and plot) imports, steps and renders in this environment."""
    import solara

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Solara's hook linter on Mesa's SolaraViz (see pyproject filterwarnings)
        from mesa.examples.basic.virus_on_network import app  # builds the model and draws its agents at import

    model = app.model1
    steps = 3
    for _ in range(steps):
        model.step()
    box, rc = solara.render(app.page, handle_error=False)  # the whole SolaraViz page: space and plot components
    try:
        charts = [w.spec for w in _widgets(box) if type(w).__name__ == "VegaLite"]
        assert len(charts) == 2, [type(w).__name__ for w in _widgets(box)]  # the network space, the state plot
        space, plot = charts
        nodes = model.num_nodes if hasattr(model, "num_nodes") else len(model.grid.G.nodes)
        assert any(len(rows) == nodes for rows in space["datasets"].values())  # one point per agent
        (plot_rows,) = plot["datasets"].values()
        assert len(plot_rows) == 3 * (steps + 1)  # Infected, Susceptible, Resistant at every collected step
    finally:
        rc.close()
