"""Shared fixtures: small, fast configs of the model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"


def small_config(**overrides):
    """A 1,500-resident, 3-community world for 90 recorded days (runs in well under a second)."""
    from simulation import load_config

    base = {
        "name": "test-small",
        "run": {"days": 90, "warmup_days": 10, "seed": 5},
        "world": {"n_residents": 1500, "communities_per_district": 3, "places_per_community": 8},
    }
    return load_config(base).with_overrides(overrides)


@pytest.fixture
def small():
    return small_config()


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
