"""Evaluate a sweep's finished runs again, from their saved weights, without training.

``vimax sweep FILE --evaluate-only`` calls :func:`reevaluate_run` for each run:
a trained run (metrics.json) that still has its ``model.pt`` gets a new
``evaluation.json`` (and latent plot), written atomically; nothing else in its
folder changes. Weights are not kept in git, so a run may have none: it is
listed, and with ``retrain_missing`` :func:`retrain_weights` trains its config
again into a scratch folder beside it. Training is a function of the config
and the torch thread count on one machine, so the new ``model.pt`` is the old
one bit for bit; this is checked: the retrained metrics must equal the saved
``metrics.json`` (timings aside) or the weights are not installed.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

from vimax.config import RunConfig
from vimax.errors import VimaxError
from vimax.sweep.grid import RunSpec
from vimax.sweep.records import read_record
from vimax.training.run_folder import METRICS, MODEL

__all__ = ["reevaluate_run", "retrain_weights", "weights_state", "EVALUATED", "NO_WEIGHTS",
           "NOT_TRAINED", "NOT_EVALUATED", "FAILED", "RETRAINED"]

logger = logging.getLogger(__name__)

EVALUATED, RETRAINED, NO_WEIGHTS, NOT_TRAINED, NOT_EVALUATED, FAILED = (
    "evaluated", "retrained and evaluated", "no weights", "not trained", "not evaluated by the sweep",
    "failed")
VARYING = {"train_seconds", "train_samples_per_s", "reused_from"}  # may differ between two trainings


def weights_state(spec: RunSpec) -> str:
    """EVALUATED-able ("ready"), NO_WEIGHTS, NOT_TRAINED or NOT_EVALUATED, from the run folder."""
    out = Path(spec.out_dir)
    if spec.evaluation is None:
        return NOT_EVALUATED
    if not (out / METRICS).is_file():
        return NOT_TRAINED
    return "ready" if (out / MODEL).is_file() else NO_WEIGHTS


def _training_threads(spec: RunSpec) -> int:
    """The torch threads the run was trained with (its record's, or its source's when copied)."""
    out = Path(spec.out_dir)
    metrics = json.loads((out / METRICS).read_text())
    record = read_record(spec.sweep_dir, spec.run_id) or {}
    source = metrics.get("reused_from")
    if source:
        source_dir = (out / source).resolve()
        record = read_record(source_dir.parent, source_dir.name) or record
    return int(record.get("threads") or 0)


def retrain_weights(spec: RunSpec) -> None:
    """Train the run's config again and install its model.pt, if the metrics come out the same.

    Raises VimaxError (and installs nothing) when they differ: the weights
    would not be the ones the saved results came from.
    """
    from vimax.training.loop import fit

    out = Path(spec.out_dir)
    saved = json.loads((out / METRICS).read_text())
    scratch = out.parent / f".{out.name}.retrain"
    shutil.rmtree(scratch, ignore_errors=True)
    threads = _training_threads(spec)
    config = RunConfig.from_dict(spec.config)
    if threads and not config.train.threads:
        config.train.threads = threads  # the record's count: float sums depend on it
    try:
        fresh = fit(config, scratch)
        differ = sorted(key for key in set(saved) & set(fresh) - VARYING if saved[key] != fresh[key])
        if differ:
            raise VimaxError(f"{spec.run_id}: retraining does not reproduce metrics.json ({differ[0]}: "
                             f"{saved[differ[0]]!r} saved, {fresh[differ[0]]!r} now); weights not installed")
        os.replace(scratch / MODEL, out / MODEL)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    logger.info("%s: retrained with %d threads; metrics.json reproduced, model.pt installed",
                spec.run_id, threads)


def reevaluate_run(spec: RunSpec, retrain_missing: bool = False) -> dict[str, Any]:
    """Evaluate one run again; returns {"run_id", "status", "reason", "seconds"}.

    Only an evaluation or retraining error gives FAILED; a run with nothing to
    do says why in its status.
    """
    from vimax.evaluate.run import evaluate_run, evaluation_config

    began = time.perf_counter()
    state = weights_state(spec)
    result: dict[str, Any] = {"run_id": spec.run_id, "status": state, "reason": ""}
    if state == NO_WEIGHTS and retrain_missing:
        state = "retrain"
    if state not in ("ready", "retrain"):
        return {**result, "seconds": 0.0}
    try:
        if state == "retrain":
            retrain_weights(spec)
        evaluate_run(spec.out_dir, evaluation_config(spec.evaluation))
        result["status"] = RETRAINED if state == "retrain" else EVALUATED
    except VimaxError as error:
        result.update(status=FAILED, reason=str(error))
    except Exception as error:  # one run's bug must not stop the others
        logger.error("re-evaluating %s failed with %s: %s", spec.run_id, type(error).__name__, error)
        result.update(status=FAILED, reason=f"{type(error).__name__}: {error}")
    return {**result, "seconds": time.perf_counter() - began}
