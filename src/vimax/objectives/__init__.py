"""Objectives (VIM, VIB, baselines) and the divergences they use."""

from vimax.objectives import baselines, bottleneck, infomax  # noqa: F401  (registration)
from vimax.objectives.baselines import ConfidencePenalty, CrossEntropy, Dropout, LabelSmoothing
from vimax.objectives.bottleneck import VariationalInformationBottleneck
from vimax.objectives.config import ObjectiveConfig, build_objective, objective_config
from vimax.objectives.divergences import gaussian_kl, imq_kernel, mmd, rbf_kernel
from vimax.objectives.infomax import VariationalInfoMax
from vimax.objectives.output import ObjectiveOutput
from vimax.objectives.registry import OBJECTIVES

__all__ = [
    "OBJECTIVES",
    "ConfidencePenalty",
    "CrossEntropy",
    "Dropout",
    "LabelSmoothing",
    "ObjectiveConfig",
    "ObjectiveOutput",
    "VariationalInfoMax",
    "VariationalInformationBottleneck",
    "build_objective",
    "gaussian_kl",
    "imq_kernel",
    "mmd",
    "objective_config",
    "rbf_kernel",
]
