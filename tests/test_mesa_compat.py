"""A process that runs many models (a sweep worker, a calibration worker, the classroom server)
frees each model once it is done with it, on every supported Mesa."""

from __future__ import annotations

import gc
import weakref

import mesa

from simulation.mesa_compat import models_in_memory
from simulation.model import CommunitySafetyModel


def _alive() -> int:
    return models_in_memory(CommunitySafetyModel)


def test_models_a_process_has_finished_with_are_freed():
    before = _alive()  # models other tests in this process still hold
    refs = []
    for seed in range(4):
        model = CommunitySafetyModel("configs/classroom.yaml", seed=seed, n_residents=500, run__days=2, run__warmup_days=0)
        assert model.resident(0).unique_id >= 1  # agent views exist, so Mesa numbered agents for this model
        model.run_model()
        refs.append(weakref.ref(model))
        del model
    gc.collect()
    assert [r() for r in refs] == [None] * 4
    assert _alive() == before


def test_agent_ids_still_count_from_one_per_model():
    class Walker(mesa.Agent):
        pass

    a, b = mesa.Model(), mesa.Model()
    CommunitySafetyModel("configs/classroom.yaml", n_residents=200, run__days=1)  # installs the weak counters on Mesa 3.3
    assert [Walker(a).unique_id for _ in range(3)] == [1, 2, 3] and Walker(b).unique_id == 1
