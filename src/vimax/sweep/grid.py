"""Expand a sweep file into runs: one per (variant x axis point x seed).

Each run gets a stable, readable id built from its variant, its axis values and
its seed (``vim_sigma1_beta1e-03_seed0``) and a folder
``RESULTS_DIR/<sweep name>/<profile>/<run id>/``. Every expanded
:class:`~vimax.config.RunConfig` is checked before anything runs, and an error
names the variant it comes from.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import itertools
import json
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vimax.config import RunConfig, merge, nest
from vimax.errors import ConfigError
from vimax.sweep.sweep_file import SweepFile, Variant
from vimax.user_modules import imported

__all__ = ["RunSpec", "expand", "run_id", "format_value", "SHORT_NAMES"]

logger = logging.getLogger(__name__)

# how an axis is written in a run id; other axes use their last key ("train.lr" -> "lr")
SHORT_NAMES = {"objective.prior_std": "sigma", "model.latent_dim": "K", "objective.name": ""}
UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


@dataclass
class RunSpec:
    """One run of a sweep: everything a worker needs, and nothing it must import to read.

    Attributes:
        config: the run's resolved RunConfig dict (checked, every default filled in), as
            its run folder's config.json holds it.
        evaluation: evaluation settings ({} for the defaults), or None for no evaluation.
        point: the run's axis values, by dotted key.
        reuse_training: copy the training of a finished run with the same config
            from another sweep under the same results folder (:mod:`vimax.sweep.reuse`).
        imports: the user modules (``--import``) the worker imports before the run,
            by default those imported in the process that built the spec.
    """

    sweep: str
    profile: str
    variant: str
    run_id: str
    seed: int
    config: dict[str, Any]
    out_dir: str
    evaluation: dict[str, Any] | None = None
    point: dict[str, Any] = field(default_factory=dict)
    reuse_training: bool = True
    imports: list[str] = field(default_factory=imported)

    @property
    def sweep_dir(self) -> Path:
        """RESULTS_DIR/<sweep name>/<profile>: the folder of all runs of this sweep."""
        return Path(self.out_dir).parent


def format_value(key: str, value: Any) -> str:
    """An axis value as written in a run id: betas as 1e-03, other numbers as %g."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)) and key.endswith("beta") and value > 0 and _is_finite(value):
        mantissa, exponent = f"{value:e}".split("e")
        return f"{float(mantissa):g}e{exponent}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "-".join(format_value(key, v) for v in value)
    return UNSAFE.sub("-", str(value))


def _is_finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def run_id(variant: str, point: dict[str, Any], seed: int) -> str:
    """``<variant>_<axis><value>..._seed<seed>``."""
    parts = [variant]
    for key, value in point.items():
        short = SHORT_NAMES.get(key, key.rsplit(".", 1)[-1])
        parts.append(f"{short}{format_value(key, value)}")
    parts.append(f"seed{seed}")
    return "_".join(parts)


def _odd_keys(value: Any) -> list[Any]:
    """The keys that are not strings anywhere in nested mappings and lists (YAML allows them)."""
    if isinstance(value, dict):
        odd = [k for k in value if not isinstance(k, str)]
        return odd + [o for v in value.values() for o in _odd_keys(v)]
    if isinstance(value, list):
        return [o for v in value for o in _odd_keys(v)]
    return []


def _evaluation(setting: Any, where: str) -> dict[str, Any] | None:
    if setting is None or setting is False:
        return None
    if setting is True:
        return {"progress": False}
    if isinstance(setting, dict):
        odd = _odd_keys(setting)
        if odd:  # settings are named by strings; other keys would also break sorting in _deduplicate
            raise ConfigError(f"{where}: evaluate: unknown key {odd[0]!r}")
        return {"progress": False, **setting}
    raise ConfigError(f"{where}: evaluate must be true, false or a mapping of settings, got {setting!r}")


def _overrides(settings: dict[str, Any]) -> dict[str, Any]:
    """A profile's (or a profile's variant entry's) config overrides, without its special keys."""
    return {k: v for k, v in settings.items() if k not in ("axes", "evaluate", "variants")}


def _resolved(data: dict[str, Any], where: str) -> dict[str, Any]:
    """The run's config, checked and resolved (defaults filled in, a data path made absolute: a
    worker may run in another folder)."""
    return RunConfig.from_dict(data, f"{where}: config").to_dict()


def _check_sections(config: dict[str, Any], where: str) -> None:
    """Each RunConfig section present must be a mapping (merging would silently replace a scalar)."""
    for section in (f.name for f in dataclasses.fields(RunConfig)):
        if section in config and not isinstance(config[section], dict):
            raise ConfigError(f"{where}: config.{section}: expected a mapping, got {config[section]!r}")


