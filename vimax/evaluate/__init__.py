"""Evaluation of trained runs: accuracy, robustness, representation quality."""

from vimax.evaluate.accuracy import error_rates, information_plane

__all__ = ["error_rates", "information_plane"]
