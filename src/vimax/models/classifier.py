"""The stochastic classifier x -> q(z|x) -> p(y|z), and its one builder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from vimax.errors import ConfigError
from vimax.models.encoder import GaussianEncoder, GaussianPosterior
from vimax.models.trunks import TRUNKS

__all__ = ["ModelConfig", "StochasticClassifier", "build_classifier"]


@dataclass
class ModelConfig:
    """The network: a registered trunk, the Gaussian head and a linear decoder.

    ``hidden`` None means the trunk's own default (1024-1024 for the MLP,
    128-256-512-1024 for the CNN); ``width`` scales every hidden size;
    ``dropout`` puts ``nn.Dropout(dropout)`` after each hidden layer of the trunk
    (the dropout baseline of Table 1 uses 0.5). The ranges in the fields'
    metadata are checked when a config is read (:mod:`vimax.config`).
    """

    trunk: str = "mlp"
    latent_dim: int = field(default=256, metadata={"ge": 1})
    hidden: tuple[int, ...] | None = None
    width: float = field(default=1.0, metadata={"gt": 0})
    std_offset: float = 5.0
    dropout: float = field(default=0.0, metadata={"ge": 0, "lt": 1})

    def __post_init__(self) -> None:
        TRUNKS.get(self.trunk)  # a ConfigError naming the registered trunks
        if self.hidden is not None and any(h < 1 for h in self.hidden):
            raise ConfigError(f"hidden sizes must be >= 1, got {list(self.hidden)}")


class StochasticClassifier(nn.Module):
    """Encoder q(z|x) and decoder p(y|z) = softmax(W z + b) (§4.1's logistic regression).

    ``forward(x)`` gives the deterministic logits at z = mean, which is what an
    attack or a deterministic baseline uses; :meth:`sample_logits` and
    :meth:`predict_proba` give the stochastic predictions.
    """

    def __init__(self, encoder: GaussianEncoder, decoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    @property
    def latent_dim(self) -> int:
        return self.encoder.latent_dim

    def posterior(self, x: torch.Tensor) -> GaussianPosterior:
        """q(z|x): mean and std, (B, K) each."""
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, C) at z = mean."""
        return self.decoder(self.encoder(x).mean)

    def sample_logits(self, x: torch.Tensor, samples: int) -> torch.Tensor:
        """Logits (samples, B, C) for ``samples`` draws of z; the encoder runs once."""
        return self.decoder(self.encoder(x).rsample(samples))

    @torch.no_grad()
    def predict_proba(self, x: torch.Tensor, samples: int = 12) -> torch.Tensor:
        """p(y|x) (B, C): the softmax averaged over ``samples`` draws of z (0: z = mean)."""
        if samples == 0:
            return self(x).softmax(-1)
        return self.sample_logits(x, samples).softmax(-1).mean(0)


def build_classifier(
    config: ModelConfig, input_shape: Sequence[int], num_classes: int
) -> StochasticClassifier:
    """Build trunk, Gaussian head and linear decoder from a :class:`ModelConfig`."""
    kwargs: dict = {"dropout": config.dropout, "width": config.width}
    if config.hidden is not None:
        kwargs["hidden"] = tuple(config.hidden)
    trunk = TRUNKS.build(config.trunk, input_shape=tuple(input_shape),
                         out_features=2 * config.latent_dim, **kwargs)
    encoder = GaussianEncoder(trunk, config.latent_dim, config.std_offset)
    return StochasticClassifier(encoder, nn.Linear(config.latent_dim, num_classes))
