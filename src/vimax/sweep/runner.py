"""The one function that runs a point of a sweep, for every backend.

:func:`execute_run` trains (``fit(..., resume=True)``: a finished run is not
trained again, an interrupted one resumes from its checkpoint), evaluates when
the sweep asks for it and evaluation.json is missing, and writes the run's
record. A failure is caught and recorded; only an interrupt (Ctrl-C) escapes,
leaving the run to resume next time.
"""

from __future__ import annotations

import json
import logging
import os
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vimax.config import RunConfig
from vimax.errors import ConfigError, VimaxError
from vimax.sweep.grid import RunSpec
from vimax.sweep.records import DONE, FAILED, read_record, write_record
from vimax.training.run_folder import CHECKPOINT, EVALUATION, METRICS
from vimax.user_modules import import_modules

__all__ = ["execute_run", "record_failure", "record_if_finished", "is_finished", "run_status",
           "check_evaluation", "EVALUATION", "METRICS"]

logger = logging.getLogger(__name__)



def is_finished(spec: RunSpec) -> bool:
    """Trained (metrics.json) and, when the sweep evaluates, evaluated (evaluation.json)."""
    out = Path(spec.out_dir)
    return (out / METRICS).is_file() and (spec.evaluation is None or (out / EVALUATION).is_file())


def run_status(spec: RunSpec) -> tuple[str, str]:
    """("done" | "failed" | "partial" | "pending", detail) from the run folder and its record."""
    out = Path(spec.out_dir)
    if is_finished(spec):
        return "done", ""
    record = read_record(spec.sweep_dir, spec.run_id)
    if record is not None and record.get("status") == FAILED:
        return "failed", str(record.get("reason", ""))
    if (out / METRICS).is_file():
        return "partial", "trained, not evaluated"
    if (out / CHECKPOINT).is_file():
        return "partial", "checkpoint saved"
    return "pending", ""


def _evaluator() -> tuple[Any, Any]:
    """``evaluate_run`` and the reader of its settings, imported only when a sweep evaluates."""
    from vimax.evaluate.run import evaluate_run, evaluation_config

    return evaluate_run, evaluation_config


def check_evaluation(specs: list[RunSpec]) -> None:
    """Build every distinct evaluation setting once, before anything runs."""
    checked: list[dict[str, Any]] = []
    for spec in specs:
        if spec.evaluation is None or spec.evaluation in checked:
            continue
        _, settings = _evaluator()
        try:
            settings(spec.evaluation)
        except ConfigError as error:
            raise ConfigError(f"sweep {spec.sweep!r}, variant {spec.variant!r}: {error}") from None
        checked.append(spec.evaluation)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _train(spec: RunSpec) -> dict[str, Any]:
    """Train the run, or copy the training of an identical finished run of another sweep."""
    from vimax.training.loop import fit

    if spec.reuse_training and not (Path(spec.out_dir) / METRICS).is_file():
        from vimax.sweep.reuse import adopt_twin, find_twin

        twin = find_twin(spec)
        if twin is not None:
            return adopt_twin(spec, twin)
    return fit(RunConfig.from_dict(spec.config), spec.out_dir, resume=True)


def _train_and_evaluate(spec: RunSpec) -> dict[str, Any]:
    metrics = _train(spec)
    if spec.evaluation is not None and not (Path(spec.out_dir) / EVALUATION).is_file():
        evaluate_run, settings = _evaluator()
        evaluate_run(spec.out_dir, settings(spec.evaluation))
    return metrics


def execute_run(spec: RunSpec, threads: int = 0) -> dict[str, Any]:
    """Train and evaluate one run, record how it went, and return the record.

    Args:
        threads: torch intra-op threads for this run (0 leaves torch's default).
    """
    if threads:
        import torch

        torch.set_num_threads(threads)
    record: dict[str, Any] = {
        "run_id": spec.run_id, "sweep": spec.sweep, "profile": spec.profile, "variant": spec.variant,
        "seed": spec.seed, "point": spec.point, "out_dir": spec.out_dir,
        "evaluate": spec.evaluation is not None,
        "started": _now(), "pid": os.getpid(), "threads": threads,
    }
    began = time.perf_counter()
    try:
        import_modules(spec.imports)  # a spawned worker registers the user's datasets too
        metrics = _train_and_evaluate(spec)
        record.update(status=DONE, test_error=metrics.get("test_error"))
        if "reused_from" in metrics:
            record["reused_from"] = metrics["reused_from"]
    except VimaxError as error:
        logger.warning("run %s failed: %s", spec.run_id, error)
        record.update(status=FAILED, error_type=type(error).__name__, reason=str(error))
    except Exception as error:  # a bug or a resource error in one run must not stop the others
        logger.error("run %s failed with %s: %s", spec.run_id, type(error).__name__, error)
        record.update(status=FAILED, error_type=type(error).__name__,
                      reason=f"{type(error).__name__}: {error}", traceback=traceback.format_exc())
    record.update(seconds=time.perf_counter() - began, finished=_now())
    write_record(spec.sweep_dir, record)
    return record


def _identity(spec: RunSpec) -> dict[str, Any]:
    return {"run_id": spec.run_id, "sweep": spec.sweep, "profile": spec.profile, "variant": spec.variant,
            "seed": spec.seed, "point": spec.point, "out_dir": spec.out_dir,
            "evaluate": spec.evaluation is not None}


def record_failure(spec: RunSpec, reason: str, error_type: str = "WorkerError") -> dict[str, Any]:
    """Record a run as failed from outside it (its worker process died or was lost).

    A run that finished before its process was lost keeps (or gets) a "done" record.
    """
    finished = record_if_finished(spec)
    if finished is not None:
        return finished
    record = {**_identity(spec), "status": FAILED, "error_type": error_type, "reason": reason,
              "finished": _now()}
    write_record(spec.sweep_dir, record)
    return record


def record_if_finished(spec: RunSpec) -> dict[str, Any] | None:
    """A finished run's "done" record, written now if it is missing or says otherwise; else None.

    A process killed after the run's metrics.json but before its record, or a
    pool that broke after the run finished, leaves a finished run without one.
    """
    if not is_finished(spec):
        return None
    record = read_record(spec.sweep_dir, spec.run_id)
    if record is not None and record.get("status") == DONE:
        return record
    try:
        metrics = json.loads((Path(spec.out_dir) / METRICS).read_text())
    except (OSError, ValueError):
        metrics = None
    test_error = metrics.get("test_error") if isinstance(metrics, dict) else None
    record = {**_identity(spec), "status": DONE, "test_error": test_error, "finished": _now(),
              "recorded_after_the_fact": True}
    write_record(spec.sweep_dir, record)
    return record