def _variant_runs(sweep: SweepFile, profile: str, variant: Variant, seeds: list[int],
                  results_dir: Path, extra: dict[str, Any]) -> list[RunSpec]:
    settings = sweep.profiles[profile]
    own = (settings.get("variants") or {}).get(variant.name, {})  # this profile's changes to the variant
    where = f"sweep {sweep.name!r}, profile {profile!r}, variant {variant.name!r}"
    profile_axes = {**(settings.get("axes") or {}), **(own.get("axes") or {})}
    axes = {key: profile_axes.get(key, values) for key, values in variant.axes.items()}
    evaluate = own.get("evaluate", variant.evaluate)
    if evaluate is None:
        evaluate = settings.get("evaluate", sweep.evaluate)
    evaluation = _evaluation(evaluate, where)
    common = merge(merge(sweep.base, nest(_overrides(settings), where)), variant.overrides)
    common = merge(common, nest(_overrides(own), where))
    specs = []
    for values in itertools.product(*axes.values()):
        point = dict(zip(axes, values))
        config = merge(common, nest(point, where))
        _check_sections(config, where)  # before the seed and extras are merged into them
        config.setdefault("train", {}).setdefault("progress", False)
        for seed in seeds:
            seeded = merge(merge(config, {"train": {"seed": seed}}), extra)
            rid = run_id(variant.name, point, seed)
            specs.append(RunSpec(sweep.name, profile, variant.name, rid, seed,
                                 _resolved(seeded, f"{where}, run {rid}"),
                                 str(results_dir / sweep.name / profile / rid), evaluation, point))
    return specs


def _deduplicate(specs: list[RunSpec]) -> list[RunSpec]:
    """Drop a run whose config and evaluation repeat an earlier one's (overlapping variants)."""
    seen: dict[str, str] = {}
    kept = []
    for spec in specs:
        key = json.dumps([spec.config, spec.evaluation], sort_keys=True, default=repr)  # YAML dates
        if key in seen:
            logger.debug("%s repeats %s; it is run once", spec.run_id, seen[key])
            continue
        seen[key] = spec.run_id
        kept.append(spec)
    ids = [s.run_id for s in kept]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ConfigError(f"run id {repeated[0]!r} names two different runs; rename a variant")
    return kept


def select_runs(specs: list[RunSpec], patterns: list[str]) -> list[RunSpec]:
    """The runs whose id matches one of the shell-style ``patterns``, those of the first
    pattern first (grid order within a pattern), so ``["vim_*", "*"]`` runs VIM first.

    Raises:
        ConfigError: a pattern matches no run.
    """
    chosen: dict[str, RunSpec] = {}
    for pattern in patterns:
        matched = [spec for spec in specs if fnmatch.fnmatchcase(spec.run_id, pattern)]
        if not matched:
            example = specs[0].run_id if specs else "none"
            raise ConfigError(f"--match {pattern!r} matches no run (run ids look like {example!r})")
        for spec in matched:
            chosen.setdefault(spec.run_id, spec)
    return list(chosen.values())


def expand(sweep: SweepFile, profile: str, results_dir: str | Path, seeds: list[int] | None = None,
           only: list[str] | None = None, extra: dict[str, Any] | None = None,
           evaluate: bool = True) -> list[RunSpec]:
    """All runs of ``sweep`` under ``profile``, checked, in grid order.

    Args:
        seeds: the seeds to run (default: the sweep file's).
        only: run only these variants (names from the grid).
        extra: overrides applied to every run last (e.g. ``{"data": {"data_dir": ...}}``).
        evaluate: False turns the evaluation off for every run.
    """
    if profile not in sweep.profiles:
        known = ", ".join(sorted(sweep.profiles)) or "none"
        raise ConfigError(f"sweep {sweep.name!r} has no profile {profile!r}; its profiles: {known}")
    variants = sweep.grid
    if only:
        names = {v.name for v in variants}
        unknown = [name for name in only if name not in names]
        if unknown:
            raise ConfigError(f"sweep {sweep.name!r} has no variant {unknown[0]!r}; "
                              f"its variants: {', '.join(v.name for v in variants)}")
        variants = [v for v in variants if v.name in only]
    extra = nest(extra or {}, "extra overrides")
    specs = [spec for variant in variants
             for spec in _variant_runs(sweep, profile, variant, seeds or sweep.seeds, Path(results_dir),
                                       extra)]
    if not evaluate:
        for spec in specs:
            spec.evaluation = None
    return _deduplicate(specs)
