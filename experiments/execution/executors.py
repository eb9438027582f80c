"""Executors: one ``concurrent.futures`` interface for in-process, local-process and Dask runs.

Why one interface: the engine submits a picklable top-level function and waits with
``concurrent.futures.wait``/``as_completed``; whether the work happens in this process, a local
process pool or a Dask cluster is a deployment detail chosen on the command line. All three
return ``concurrent.futures.Future`` objects (Dask via ``Client.get_executor``), so there is a
single code path for collecting results and errors.

* ``inline`` -- runs each task when it is submitted and returns a finished future. Good for
  debugging (plain tracebacks, breakpoints) and for tiny experiments.
* ``process`` -- ``ProcessPoolExecutor`` with the ``spawn`` start method: workers start from a
  clean interpreter, which is safe with threads (Dask, BLAS, tqdm's monitor) in the parent and
  behaves the same on Linux, macOS and Windows. Workers default to ``os.cpu_count()``.
* ``dask`` -- a ``distributed.LocalCluster`` (``processes=True``, one thread per worker) started
  on demand, or ``Client(address)`` for an existing scheduler (``tcp://HOST:8786``). Remote
  workers must be able to import ``experiments`` (and ``simulation``) -- install the package there.

Use as a context manager; leaving it shuts the executor (and any cluster it started) down.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

from experiments.design.inputs import suggest
from simulation.errors import InputError

EXECUTOR_KINDS = ("inline", "process", "dask")


class Executor:
    """Base class: ``submit`` returns a ``concurrent.futures.Future``; ``shutdown`` releases everything."""

    kind = "base"
    workers = 1

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        raise NotImplementedError

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        """Release workers; idempotent."""

    def describe(self) -> str:
        return f"{self.kind} ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.shutdown(wait=exc_type is None, cancel_futures=exc_type is not None)


class InlineExecutor(Executor):
    """Runs tasks in this process at submit time; futures come back already finished."""

    kind = "inline"

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - the future carries it, like a pool would
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future


def start_worker() -> None:
    """First thing in a new worker process: import the model (and with it Mesa).

    Why: the first task imports them anyway, but from deep inside unpickling, and Mesa names each
    module's logger by inspecting the whole call stack (``inspect.stack()``, which reads the source
    of every frame and maps every loaded module to its file).  At the top of a fresh process,
    before the experiment layer has loaded pandas and pyarrow, that costs less: a worker's median
    start was 1.47 s against 1.69 s over four interleaved sweeps (``benchmarks/sweep_throughput.py``,
    "starting"; benchmarks/README.md)."""
    import simulation.model  # noqa: F401


class ProcessExecutor(Executor):
    """A local process pool using the ``spawn`` start method."""

    kind = "process"

    def __init__(self, workers: int | None = None):
        self.workers = int(workers or os.cpu_count() or 1)
        self._closed = False
        self._pool: ProcessPoolExecutor | None = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=start_worker)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if self._closed or self._pool is None:
            raise RuntimeError("executor is shut down")
        try:
            return self._pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): the runs in flight are recorded as failed by
            # the engine; start a fresh pool so the rest of the sweep still runs.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)


class DaskExecutor(Executor):
    """Dask distributed: a LocalCluster started here, or a client of an existing scheduler."""

    kind = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a declared dependency
            raise InputError(f"executor.kind: 'dask' needs dask[distributed] ({exc}); expected inline or process") from None
        self._cluster = None
        self.scheduler = scheduler
        if scheduler:
            try:
                self._client = Client(scheduler, timeout="20s")
            except OSError as exc:
                raise InputError(f"executor.scheduler: {scheduler!r} is not reachable ({exc}); expected a running Dask scheduler") from None
            self.workers = max(1, sum(w.get("nthreads", 1) for w in self._client.scheduler_info().get("workers", {}).values()))
        else:
            self.workers = int(workers or os.cpu_count() or 1)
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self._client = Client(self._cluster)
        # pure=False: two submissions of the same task must both run (dask would dedupe them).
        self._executor = self._client.get_executor(pure=False)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return self._executor.submit(fn, *args, **kwargs)

    def describe(self) -> str:
        where = self.scheduler or "LocalCluster"
        return f"dask {where} ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        executor, self._executor = getattr(self, "_executor", None), None
        if executor is not None:
            try:
                executor.shutdown(wait=wait)
            except Exception:  # noqa: BLE001 - best effort; the client is closed next
                pass
        client, self._client = getattr(self, "_client", None), None
        if client is not None:
            client.close()
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            cluster.close()


def make_executor(kind: str = "process", workers: int | None = None, scheduler: str | None = None) -> Executor:
    """Build an executor by name (``inline``, ``process``, ``dask``); ``scheduler`` only with Dask."""
    if kind not in EXECUTOR_KINDS:
        raise InputError(f"executor: {kind!r} is not allowed{suggest(kind, EXECUTOR_KINDS)}; expected one of {', '.join(EXECUTOR_KINDS)}")
    if scheduler and kind != "dask":
        raise InputError(f"scheduler: {scheduler!r} is only used with executor dask, not {kind!r}")
    if workers is not None and int(workers) < 1:
        raise InputError(f"workers: {workers} is not allowed; expected an integer >= 1")
    if kind == "inline":
        return InlineExecutor()
    if kind == "process":
        return ProcessExecutor(workers)
    return DaskExecutor(workers, scheduler)
