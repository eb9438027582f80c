"""Result store: one folder per experiment, one Parquet shard per finished run, written atomically.

Why shards instead of one big file: a sweep can be killed at any moment (SIGKILL, power, a
cluster pre-empting us). Each finished run is written at once to ``runs/<key>.parquet`` via a
temporary file in the same folder and ``os.replace`` -- so a shard is either complete or absent,
never half-written -- and re-running the same experiment skips every key that already has a
shard. The key is a hash of what determines the run (model, canonical config JSON after
overrides, scenario, design-point values, replicate, seed), so a changed config or seed can
never be mistaken for a finished run.

Layout::

    <out>/manifest.json          versions, git commit, spec hash, root seed, counts, timings, failures
    <out>/plan.parquet           every planned run: key, scenario, point, replicate, seed
    <out>/spec.json              the validated spec (as run)
    <out>/runs/<key>.parquet     one row: scenario, point_id, point_index, replicate, seed,
                                 elapsed_s, run_key, factor columns (dotted names), KPI columns
    <out>/daily/<key>.parquet    optional daily series of that run (written before the run shard)
    <out>/failures/<key>.json    error line + traceback of a failed run (removed when it succeeds)
    <out>/results.parquet        cache: all run shards in one file (rebuilt when shards change)

``load_results(out)`` returns all run rows as one DataFrame; ``query(out, sql)`` uses DuckDB if
it is installed (tables ``runs`` and ``daily``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.errors import InputError

RUNS_DIR = "runs"
DAILY_DIR = "daily"
FAILURES_DIR = "failures"
MANIFEST = "manifest.json"
PLAN = "plan.parquet"
SPEC_COPY = "spec.json"
RESULTS_CACHE = "results.parquet"
KEY_LENGTH = 24  # hex chars of sha256 (96 bits): collisions are not a practical concern

META_COLUMNS: tuple[str, ...] = ("scenario", "point_id", "point_index", "replicate", "seed", "run_key", "elapsed_s")
"""Columns of a run row that are not factors or KPIs (``scenario``, ``replicate``, ``seed`` identify a run)."""

_VERSIONED = ("safetysim", "mesa", "numpy", "pandas", "pyarrow", "scipy", "SALib", "optuna", "dask", "distributed", "pydantic", "networkx")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _canonical(obj: Any) -> str:
    from experiments.design.models import canonical

    return canonical(obj)


def run_key(model: str, config_json: str, scenario: str, point: dict[str, Any], replicate: int, seed: int) -> str:
    """The store key of one run: sha256 of everything that determines it, truncated."""
    blob = _canonical(
        {"model": model, "config": config_json, "scenario": scenario, "point": point, "replicate": int(replicate), "seed": int(seed)}
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:KEY_LENGTH]


# -- atomic writes ------------------------------------------------------------------------------


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the whole new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n").encode("utf-8"))


def atomic_write_parquet(path: Path, table: pa.Table | pd.DataFrame) -> None:
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    atomic_write_bytes(path, sink.getvalue())


# -- provenance ---------------------------------------------------------------------------------


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    out["numpy_simd"] = numpy_simd()
    return out


def numpy_simd() -> str:
    """The SIMD kernels NumPy dispatches to here: results are bit-identical only at the same level."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # NumPy < 2
        return "unknown"
    used = [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]
    return " ".join(used) or "baseline"


def git_commit(folder: Path | None = None) -> str | None:
    """``git rev-parse HEAD`` of the code's checkout, or None outside git / without git."""
    folder = folder or Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and commit else None


# -- the store ----------------------------------------------------------------------------------


