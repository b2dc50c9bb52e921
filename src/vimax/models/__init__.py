"""Model parts: the Gaussian encoder head, trunks and the stochastic classifier."""

from vimax.models.classifier import ModelConfig, StochasticClassifier, build_classifier
from vimax.models.encoder import GaussianEncoder, GaussianPosterior, as_gaussian_posterior
from vimax.models.trunks import TRUNKS, cnn_trunk, mlp_trunk

__all__ = [
    "TRUNKS",
    "GaussianEncoder",
    "GaussianPosterior",
    "ModelConfig",
    "StochasticClassifier",
    "as_gaussian_posterior",
    "build_classifier",
    "cnn_trunk",
    "mlp_trunk",
]
