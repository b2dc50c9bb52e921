"""The stochastic Gaussian encoder head q(z|x) = N(mean(x), diag(std(x)^2)), and the posterior it returns.

:class:`GaussianPosterior` is vimax's own light posterior (two tensors, cheap
under ``torch.compile``); :meth:`GaussianPosterior.to_distribution` and
:func:`as_gaussian_posterior` convert to and from ``torch.distributions``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Distribution, Independent, Normal

__all__ = ["GaussianPosterior", "GaussianEncoder", "as_gaussian_posterior"]

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class GaussianPosterior:
    """A diagonal Gaussian q(z|x) for a batch: B independent K-dimensional Gaussians.

    The same distribution as ``Independent(Normal(mean, std), 1)`` (batch shape
    (B,), event shape (K,)), which :meth:`to_distribution` returns; ``log_prob``
    and ``entropy`` sum over the K dimensions as that object does.

    Attributes:
        mean: (B, K).
        std: (B, K), > 0.
    """

    __slots__ = ("mean", "std")

    def __init__(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        if mean.ndim != 2 or mean.shape != std.shape:
            raise ValueError(f"a GaussianPosterior needs mean and std of one shape (B, K), got mean "
                             f"{tuple(mean.shape)} and std {tuple(std.shape)}")
        self.mean = mean
        self.std = std

    @property
    def latent_dim(self) -> int:
        """K, the dimension of z."""
        return self.mean.shape[1]

    def rsample(self, samples: int | Sequence[int] | None = None) -> torch.Tensor:
        """Reparameterised samples z = mean + std * eps, eps ~ N(0, I), drawn in one op.

        Shapes, for a posterior of B examples in K dimensions:

        - ``samples=None``: (B, K), one z per example;
        - ``samples=L`` (an int, also 1): (L, B, K), L draws per example, the
          layout the objectives take for Monte-Carlo averaging;
        - ``samples=(S1, ..., Sd)``: (S1, ..., Sd, B, K), torch.distributions'
          ``sample_shape`` convention; ``()`` gives (B, K).

        Gradients reach ``mean`` (dz/dmean = 1) and ``std`` (dz/dstd = eps).
        """
        eps = torch.randn(self._sample_shape(samples), dtype=self.mean.dtype, device=self.mean.device)
        return self.mean + self.std * eps  # broadcasts over the leading sample dimensions

    def sample(self, samples: int | Sequence[int] | None = None) -> torch.Tensor:
        """Like :meth:`rsample` (same shapes) without a gradient."""
        with torch.no_grad():
            return self.rsample(samples)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log q(z|x) in nats, summed over the K dimensions.

        Args:
            z: (..., B, K) (or anything that broadcasts against (B, K) with last dimension K).

        Returns:
            (..., B).
        """
        self._check_width(z)
        standard = (z - self.mean) / self.std  # (..., B, K)
        return (-0.5 * standard.pow(2) - self.std.log() - HALF_LOG_2PI).sum(-1)

    def entropy(self) -> torch.Tensor:
        """Differential entropy H[q(z|x)] = sum_k (1/2 + log(2 pi)/2 + log std_k) in nats, (B,)."""
        return (0.5 + HALF_LOG_2PI + self.std.log()).sum(-1)

    def to_distribution(self) -> Independent:
        """The same posterior as ``Independent(Normal(mean, std), 1)``: batch (B,), event (K,)."""
        return Independent(Normal(self.mean, self.std), 1)

    def check_sample(self, z: torch.Tensor, name: str = "z") -> None:
        """Raise a ValueError unless ``z`` is (B, K) or (L, B, K) for this posterior's (B, K)."""
        self._check_width(z, name)
        if z.ndim not in (2, 3) or z.shape[-2] != self.mean.shape[0]:
            raise ValueError(f"{name} must be (B, K) or (L, B, K) for a posterior of (B, K) = "
                             f"{tuple(self.mean.shape)}, got {name} of shape {tuple(z.shape)}")

    def detach(self) -> GaussianPosterior:
        return GaussianPosterior(self.mean.detach(), self.std.detach())

    def __repr__(self) -> str:
        batch, dims = self.mean.shape
        grad = ", requires_grad=True" if self.mean.requires_grad or self.std.requires_grad else ""
        return (f"GaussianPosterior(batch={batch}, latent_dim={dims}, dtype={self.mean.dtype}, "
                f"device={self.mean.device}{grad})")

    def _check_width(self, z: torch.Tensor, name: str = "z") -> None:
        if z.ndim < 1 or z.shape[-1] != self.mean.shape[1]:
            raise ValueError(f"{name} of shape {tuple(z.shape)} does not match the posterior's latent "
                             f"dimension: its mean and std are (B, K) = {tuple(self.mean.shape)}, so "
                             f"{name}'s last dimension must be K = {self.mean.shape[1]}")

    def _sample_shape(self, samples: int | Sequence[int] | None) -> tuple[int, ...]:
        if samples is None:
            lead: tuple[int, ...] = ()
        elif isinstance(samples, (tuple, list)):  # torch.Size is a tuple
            lead = tuple(samples)
        else:
            lead = (samples,)  # an int, or whatever the check below refuses
        if any(not isinstance(s, int) or isinstance(s, bool) or s < 0 for s in lead):
            raise ValueError(f"samples must be None, an int >= 0 or a shape of them, got {samples!r}")
        return (*lead, *self.mean.shape)


def as_gaussian_posterior(posterior: GaussianPosterior | Distribution) -> GaussianPosterior:
    """vimax's posterior from itself or from a ``torch.distributions`` diagonal Gaussian.

    Accepts a :class:`GaussianPosterior` (returned as is), a ``Normal`` whose
    batch shape is (B, K), or an ``Independent(Normal, 1)`` whose batch shape is
    (B,) and event shape (K,). The tensors are shared, so gradients flow through.
    """
    if isinstance(posterior, GaussianPosterior):
        return posterior
    if isinstance(posterior, Independent) and posterior.reinterpreted_batch_ndims == 1:
        base = posterior.base_dist
        if isinstance(base, Normal):
            return _from_normal(base, posterior)
    if isinstance(posterior, Normal):
        return _from_normal(posterior, posterior)
    raise TypeError(f"the posterior must be a vimax GaussianPosterior, a torch.distributions.Normal with "
                    f"batch shape (B, K) or an Independent(Normal, 1); got {posterior!r}")


def _from_normal(normal: Normal, given: Distribution) -> GaussianPosterior:
    if normal.loc.ndim != 2:
        raise ValueError(f"a Normal posterior needs loc and scale of shape (B, K); got {given!r}")
    return GaussianPosterior(normal.loc, normal.scale)


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
