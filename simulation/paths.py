"""The study's four optimization paths as lever bundles.

Each path is a YAML file in ``configs/paths/`` holding dotted-path overrides of lever settings
(plus ``name`` and ``description``); the files are the single source of truth, documented there.
``PATHS`` maps path name -> overrides, in the study's order.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from simulation.config import CONFIG_DIR, read_yaml

PATH_NAMES = ("status_quo", "p1_subjects", "p2_systems", "p3_culture", "p4_strategies", "all_paths")
PATHS_DIR = CONFIG_DIR / "paths"


def path_file(name: str):
    return PATHS_DIR / f"{name}.yaml"


@lru_cache(maxsize=None)
def _load(name: str) -> tuple[tuple[str, Any], ...]:
    data = read_yaml(path_file(name))
    return tuple(data.items())


def path_overrides(name: str) -> dict[str, Any]:
    """Dotted overrides of path ``name`` (a fresh dict each call)."""
    if name not in PATH_NAMES:
        from simulation.errors import InputError

        raise InputError(f"path: {name!r} is not a path; expected one of {', '.join(PATH_NAMES)}")
    return {k: (list(v) if isinstance(v, list) else v) for k, v in _load(name)}


def lever_overrides(name: str) -> dict[str, Any]:
    """Only the lever settings of a path (without its name and description)."""
    return {k: v for k, v in path_overrides(name).items() if k.startswith("levers.")}


PATHS: dict[str, dict[str, Any]] = {name: path_overrides(name) for name in PATH_NAMES}
