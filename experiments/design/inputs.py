"""Small input helpers shared by the spec schema and the model adapters.

Why a module of its own: the spec (``experiments.design.spec``) checks itself against a model through
an adapter (``experiments.design.models``), and the adapters read YAML and suggest names the same way
the spec does. Keeping these helpers here lets ``spec`` import ``models`` and never the reverse.
"""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Any

import yaml

from simulation.errors import InputError

ABM_MODEL = "simulation"  # the spec's ``model:`` value naming the agent-based model


def read_yaml(path: Path, field: str) -> Any:
    """Parse a YAML file; missing file or bad YAML become one-line InputErrors naming ``field``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{field}: {str(path)!r} not found; expected an existing YAML file")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{field}: {path.name} is not valid YAML{where}: {problem}") from None
    except UnicodeDecodeError:
        raise InputError(f"{field}: {path.name} is not valid UTF-8 text; expected a YAML file") from None


def read_spec_mapping(source: str | Path | dict[str, Any], expected: str) -> tuple[dict[str, Any], Path | None]:
    """A spec as a mapping, from a YAML file or an already-parsed dict, and its path (None for a dict).

    ``expected`` names the fields a spec should have, for the error on an empty file.
    """
    path: Path | None = None
    if isinstance(source, dict):
        data: Any = source
    else:
        path = Path(source)
        data = read_yaml(path, "spec")
        if data is None:
            raise InputError(f"spec: {path.name} is empty; expected a mapping with {expected}")
    if not isinstance(data, dict):
        raise InputError(f"spec: top level is a {type(data).__name__}; expected a mapping of fields")
    return data, path


def suggest(word: str, choices: typing.Iterable[str]) -> str:
    """' did you mean 'x'?' for the nearest choice, or '' (difflib, as the CLI does for commands)."""
    best = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.5)
    return f"; did you mean {best[0]!r}?" if best else ""
