"""Which runs of a sweep still need running, and running them on a backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vimax.atomic import remove_stale_temporaries_in
from vimax.errors import ConfigError
from vimax.sweep.grid import RunSpec
from vimax.sweep.records import RECORDS
from vimax.sweep.runner import run_status

__all__ = ["BACKENDS", "pending_runs", "run_sweep"]

BACKENDS = ("local", "ray")


def pending_runs(specs: list[RunSpec], max_runs: int | None = None,
                 retry_failed: bool = True) -> list[RunSpec]:
    """The runs not finished yet, in grid order, at most ``max_runs`` of them.

    A finished run (metrics.json, and evaluation.json when the sweep evaluates)
    is never run again; a run whose last attempt failed is tried again unless
    ``retry_failed`` is False.
    """
    todo = []
    for spec in specs:
        status, _ = run_status(spec)
        if status == "done" or (status == "failed" and not retry_failed):
            continue
        todo.append(spec)
    return todo if max_runs is None else todo[:max_runs]


def run_sweep(specs: list[RunSpec], backend: str = "local", jobs: int = 1, address: str | None = None,
              on_record: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Run ``specs`` on ``backend`` ("local" or "ray"); return their records."""
    for folder in {spec.sweep_dir / RECORDS for spec in specs}:
        remove_stale_temporaries_in(folder)  # of records written when an earlier sweep was killed
    if backend == "local":
        from vimax.sweep.local import run_local

        return run_local(specs, jobs, on_record)
    if backend == "ray":
        from vimax.sweep.ray_backend import run_ray

        return run_ray(specs, jobs, address, on_record)
    raise ConfigError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
