"""Read saved results into a table of runs; nothing is trained or evaluated here.

A results folder holds ``<sweep>/<profile>/<run id>/`` run folders (see
:mod:`vimax.sweep`). Each run contributes its ``config.json``, and, when they
exist, ``metrics.json`` (training) and ``evaluation.json`` (evaluation). A
file that cannot be read is skipped with a warning; the report never fails on
a missing result.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vimax.config import migrate, resolved
from vimax.errors import ConfigError
from vimax.training.run_folder import EVALUATION, METRICS

__all__ = ["RunResult", "collect", "collect_records", "select", "group_by",
           "best_by_validation", "normalise_evaluation"]

logger = logging.getLogger(__name__)

SEED_SUFFIX = re.compile(r"_seed\d+$")


def _read_json(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        logger.warning("skipping unreadable %s: %s", path, error)
        return None


def normalise_evaluation(evaluation: Any) -> Any:
    """An evaluation.json of either layout of ``robustness``, read as the per-mode one.

    Since the attack has modes, ``robustness`` holds ``{"mean": {...}, "averaged": {...},
    "cross_check": {...}}``; before, it held one mode's fields (``l2``, ``per_image``, ...)
    directly, the mode named by ``attacked_model`` ("mean_z" or "averaged"). Both are
    returned with the modes as keys and, for readers of the old layout, one mode's fields
    also at the top: the z = mean mode's when there is one.
    """
    if not isinstance(evaluation, dict) or not isinstance(evaluation.get("robustness"), dict):
        return evaluation
    section = evaluation["robustness"]
    if "per_image" in section or "l2" in section:  # the one-mode layout
        mode = "averaged" if section.get("attacked_model") == "averaged" else "mean"
        section = {**section, mode: dict(section)}
    else:
        top = section.get("mean", section.get("averaged"))
        section = {**(top if isinstance(top, dict) else {}), **section}
    return {**evaluation, "robustness": section}


def _resolved(config: dict[str, Any], path: Path) -> dict[str, Any]:
    """A saved config as this version resolves it (any version's config.json: every default filled in,
    only the settings its objective takes), so equal settings compare equal; the saved dict, brought to
    this version's layout, for a config this vimax cannot read (an objective of a module not imported)."""
    try:
        return resolved(config, str(path))
    except ConfigError as error:
        logger.debug("%s", error)
        return migrate(config)


@dataclass
class RunResult:
    """The saved results of one run folder."""

    sweep: str
    profile: str
    run_id: str
    path: Path
    config: dict[str, Any]
    git_revision: str | None = None
    metrics: dict[str, Any] | None = None
    evaluation: dict[str, Any] | None = None

    @property
    def setting(self) -> str:
        """The run id without its seed: runs that differ only by seed share it."""
        return SEED_SUFFIX.sub("", self.run_id)

    @property
    def seed(self) -> int:
        return int(self.config.get("train", {}).get("seed", 0))

    @property
    def objective(self) -> str:
        return str(self.config.get("objective", {}).get("name", "vim"))

    @property
    def beta(self) -> float | None:
        """The objective's beta (None for one that takes none)."""
        return self.config.get("objective", {}).get("beta")

    @property
    def prior_std(self) -> float | None:
        """The prior's sigma (None for an objective without a prior)."""
        return self.config.get("objective", {}).get("prior_std")

    def value(self, key: str) -> float | None:
        """A number by dotted path, e.g. "metrics.test_error", "evaluation.robustness.l2"."""
        node: Any = {"metrics": self.metrics, "evaluation": self.evaluation, "config": self.config}
        for part in key.split("."):
            if not isinstance(node, dict):
                return None
            node = node.get(part)
        if isinstance(node, bool) or not isinstance(node, (int, float)) or not math.isfinite(node):
            return None
        return float(node)


def collect(results_dir: str | Path, profile: str | None = None) -> list[RunResult]:
    """Every run folder (one with a readable config.json) under ``results_dir``."""
    runs = []
    for config_path in sorted(Path(results_dir).glob("*/*/*/config.json")):
        folder = config_path.parent
        sweep, run_profile = folder.parent.parent.name, folder.parent.name
        if profile is not None and run_profile != profile:
            continue
        saved = _read_json(config_path)
        if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict):
            continue
        config = _resolved(saved["config"], config_path)
        runs.append(RunResult(sweep, run_profile, folder.name, folder, config, saved.get("git_revision"),
                              _read_json(folder / METRICS),
                              normalise_evaluation(_read_json(folder / EVALUATION))))
    return runs


def collect_records(results_dir: str | Path, profile: str | None = None) -> list[dict[str, Any]]:
    """The sweeps' records of each run (``<sweep>/<profile>/records/*.json``)."""
    records = []
    for path in sorted(Path(results_dir).glob("*/*/records/*.json")):
        if profile is not None and path.parent.parent.name != profile:
            continue
        record = _read_json(path)
        if isinstance(record, dict):
            records.append(record)
    return records


def _matches(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, float) and isinstance(actual, (int, float)):
        return math.isclose(actual, wanted, rel_tol=1e-9)
    return actual == wanted


def select(runs: list[RunResult], sweep: str | None = None, **criteria: Any) -> list[RunResult]:
    """The finished runs (metrics.json present) of ``sweep`` whose properties match ``criteria``.

    Criteria are RunResult properties (objective, beta, prior_std) or dotted
    config keys written with "__" (``model__latent_dim=2``).
    """
    chosen = []
    for run in runs:
        if run.metrics is None or (sweep is not None and run.sweep != sweep):
            continue
        ok = True
        for key, wanted in criteria.items():
            actual = run.value("config." + key.replace("__", ".")) if "__" in key else getattr(run, key)
            ok = ok and _matches(actual, wanted)
        if ok:
            chosen.append(run)
    return chosen


def group_by(runs: list[RunResult], attribute: str) -> dict[Any, list[RunResult]]:
    """Runs grouped by a property (``beta``, ``prior_std``, ``setting``), keys in sorted order."""
    groups: dict[Any, list[RunResult]] = {}
    for run in runs:
        groups.setdefault(getattr(run, attribute), []).append(run)
    return dict(sorted(groups.items(), key=lambda item: (item[0] is None, item[0])))


def best_by_validation(groups: dict[Any, list[RunResult]]) -> Any:
    """The key whose runs have the lowest mean validation error (None when none has one)."""
    best, best_error = None, math.inf
    for key, runs in groups.items():
        errors = [run.value("metrics.val_error") for run in runs]
        errors = [e for e in errors if e is not None]
        if errors and sum(errors) / len(errors) < best_error:
            best, best_error = key, sum(errors) / len(errors)
    return best
