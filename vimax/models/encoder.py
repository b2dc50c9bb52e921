"""The stochastic Gaussian encoder head q(z|x) = N(mean(x), diag(std(x)^2))."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["GaussianPosterior", "GaussianEncoder"]


class GaussianPosterior:
    """A diagonal Gaussian q(z|x) for a batch.

    Attributes:
        mean: (B, K).
        std: (B, K), > 0.
    """

    __slots__ = ("mean", "std")

    def __init__(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.mean = mean
        self.std = std

    def rsample(self, samples: int | None = None) -> torch.Tensor:
        """Reparameterised samples z = mean + std * eps, eps ~ N(0, I).

        Returns (B, K) when ``samples`` is None, else (samples, B, K), drawn in one op.
        """
        shape = self.mean.shape if samples is None else (samples, *self.mean.shape)
        eps = torch.randn(shape, dtype=self.mean.dtype, device=self.mean.device)
        return self.mean + self.std * eps  # broadcasts over the sample dimension

    def detach(self) -> GaussianPosterior:
        return GaussianPosterior(self.mean.detach(), self.std.detach())


class GaussianEncoder(nn.Module):
    """Turns any trunk x -> (B, 2K) features into q(z|x).

    The first K features are the mean; the last K, rho, give the standard
    deviation std = softplus(rho - std_offset), as in the reference VIB code
    (offset 5 starts the noise small, softplus(-5) ~ 0.0067).

    Args:
        trunk: module mapping inputs to (B, 2 * latent_dim) features.
        latent_dim: K, the dimension of z.
        std_offset: the offset subtracted before the softplus (default 5).

    Example::

        trunk = nn.Sequential(nn.Flatten(), nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 512))
        encoder = GaussianEncoder(trunk, latent_dim=256)
        posterior = encoder(x)       # mean, std: (B, 256)
        z = posterior.rsample()      # (B, 256)
    """

    def __init__(self, trunk: nn.Module, latent_dim: int, std_offset: float = 5.0) -> None:
        super().__init__()
        if latent_dim < 1:
            raise ValueError(f"latent_dim must be >= 1, got {latent_dim}")
        self.trunk = trunk
        self.latent_dim = int(latent_dim)
        self.std_offset = float(std_offset)

    def forward(self, x: torch.Tensor) -> GaussianPosterior:
        features = self.trunk(x)  # (B, 2K)
        if features.ndim != 2 or features.shape[1] != 2 * self.latent_dim:
            raise ValueError(
                f"the trunk must output (B, {2 * self.latent_dim}) features for "
                f"latent_dim={self.latent_dim}, got {tuple(features.shape)}"
            )
        mean, rho = features.split(self.latent_dim, dim=1)  # (B, K) each
        return GaussianPosterior(mean, F.softplus(rho - self.std_offset))
