"""The local backend: runs in a pool of worker processes on this machine.

Workers are started with the 'spawn' method (safe with torch and threads) and
each run gets ``max(1, cores // jobs)`` torch threads. With ``jobs=1`` the runs
go one after another in the calling process (no start-up cost).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from vimax.sweep.grid import RunSpec
from vimax.sweep.runner import execute_run, record_failure

__all__ = ["available_cores", "threads_per_run", "run_local"]

logger = logging.getLogger(__name__)

OnRecord = Callable[[dict[str, Any]], None]


def available_cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def threads_per_run(jobs: int, cores: int | None = None) -> int:
    """Torch threads per run when ``jobs`` runs share the cores: max(1, cores // jobs)."""
    return max(1, (cores or available_cores()) // max(1, jobs))


def _quiet_worker() -> None:
    """A worker logs warnings and errors only, so its epochs do not bury the progress bar."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")


def run_local(specs: list[RunSpec], jobs: int = 1, on_record: OnRecord | None = None) -> list[dict[str, Any]]:
    """Run ``specs`` with at most ``jobs`` at a time; return their records in finishing order.

    ``on_record`` is called in this process as each run ends (to move a progress
    bar). A run's failure is in its record; Ctrl-C cancels the runs not started
    and is raised again.
    """
    threads = threads_per_run(jobs)
    records: list[dict[str, Any]] = []

    def done(record: dict[str, Any]) -> None:
        records.append(record)
        if on_record is not None:
            on_record(record)

    if jobs <= 1 or len(specs) <= 1:
        for spec in specs:
            done(execute_run(spec, threads))
        return records
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(specs)), mp_context=context,
                               initializer=_quiet_worker)
    try:
        futures = {pool.submit(execute_run, spec, threads): spec for spec in specs}
        for future in as_completed(futures):
            try:
                done(future.result())
            except Exception as error:  # the worker process died (e.g. killed for memory)
                spec = futures[future]
                logger.error("run %s was lost: %s", spec.run_id, error)
                done(record_failure(spec, f"worker process lost: {type(error).__name__}: {error}"))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return records
