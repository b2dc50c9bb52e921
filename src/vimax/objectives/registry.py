"""The objective registry and the checks its hyper-parameters share."""

from __future__ import annotations

import math

from torch import nn

from vimax.errors import ConfigError
from vimax.registry import Registry

__all__ = ["OBJECTIVES", "check_beta", "check_prior_std"]

OBJECTIVES: Registry[nn.Module] = Registry("objective")


def check_beta(beta: float) -> float:
    """beta must be a finite number >= 0."""
    beta = float(beta)
    if not math.isfinite(beta) or beta < 0:
        raise ConfigError(f"beta must be a finite number >= 0, got {beta}")
    return beta


def check_prior_std(prior_std: float) -> float:
    """The prior's standard deviation sigma must be finite and > 0."""
    prior_std = float(prior_std)
    if not math.isfinite(prior_std) or prior_std <= 0:
        raise ConfigError(f"prior_std must be a finite number > 0, got {prior_std}")
    return prior_std
