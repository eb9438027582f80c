"""Execution: running the design -- the engine, executors (inline, process, Dask), the result store, run folders."""
