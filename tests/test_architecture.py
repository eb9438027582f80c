"""The project's import graph: no circles, and the layers point one way.

Why: an import circle hidden inside a function still couples two modules both ways and breaks as
soon as someone moves the import to the top. The graph is built with ``ast`` from every module
under ``simulation/`` and ``experiments/`` and counts EVERY import statement, including those in
functions and under ``if TYPE_CHECKING``. Importing ``a.b`` counts as an edge to ``a.b`` only (not
to the package ``a``), as Python's own circular-import failures happen between the named modules.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("simulation", "experiments")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The deepest project module that ``name`` names (``a.b.func`` -> ``a.b``), or None."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imported_modules(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules imported anywhere in ``path`` (top level, functions, TYPE_CHECKING blocks)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names] or [base]
        else:
            continue
        for name in names:
            target = _resolve(name, modules)
            if target is not None and target != module:
                found.add(target)
    return found


def import_graph() -> nx.DiGraph:
    modules = project_modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for module, path in modules.items():
        for target in imported_modules(module, path, modules):
            graph.add_edge(module, target)
    return graph


def test_graph_sees_the_project():
    """Guards the test itself: a graph with no edges would pass the cycle check trivially."""
    g = import_graph()
    assert "simulation.model" in g
    assert "experiments.design.spec" in g
    assert g.has_edge("simulation.model", "simulation.levers")
    assert g.has_edge("simulation.levers", "simulation.processes.training")  # was function-level
    assert g.number_of_edges() > 50


def test_no_import_cycles():
    cycles = sorted(" -> ".join(c + [c[0]]) for c in nx.simple_cycles(import_graph()))
    assert cycles == []


def test_simulation_never_imports_experiments_or_the_page():
    g = import_graph()
    bad = []
    for src, dst in g.edges:
        if not src.startswith("simulation"):
            continue
        if dst.split(".")[0] == "experiments":
            bad.append(f"{src} -> {dst}")
        in_page = src == "simulation.teaching" or src.startswith("simulation.teaching.")
        if not in_page and (dst == "simulation.teaching" or dst.startswith("simulation.teaching.")):
            bad.append(f"{src} -> {dst}")
    assert bad == []


def test_cycle_detection_counts_function_level_imports(tmp_path, monkeypatch):
    """A circle closed only by an import inside a function is still found."""
    pkg = tmp_path / "simulation"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from simulation.b import g\n")
    (pkg / "b.py").write_text("def g():\n    from simulation import a\n    return a\n")
    this = sys.modules[__name__]
    monkeypatch.setattr(this, "ROOT", tmp_path)
    monkeypatch.setattr(this, "PACKAGES", ("simulation",))
    assert list(nx.simple_cycles(import_graph())) != []
