"""Measurements of a model under an objective, shared by training and evaluation."""

from vimax.metrics.diagnostics import (
    DIAGNOSTIC_KEYS,
    INACTIVE_RATIO,
    regulariser_active,
    regulariser_diagnostics,
)

__all__ = ["DIAGNOSTIC_KEYS", "INACTIVE_RATIO", "regulariser_active", "regulariser_diagnostics"]
