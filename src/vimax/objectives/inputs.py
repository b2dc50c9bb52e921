"""The checks every objective makes on what it is given: the posterior's type and the shapes of z."""

from __future__ import annotations

import torch
from torch.distributions import Distribution

from vimax.models.encoder import GaussianPosterior, as_gaussian_posterior

__all__ = ["PosteriorLike", "check_inputs"]

# vimax's own posterior, or torch.distributions' Normal (batch (B, K)) or Independent(Normal, 1)
PosteriorLike = GaussianPosterior | Distribution


def check_inputs(logits: torch.Tensor, posterior: PosteriorLike | None, z: torch.Tensor | None,
                 needs_posterior: bool = False) -> GaussianPosterior | None:
    """The posterior as a :class:`GaussianPosterior` (None stays None), after the shape checks.

    Args:
        logits: (B, C) or (L, B, C) decoder outputs.
        posterior: q(z|x) with mean and std (B, K), in any form
            :func:`~vimax.models.encoder.as_gaussian_posterior` accepts.
        z: (B, K) or (L, B, K), the samples the logits came from, or None.
        needs_posterior: the objective uses the posterior (VIB, VIM): None is refused.

    Raises:
        ValueError: naming both shapes, when z's last dimension is not the
            posterior's K, or z and the logits differ in their leading (L, B) dimensions.
        TypeError: for a posterior that is not a diagonal Gaussian vimax knows, or none when one is needed.
    """
    if posterior is None and needs_posterior:
        raise TypeError("this objective needs the posterior q(z|x), the encoder's output, as 3rd argument")
    gaussian = None if posterior is None else as_gaussian_posterior(posterior)
    if z is None:
        return gaussian
    if gaussian is not None:
        gaussian.check_sample(z)
    if z.shape[:-1] != logits.shape[:-1]:
        raise ValueError(f"z of shape {tuple(z.shape)} and logits of shape {tuple(logits.shape)} must "
                         f"share their leading (B,) or (L, B) dimensions (the logits are the decoder's "
                         f"output for z)")
    return gaussian
