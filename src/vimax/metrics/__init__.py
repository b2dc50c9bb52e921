"""Measurements of a model under an objective, shared by training and evaluation."""

from vimax.metrics.accuracy import error_rates, information_plane
from vimax.metrics.diagnostics import (
    DIAGNOSTIC_KEYS,
    INACTIVE_RATIO,
    regulariser_active,
    regulariser_diagnostics,
)

__all__ = ["DIAGNOSTIC_KEYS", "INACTIVE_RATIO", "regulariser_active", "regulariser_diagnostics",
           "error_rates", "information_plane"]
