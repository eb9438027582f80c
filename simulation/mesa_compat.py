"""Differences between the Mesa versions the project supports (3.3 on Python 3.11, 3.5 on 3.12+).

Mesa 3.3's ``Agent._ids`` is a class-level ``defaultdict(itertools.count)`` keyed by the model: it
holds every model that ever made an agent for as long as the process lives (Mesa issue #3179,
fixed upstream in 3.4 by numbering agents in the model).  For one script that is one model; for a
worker process of a sweep, a calibration or a robustness ensemble it is every model the worker
ever ran (measured: a calibration worker of the baseline district grew to 11.6 GB and was killed),
and for the classroom server every closed tab's village.  :func:`release_finished_models` keys
those counters weakly, so a model is freed once nothing else refers to it.  Agent ids are Mesa's
own (from 1, per model).
"""

from __future__ import annotations

import itertools
import weakref


class _WeakModelCounters(weakref.WeakKeyDictionary):
    """Mesa's per-model agent-id counters, keyed weakly so a finished model can be freed."""

    def __getitem__(self, model):
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = self[model] = itertools.count(1)
            return counter


def release_finished_models() -> None:
    """Let a model be freed once nothing but Mesa's agent-id counter refers to it (idempotent)."""
    import mesa

    if not hasattr(mesa.Agent, "_ids"):  # Mesa >= 3.4 numbers agents in the model: nothing holds it
        return
    if not isinstance(mesa.Agent.__dict__.get("_ids"), _WeakModelCounters):
        counters = _WeakModelCounters()
        counters.update(mesa.Agent._ids)
        mesa.Agent._ids = counters


def models_in_memory(kind: type | None = None) -> int:
    """How many models of ``kind`` (default :class:`mesa.Model`) are still in memory, after a
    garbage collection: the check that finished models were freed.

    Asks ``type()``, not ``isinstance()``: isinstance asks a weak proxy for its referent's class,
    and a proxy whose referent is already gone raises ReferenceError instead of answering.
    """
    import gc

    if kind is None:
        import mesa

        kind = mesa.Model
    gc.collect()
    return sum(1 for o in gc.get_objects() if issubclass(type(o), kind))
