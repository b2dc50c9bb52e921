"""Evaluation of trained runs: accuracy, robustness, representation quality."""

from vimax.evaluate.attack_modes import robustness_modes
from vimax.evaluate.carlini_wagner import CarliniWagnerConfig, carlini_wagner_l2, robustness
from vimax.evaluate.latent_plot import latent_plot
from vimax.evaluate.representation import cluster_accuracy, hoyer, hoyer_variants, representation_quality
from vimax.evaluate.run import EvaluationConfig, evaluate_run
from vimax.metrics.accuracy import error_rates, information_plane

__all__ = [
    "CarliniWagnerConfig",
    "EvaluationConfig",
    "carlini_wagner_l2",
    "cluster_accuracy",
    "error_rates",
    "evaluate_run",
    "hoyer",
    "hoyer_variants",
    "information_plane",
    "latent_plot",
    "representation_quality",
    "robustness",
    "robustness_modes",
]