class ResultStore:
    """An experiment's output folder. Only the parent process writes to it (workers return data)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs = self.root / RUNS_DIR
        self.daily = self.root / DAILY_DIR
        self.failures = self.root / FAILURES_DIR
        self.manifest_path = self.root / MANIFEST
        self._manifest: dict[str, Any] | None = None
        self._last_flush = 0.0

    # paths
    def run_path(self, key: str) -> Path:
        return self.runs / f"{key}.parquet"

    def daily_path(self, key: str) -> Path:
        return self.daily / f"{key}.parquet"

    def failure_path(self, key: str) -> Path:
        return self.failures / f"{key}.json"

    # state
    def done_keys(self) -> set[str]:
        """Keys with a complete run shard (temporary files are ignored)."""
        if not self.runs.is_dir():
            return set()
        return {p.stem for p in self.runs.glob("*.parquet") if not p.name.startswith(".")}

    def failed_keys(self) -> set[str]:
        if not self.failures.is_dir():
            return set()
        return {p.stem for p in self.failures.glob("*.json") if not p.name.startswith(".")}

    def read_manifest(self) -> dict[str, Any]:
        if self._manifest is None:
            self._manifest = read_manifest(self.root) if self.manifest_path.is_file() else {}
        return self._manifest

    def read_plan(self) -> pd.DataFrame | None:
        path = self.root / PLAN
        return pq.read_table(path).to_pandas() if path.is_file() else None

    # lifecycle
    def begin(self, info: dict[str, Any], plan: pd.DataFrame | None, spec_json: dict[str, Any] | None = None) -> dict[str, Any]:
        """Create folders, drop stale temp files, write plan/spec, start an invocation in the manifest."""
        for d in (self.root, self.runs, self.daily, self.failures):
            d.mkdir(parents=True, exist_ok=True)
        for d in (self.root, self.runs, self.daily, self.failures):
            for tmp in d.glob(".*.tmp"):
                try:
                    tmp.unlink()
                except OSError:
                    pass
        if plan is not None:
            atomic_write_parquet(self.root / PLAN, plan)
        if spec_json is not None:
            atomic_write_json(self.root / SPEC_COPY, spec_json)
        manifest = self.read_manifest()
        started = now_iso()
        manifest.setdefault("format", 1)
        manifest.setdefault("created", started)
        manifest.update(info)
        manifest.update(
            {
                "updated": started,
                "status": "running",
                "versions": package_versions(),
                "git_commit": git_commit(),
                "python_executable": sys.executable,
            }
        )
        manifest.setdefault("invocations", []).append({"started": started, "status": "running"})
        self._manifest = manifest
        self.refresh_counts(planned=None if plan is None else int(plan["key"].nunique()))
        self.flush(force=True)
        return manifest

    def write_run(self, row: dict[str, Any], daily: pd.DataFrame | None = None) -> None:
        """Store one finished run (daily shard first: the run shard marks the run as done)."""
        key = row["run_key"]
        if daily is not None:
            frame = daily.copy()
            frame.insert(0, "run_key", key)
            for col in ("scenario", "point_id", "replicate", "seed"):
                if col in row and col not in frame.columns:
                    frame.insert(1, col, row[col])
            atomic_write_parquet(self.daily_path(key), frame)
        atomic_write_parquet(self.run_path(key), pa.Table.from_pylist([row]))
        stale = self.failure_path(key)
        if stale.exists():
            stale.unlink()

    def write_failure(self, key: str, info: dict[str, Any]) -> None:
        atomic_write_json(self.failure_path(key), {"key": key, "time": now_iso(), **info})

    def refresh_counts(self, planned: int | None = None, keys: Iterable[str] | None = None) -> dict[str, int]:
        """Recount from the folder (shards are the truth; the manifest only mirrors them)."""
        manifest = self.read_manifest()
        counts = dict(manifest.get("counts") or {})
        if planned is not None:
            counts["planned"] = planned
        done, failed = self.done_keys(), self.failed_keys()
        if keys is not None:
            wanted = set(keys)
            done, failed = done & wanted, failed & wanted
        counts["done"] = len(done)
        counts["failed"] = len(failed - done)
        if "planned" in counts:
            counts["missing"] = max(0, int(counts["planned"]) - counts["done"])
        manifest["counts"] = counts
        return counts

    def update(self, **fields: Any) -> None:
        self.read_manifest().update(fields)

    def update_invocation(self, **fields: Any) -> None:
        invs = self.read_manifest().setdefault("invocations", [{}])
        invs[-1].update(fields)

    def flush(self, force: bool = False, every_s: float = 5.0) -> None:
        """Write the manifest atomically (at most every ``every_s`` seconds unless forced)."""
        if not force and time.monotonic() - self._last_flush < every_s:
            return
        manifest = self.read_manifest()
        manifest["updated"] = now_iso()
        atomic_write_json(self.manifest_path, manifest)
        self._last_flush = time.monotonic()


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        raise InputError(f"dir: {str(out_dir)!r} has no {MANIFEST}; expected an experiment output folder")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"dir: {path} is not valid JSON ({exc.msg} at line {exc.lineno})") from None


def _read_tables(files: list[Path]) -> pd.DataFrame:
    if not files:
        return pd.DataFrame()
    tables = [pq.read_table(f) for f in files]
    try:
        return pa.concat_tables(tables, promote_options="permissive").to_pandas()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        # e.g. a levels factor mixing text and numbers across shards: let pandas use object columns
        return pd.concat([t.to_pandas() for t in tables], ignore_index=True)


def _all_runs(root: Path, fresh_rows: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """Every run shard as one table, via an incrementally updated cache (``results.parquet``).

    Reading thousands of one-row files costs about a millisecond each, so their union is kept
    in one file. Shards are write-once (a key's content never changes), so the cache stays
    valid for the keys it holds; only shards it does not hold are read (or taken from
    ``fresh_rows``, the rows the engine has just written) and the cache is rewritten. The
    shards remain the source of truth: cache rows without a shard are dropped.
    """
    shards = {p.stem: p for p in (root / RUNS_DIR).glob("*.parquet") if not p.name.startswith(".")}
    cache = root / RESULTS_CACHE
    parts: list[pd.DataFrame] = []
    have: set[str] = set()
    changed = False
    if cache.is_file():
        try:
            cached = pq.read_table(cache).to_pandas()
            keep = cached["run_key"].isin(set(shards))
            changed = not bool(keep.all())
            cached = cached[keep]
            parts.append(cached)
            have = set(cached["run_key"])
        except (pa.ArrowException, KeyError, OSError):
            changed = True
    missing = [k for k in sorted(shards) if k not in have]
    if missing:
        changed = True
        fresh = {r["run_key"]: r for r in (fresh_rows or []) if r.get("run_key") in shards}
        from_memory = [fresh[k] for k in missing if k in fresh]
        if from_memory:
            parts.append(pd.DataFrame(from_memory))
        to_read = [shards[k] for k in missing if k not in fresh]
        if to_read:
            parts.append(_read_tables(to_read))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame()
    df = parts[0] if len(parts) == 1 else _concat_frames(parts)
    if changed:
        try:
            atomic_write_parquet(cache, df)
        except (pa.ArrowException, OSError, ValueError, TypeError):
            pass  # only a cache; e.g. a column mixing text and numbers cannot be written
    return df


def _concat_frames(parts: list[pd.DataFrame]) -> pd.DataFrame:
    try:
        tables = [pa.Table.from_pandas(p, preserve_index=False) for p in parts]
        return pa.concat_tables(tables, promote_options="permissive").to_pandas()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pd.concat(parts, ignore_index=True)


def update_cache(out_dir: str | Path, fresh_rows: list[dict[str, Any]] | None = None) -> None:
    """Bring ``results.parquet`` up to date (the engine calls this after a sweep)."""
    _all_runs(Path(out_dir), fresh_rows)


def _planned_keys(root: Path) -> set[str] | None:
    path = root / PLAN
    if not path.is_file():
        return None
    return set(pq.read_table(path, columns=["key"]).column("key").to_pylist())


def _scenario_order(root: Path) -> list[str]:
    """Scenario names in the order the spec lists them (from the plan), so tables keep that order."""
    path = root / PLAN
    if not path.is_file():
        return []
    names = pq.read_table(path, columns=["scenario"]).column("scenario").to_pylist()
    return list(dict.fromkeys(names))


def load_results(out_dir: str | Path, *, planned_only: bool = True, include_meta: bool = True) -> pd.DataFrame:
    """All run rows of an experiment folder as one DataFrame (one row per finished run).

    ``planned_only`` keeps the runs of the current plan (a folder re-used with a changed spec
    may hold older shards too). ``include_meta=False`` drops ``point_index``, ``run_key`` and
    ``elapsed_s`` (leaving ``scenario``, ``point_id``, ``replicate``, ``seed``, factors and KPIs),
    which is what the statistics functions expect. ``df.attrs`` holds ``factors`` and ``kpis``.
    """
    root = Path(out_dir)
    if not (root / MANIFEST).is_file() and not (root / RUNS_DIR).is_dir():
        raise InputError(f"dir: {str(out_dir)!r} has no results; expected an experiment output folder")
    df = _all_runs(root)
    wanted = _planned_keys(root) if planned_only else None
    if wanted is not None and not df.empty:
        df = df[df["run_key"].isin(wanted)]
    manifest = read_manifest(root) if (root / MANIFEST).is_file() else {}
    factors = [f for f in manifest.get("factors", []) if f in df.columns]
    if not df.empty:
        sort = [c for c in ("scenario", "point_index", "replicate") if c in df.columns]
        order = _scenario_order(root)
        if order and "scenario" in df.columns:
            rank = {name: i for i, name in enumerate(order)}
            df = df.assign(_rank=df["scenario"].map(rank).fillna(len(rank)))
            sort = ["_rank"] + sort
        df = df.sort_values(sort, kind="stable").drop(columns=["_rank"], errors="ignore").reset_index(drop=True)
        ordered = [c for c in META_COLUMNS if c in df.columns] + factors
        df = df[ordered + [c for c in df.columns if c not in ordered]]
    if not include_meta:
        df = df.drop(columns=[c for c in ("point_index", "run_key", "elapsed_s") if c in df.columns])
    df.attrs["factors"] = factors
    df.attrs["kpis"] = [c for c in df.columns if c not in META_COLUMNS and c not in factors]
    return df


def load_daily(out_dir: str | Path, *, planned_only: bool = True) -> pd.DataFrame:
    """All daily series (if the experiment stored them) as one long DataFrame keyed by ``run_key``."""
    root = Path(out_dir)
    files = sorted(p for p in (root / DAILY_DIR).glob("*.parquet") if not p.name.startswith("."))
    wanted = _planned_keys(root) if planned_only else None
    if wanted is not None:
        files = [f for f in files if f.stem in wanted]
    done = {p.stem for p in (root / RUNS_DIR).glob("*.parquet")}
    return _read_tables([f for f in files if f.stem in done])


def load_failures(out_dir: str | Path) -> list[dict[str, Any]]:
    """Failure records (one per failed key that has not succeeded since), sorted by point and replicate."""
    root = Path(out_dir)
    done = {p.stem for p in (root / RUNS_DIR).glob("*.parquet")}
    out = []
    for p in sorted((root / FAILURES_DIR).glob("*.json")):
        if p.name.startswith(".") or p.stem in done:
            continue
        try:
            out.append(json.loads(p.read_text(encoding="utf-8")))
        except json.JSONDecodeError:
            out.append({"key": p.stem, "error": "unreadable failure record"})
    return sorted(out, key=lambda r: (str(r.get("scenario", "")), r.get("point_index", 0) or 0, r.get("replicate", 0) or 0))


def query(out_dir: str | Path, sql: str) -> pd.DataFrame:
    """Run SQL over the shards with DuckDB (optional dependency): tables ``runs`` and ``daily``."""
    try:
        import duckdb
    except ImportError:
        raise InputError("query: duckdb is not installed; expected `pip install duckdb` (or use load_results)") from None
    root = Path(out_dir)
    con = duckdb.connect()
    try:
        for name, sub in (("runs", RUNS_DIR), ("daily", DAILY_DIR)):
            if any((root / sub).glob("*.parquet")):
                pattern = str(root / sub / "*.parquet").replace("'", "''")
                con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{pattern}', union_by_name=true)")
        return con.execute(sql).df()
    finally:
        con.close()

