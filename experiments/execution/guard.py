"""Guards for an experiment folder: one writer at a time, damaged shards redone, full disks stop cleanly.

Why: the store's promise is "every finished run survives whatever happens". Atomic writes cover
a kill mid-write, but three faults remain:

* a shard damaged after it was written (a truncated copy, a bad disk, a sync tool) would be
  taken as a finished run for ever -- :func:`quarantine_damaged` reads every shard on resume,
  moves the unreadable ones to ``<out>/damaged/`` and so has those runs redone;
* two sweeps writing one folder would race on the manifest and the cache -- :class:`FolderLock`
  takes an exclusive ``fcntl`` lock on ``<out>/.lock``; the kernel drops it when its process
  dies (even by SIGKILL), so a killed sweep never leaves the folder stuck;
* a full disk or a folder turned read-only mid-sweep -- :func:`writes_guarded` turns the
  ``OSError`` into a one-line :class:`StoreWriteError` after the runs already written are safe.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from simulation.errors import InputError

LOCK_FILE = ".lock"
DAMAGED_DIR = "damaged"


class FolderBusyError(InputError):
    """Another live process is writing this experiment folder."""


class StoreWriteError(InputError):
    """The folder could not be written (disk full, read-only, permissions); finished runs are kept."""


class FolderLock:
    """Exclusive, non-blocking lock on an output folder, held while a sweep writes it."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.path = self.root / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> "FolderLock":
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise FolderBusyError(
                f"out: {str(self.root)!r} is being written by another sweep (pid {holder}); expected a folder no other sweep is using "
                "(wait for it, or choose another --out)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing drops the flock

    def __enter__(self) -> "FolderLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _readable(path: Path, key: str | None = None) -> bool:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError, ValueError):
        return False
    if key is None:
        return True
    return table.num_rows == 1 and "run_key" in table.column_names and table.column("run_key")[0].as_py() == key


def quarantine_damaged(root: str | Path, keys: Iterable[str] | None = None) -> list[str]:
    """Move unreadable run shards (and their daily shards) to ``<out>/damaged/``; return their keys.

    A run shard must read as Parquet with exactly one row whose ``run_key`` is its file name;
    a daily shard next to it must read too. Only ``keys`` are checked when given.
    """
    root = Path(root)
    runs, daily = root / "runs", root / "daily"
    if not runs.is_dir():
        return []
    wanted = None if keys is None else set(keys)
    damaged: list[str] = []
    for shard in sorted(runs.glob("*.parquet")):
        key = shard.stem
        if shard.name.startswith(".") or (wanted is not None and key not in wanted):
            continue
        day = daily / shard.name
        if _readable(shard, key) and (not day.exists() or _readable(day)):
            continue
        target = root / DAMAGED_DIR
        target.mkdir(exist_ok=True)
        for f, suffix in ((shard, ".run.parquet"), (day, ".daily.parquet")):
            if f.exists():
                os.replace(f, target / f"{key}{suffix}")
        damaged.append(key)
    return damaged


@contextlib.contextmanager
def writes_guarded(root: str | Path, kept: int | None = None) -> Iterator[None]:
    """Turn an ``OSError`` from writing the folder into one line that says the finished runs are kept."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, (BlockingIOError, InterruptedError)):
            raise
        reason = exc.strerror or errno.errorcode.get(exc.errno or 0, "") or str(exc)
        done = len(list((Path(root) / "runs").glob("*.parquet"))) if kept is None else kept
        raise StoreWriteError(
            f"out: {str(root)!r} cannot be written ({reason}); stopped with {done} finished run(s) kept, "
            "expected a writable folder with free space (free some and re-run to resume)"
        ) from None
