"""The ``robustness`` section of ``evaluation.json``: every attack mode, and the cross-check.

Layout::

    robustness
      mean        the classifier at z = mean            (see carlini_wagner.robustness)
      averaged    the softmax averaged over L fixed draws of z, with
                  fresh_noise_success_rate               (stochastic models only)
      cross_check {mode: agreement of the other engine}  (when asked)

Files written before this layout hold one mode's fields directly under
``robustness``; :func:`vimax.report.collect.normalise_robustness` reads both.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import typing
from typing import Any, Literal

from vimax.data.base import Split
from vimax.errors import ConfigError
from vimax.evaluate.attack_engines import other_engine
from vimax.evaluate.carlini_wagner import CarliniWagnerConfig, robustness
from vimax.models.classifier import StochasticClassifier

__all__ = ["ATTACK_MODES", "AttackMode", "check_modes", "robustness_modes", "cross_check",
           "AGREEMENT_TOLERANCE"]

logger = logging.getLogger(__name__)

AttackMode = Literal["mean", "averaged"]
ATTACK_MODES: tuple[str, ...] = typing.get_args(AttackMode)
AGREEMENT_TOLERANCE = 0.05  # per-image L2 within 5 % of the other engine's counts as agreeing


def check_modes(modes: tuple[str, ...] | list[str]) -> None:
    """Refuse an empty list, an unknown mode or a repeated one."""
    if not modes:
        raise ConfigError(f"attack modes must name at least one of {', '.join(ATTACK_MODES)}")
    for mode in modes:
        if mode not in ATTACK_MODES:
            raise ConfigError(f"attack mode must be one of {', '.join(ATTACK_MODES)}, got {mode!r}")
    if len(set(modes)) != len(modes):
        raise ConfigError(f"attack modes repeat: {list(modes)}")


def cross_check(primary: dict[str, Any], other: dict[str, Any],
                tolerance: float = AGREEMENT_TOLERANCE) -> dict[str, Any]:
    """Agreement of two engines' attacks of the same images (two results of ``robustness``).

    Per image: both L2 and their ratio other / primary. Summary over images
    both fooled: mean L2 of each, the ratio of the means, the median and
    extreme per-image ratios, the fraction within ``tolerance`` of 1, and how
    often each engine found the smaller distance.
    """
    rows, ratios = [], []
    engines = (primary["attack"]["engine"], other["attack"]["engine"])
    for mine, theirs in zip(primary["per_image"], other["per_image"]):
        ratio = (theirs["l2"] / mine["l2"] if mine.get("l2") and theirs.get("l2") is not None else None)
        rows.append({"test_index": mine["test_index"], f"l2_{engines[0]}": mine.get("l2"),
                     f"l2_{engines[1]}": theirs.get("l2"), "ratio": ratio})
        if ratio is not None:
            ratios.append((mine["l2"], theirs["l2"], ratio))
    both = len(ratios)
    mean_primary = sum(r[0] for r in ratios) / both if both else None
    mean_other = sum(r[1] for r in ratios) / both if both else None
    ordered = sorted(r[2] for r in ratios)
    return {
        "engines": list(engines),
        "images_both_fooled": both,
        f"success_rate_{engines[0]}": primary["success_rate"],
        f"success_rate_{engines[1]}": other["success_rate"],
        f"mean_l2_{engines[0]}": mean_primary,
        f"mean_l2_{engines[1]}": mean_other,
        "ratio_of_means": mean_other / mean_primary if both else None,
        "median_ratio": (ordered[both // 2] if both % 2 else sum(ordered[both // 2 - 1: both // 2 + 1]) / 2)
        if both else None,
        "min_ratio": ordered[0] if both else None,
        "max_ratio": ordered[-1] if both else None,
        "tolerance": tolerance,
        "fraction_within_tolerance": sum(abs(r - 1) <= tolerance for r in ordered) / both if both else None,
        f"smaller_{engines[0]}": sum(r > 1 + 1e-9 for r in ordered),  # ratio = other / primary
        f"smaller_{engines[1]}": sum(r < 1 - 1e-9 for r in ordered),
        f"seconds_{engines[1]}": other["seconds"],
        "per_image": rows,
    }


def robustness_modes(
    model: StochasticClassifier,
    split: Split,
    config: CarliniWagnerConfig,
    modes: tuple[str, ...] = ATTACK_MODES,
    stochastic: bool = True,
    samples: int = 12,
    source: int = 0,
    target: int = 1,
    count: int = 10,
    check_engines: bool = False,
    fresh_noise_draws: int = 20,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Attack ``model`` in each of ``modes`` ("mean", "averaged" over ``samples`` fixed draws).

    A deterministic model (``stochastic`` False) has no noise to average: only
    "mean" is attacked. With ``check_engines`` every mode is attacked again by
    the other engine, and their agreement is under ``cross_check``.
    """
    check_modes(modes)
    chosen = [mode for mode in modes if stochastic or mode == "mean"]
    if not chosen:
        raise ConfigError("a deterministic model has only the z = mean attack mode; add 'mean'")
    if len(chosen) < len(modes):
        logger.info("deterministic model: only the z = mean mode is attacked")
    section: dict[str, Any] = {}
    checks: dict[str, Any] = {}
    for mode in chosen:
        averaged = samples if mode == "averaged" else None
        section[mode] = robustness(model, split, config, source, target, count, averaged, progress,
                                   fresh_noise_draws)
        if check_engines:
            other = dataclasses.replace(config, engine=other_engine(config.engine))
            result = robustness(model, split, other, source, target, count, averaged, progress,
                                fresh_noise_draws)
            checks[mode] = cross_check(section[mode], result)
            ratio = checks[mode]["ratio_of_means"]
            logger.info("cross-check (%s): mean L2 %s / %s = %s", mode, other.engine, config.engine,
                        "n/a" if ratio is None or not math.isfinite(ratio) else f"{ratio:.3f}")
    if check_engines:
        section["cross_check"] = checks
    return section
