"""The Ray Tune backend: the same runs as Ray Tune trials, locally or on a cluster.

Each trial calls :func:`vimax.sweep.runner.execute_run`, the function the local
backend calls, so both backends train, evaluate, skip and record runs the same
way. A trial asks for ``cores // jobs`` CPUs (cores of the Ray cluster).

On a cluster every node needs vimax installed and the results folder on shared
storage (the run folders and records are written by the trials, where they run).
Ray Tune is optional: ``pip install 'vimax[ray]'``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vimax.errors import VimaxError
from vimax.sweep.grid import RunSpec
from vimax.sweep.local import available_cores
from vimax.sweep.runner import execute_run, record_failure

__all__ = ["run_ray", "import_ray"]

logger = logging.getLogger(__name__)

INSTALL_HINT = "--backend ray needs Ray Tune, which is not installed: pip install 'vimax[ray]'"


def import_ray() -> tuple[Any, Any]:
    """``(ray, ray.tune)``, or one clear error telling how to install them."""
    try:
        import ray
        from ray import tune
    except ImportError:
        raise VimaxError(INSTALL_HINT) from None
    return ray, tune


def _trial(config: dict[str, Any], specs: list[RunSpec], threads: int) -> None:
    """A Tune function trainable: run one spec and report its record."""
    from ray import tune

    record = execute_run(specs[config["index"]], threads)
    tune.report({"done": int(record["status"] == "done"), "record": json.dumps(record)})


def _progress_callback(tune: Any, on_record: Callable[[dict[str, Any]], None] | None) -> Any:
    class Progress(tune.Callback):
        """Passes each trial's record to ``on_record`` in the driver as it arrives.

        Tune pickles its callbacks to save the experiment's state; the pickled
        copy leaves ``on_record`` (a progress bar) out.
        """

        def __init__(self, on_record: Callable[[dict[str, Any]], None] | None) -> None:
            self.on_record = on_record  # an argument, not a closure: the class is pickled by value

        def __getstate__(self) -> dict[str, Any]:
            return {"on_record": None}

        def on_trial_result(self, iteration, trials, trial, result, **info):  # noqa: ANN001
            if self.on_record is not None and "record" in result:
                self.on_record(json.loads(result["record"]))

    return Progress(on_record)


def _records(results: Any, specs: list[RunSpec]) -> list[dict[str, Any]]:
    records = []
    for result in results:
        metrics = result.metrics or {}
        if "record" in metrics:
            records.append(json.loads(metrics["record"]))
            continue
        index = (result.config or {}).get("index")
        if index is not None:
            records.append(record_failure(specs[index], f"Ray trial failed: {result.error}", "RayTrialError"))
    return records


def run_ray(specs: list[RunSpec], jobs: int = 1, address: str | None = None,
            on_record: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Run ``specs`` as Ray Tune trials, at most ``jobs`` at a time; return their records.

    Args:
        address: an existing Ray cluster ("auto", "ray://host:10001", ...);
            None starts a local Ray with this machine's cores.
    """
    if not specs:
        return []
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # with verbose=0: no tables on stdout
    ray, tune = import_ray()
    started_here = not ray.is_initialized()
    if started_here:
        kwargs = {"address": address} if address else {"num_cpus": available_cores()}
        try:
            ray.init(include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING, **kwargs)
        except (ConnectionError, ValueError, RuntimeError) as error:
            where = f"the Ray cluster at {address}" if address else "a local Ray"
            raise VimaxError(f"cannot start or reach {where}: {error}") from None
    try:
        cores = int(ray.cluster_resources().get("CPU", available_cores()))
        threads = max(1, cores // max(1, jobs))
        trainable = tune.with_resources(tune.with_parameters(_trial, specs=specs, threads=threads),
                                        {"cpu": threads})
        storage = Path(specs[0].sweep_dir).resolve() / "ray"
        tuner = tune.Tuner(
            trainable,
            param_space={"index": tune.grid_search(list(range(len(specs))))},
            tune_config=tune.TuneConfig(max_concurrent_trials=jobs),
            run_config=tune.RunConfig(name=time.strftime("tune-%Y%m%d-%H%M%S"), storage_path=str(storage),
                                      verbose=0, callbacks=[_progress_callback(tune, on_record)]),
        )
        logger.info("running %d trials on Ray with %d CPUs each", len(specs), threads)
        return _records(tuner.fit(), specs)
    finally:
        if started_here:
            ray.shutdown()
