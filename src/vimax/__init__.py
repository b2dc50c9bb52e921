"""vimax: the Variational InfoMax (VIM) and Variational Information Bottleneck (VIB)
objectives as PyTorch modules, and the tools to reproduce the VIM paper."""

import logging as _logging

from vimax.config import RunConfig
from vimax.data import DataConfig, register_dataset
from vimax.errors import CheckpointError, ConfigError, DataError, VimaxError
from vimax.evaluate.run import evaluate_run
from vimax.metrics import regulariser_diagnostics
from vimax.models import GaussianEncoder, GaussianPosterior, StochasticClassifier, build_classifier
from vimax.objectives import (
    ConfidencePenalty,
    CrossEntropy,
    Dropout,
    LabelSmoothing,
    ObjectiveOutput,
    VariationalInfoMax,
    VariationalInformationBottleneck,
    build_objective,
    gaussian_kl,
    mmd,
)
from vimax.training import fit
from vimax.training.load import load_run
from vimax.version import __version__

_logging.getLogger(__name__).addHandler(_logging.NullHandler())

__all__ = [
    "__version__",
    "CheckpointError",
    "ConfidencePenalty",
    "ConfigError",
    "CrossEntropy",
    "DataConfig",
    "DataError",
    "Dropout",
    "GaussianEncoder",
    "GaussianPosterior",
    "LabelSmoothing",
    "ObjectiveOutput",
    "RunConfig",
    "StochasticClassifier",
    "VariationalInfoMax",
    "VariationalInformationBottleneck",
    "VimaxError",
    "build_classifier",
    "build_objective",
    "evaluate_run",
    "fit",
    "gaussian_kl",
    "load_run",
    "mmd",
    "register_dataset",
    "regulariser_diagnostics",
]
