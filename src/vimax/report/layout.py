"""Read the evaluation.json of either layout, and the diagnostics of a run, as plain numbers.

Two layouts of ``evaluation.json`` exist:

- old: ``robustness`` is one flat attack (``l2``, ``l1``, ``linf``, ``success_rate``, …) of the
  model named by ``attacked_model`` ("mean_z", or "averaged" for the 12-sample prediction);
  ``representation.hoyer`` is the Hoyer index of z divided by each dimension's spread.
- new: ``robustness`` is ``{"mean": {...}, "averaged": {...}, "cross_check": {mode: {...}}}``
  (the cross-check: the two engines' agreement per mode) and ``representation`` has ``hoyer``
  (the headline), ``hoyer_raw``, ``hoyer_prior_std``, ``hoyer_dim_std`` and ``hoyer_zscore``.

A loader may also copy one mode's fields to the top of a new-layout ``robustness``, or a
one-mode file's fields under its mode's key; whenever a mode key holds a dict, the modes win.

The diagnostics of the regulariser (``regulariser_grad_ratio``, ``latent_scale``,
``posterior_std_median``) are flat keys of ``metrics.json``; re-evaluated runs may also
have them under ``diagnostics`` in ``evaluation.json``. Runs older than them have none.
"""

from __future__ import annotations

import math
from typing import Any

from vimax.report.collect import RunResult

__all__ = ["MODES", "robustness_modes", "attack_value", "representation_value", "diagnostic",
           "DIAGNOSTICS", "cross_check"]

MODES = ("mean", "averaged")  # the model attacked: z = mean, or the softmax averaged over samples
DIAGNOSTICS = ("regulariser_grad_ratio", "latent_scale", "posterior_std_median")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def robustness_modes(evaluation: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The attacks of a run by mode ("mean", "averaged", "cross_check"), from either layout."""
    robustness = (evaluation or {}).get("robustness")
    if not isinstance(robustness, dict):
        return {}
    modes = {key: robustness[key] for key in (*MODES, "cross_check") if isinstance(robustness.get(key), dict)}
    if any(mode in modes for mode in MODES) or "l2" not in robustness:  # the per-mode layout
        return modes
    mode = "averaged" if robustness.get("attacked_model") == "averaged" else "mean"
    return {mode: robustness}


def attack_value(run: RunResult, mode: str, key: str) -> float | None:
    """A number of one attack mode, e.g. ``attack_value(run, "averaged", "l2")``."""
    return _number(robustness_modes(run.evaluation).get(mode, {}).get(key))


def cross_check(run: RunResult) -> dict[str, dict[str, Any]]:
    """The two attack engines' agreement on this run, by attack mode ({} when not cross-checked)."""
    checks = robustness_modes(run.evaluation).get("cross_check") or {}
    return {mode: check for mode, check in checks.items() if isinstance(check, dict)}


def representation_value(run: RunResult, key: str) -> float | None:
    """A number of ``evaluation.representation``; in the old layout ``hoyer`` is ``hoyer_dim_std``."""
    representation = (run.evaluation or {}).get("representation")
    if not isinstance(representation, dict):
        return None
    value = _number(representation.get(key))
    if value is None and key == "hoyer_dim_std" and not any(k.startswith("hoyer_") for k in representation):
        value = _number(representation.get("hoyer"))
    return value


def diagnostic(run: RunResult, key: str) -> float | None:
    """A regulariser diagnostic of the run: metrics.json first, then evaluation.json's ``diagnostics``."""
    value = run.value(f"metrics.{key}")
    return value if value is not None else run.value(f"evaluation.diagnostics.{key}")
