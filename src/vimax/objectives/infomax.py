"""The Variational InfoMax, Eq. (18) with the MMD of §4."""

from __future__ import annotations

import math
import warnings

import torch
from torch import nn

from vimax.errors import ConfigError
from vimax.objectives.divergences import KERNELS, gaussian_kl
from vimax.objectives.inputs import PosteriorLike, check_inputs
from vimax.objectives.output import ObjectiveOutput, classification_loss, objective_output
from vimax.objectives.prior_mmd import mmd_to_prior_sample
from vimax.objectives.registry import OBJECTIVES, check_beta, check_prior_std

__all__ = ["VariationalInfoMax"]


@OBJECTIVES.register("vim")
class VariationalInfoMax(nn.Module):
    """VIM (Crescimanna and Graham), Eq. (18):

        E_q(z|x)[-log p(y|z)] + beta * MMD^2(q(z) || N(0, prior_std^2 I))

    The divergence is between the *aggregate* posterior q(z), represented by the
    batch's samples z, and the prior, represented by as many fresh prior
    samples; the kernel is the paper's k(a, b) = K / (K + ||a - b||^2) (§4).
    The rate KL(q(z|x) || p(z)) is logged, not optimised.

    A batch of one sample: the unbiased estimator (the default) needs at least
    two samples of q(z) to estimate E k(z, z') and has none for a single z (a
    batch of 1 with one draw, e.g. a user loop's last batch). The MMD of such a
    batch is then 0, with no gradient, and a RuntimeWarning is issued once per
    objective: the batch trains on the task term alone. The biased V-statistic
    is not used as a fallback: on one sample it is 2 - 2 k(z, y), an O(1) bias
    pulling z towards one random prior draw. With ``unbiased=False`` a single
    sample is estimated as usual; with L >= 2 draws per example (z of shape
    (L, 1, K)) the L draws are the sample.

    Args:
        beta: Lagrange multiplier beta >= 0 (default 1e-3).
        prior_std: sigma of the prior N(0, sigma^2 I), > 0 (default 1).
        kernel: "imq" (default, §4) or "rbf".
        kernel_scale: kernel constant C; None means K, the latent dimension.
        unbiased: unbiased MMD estimator (default True).
        label_entropy: H(Y) in nats for the logged I(Z;Y) bound; None means log C.

    Forward:
        logits: (B, C) or (L, B, C) decoder outputs for z.
        labels: (B,).
        posterior: q(z|x), mean and std (B, K), used for the logged rate: a vimax
            :class:`~vimax.models.GaussianPosterior`, a ``torch.distributions.Normal``
            with batch shape (B, K) or an ``Independent(Normal, 1)``; the same loss for each.
        z: (B, K) or (L, B, K) reparameterised samples the logits came from; a z
            whose last dimension is not the posterior's K, or whose leading
            dimensions are not the logits', is a ValueError naming both shapes.

    Returns an :class:`ObjectiveOutput` with parts "task", "mmd", "rate_bits", "izy_bits".
    """

    requires_posterior = True

    def __init__(
        self,
        beta: float = 1e-3,
        prior_std: float = 1.0,
        kernel: str = "imq",
        kernel_scale: float | None = None,
        unbiased: bool = True,
        label_entropy: float | None = None,
    ) -> None:
        super().__init__()
        self.beta = check_beta(beta)
        self.prior_std = check_prior_std(prior_std)
        if kernel not in KERNELS:
            raise ConfigError(f"unknown kernel {kernel!r}; choose one of: {', '.join(KERNELS)}")
        if kernel_scale is not None and not (math.isfinite(kernel_scale) and kernel_scale > 0):
            raise ConfigError(f"kernel_scale must be a finite number > 0, got {kernel_scale}")
        self.kernel = kernel
        self.kernel_scale = kernel_scale
        self.unbiased = unbiased
        self.label_entropy = label_entropy
        self._warned_single_sample = False

    def forward(
        self,
        logits: torch.Tensor,
        labels: torch.Tensor,
        posterior: PosteriorLike,
        z: torch.Tensor,
    ) -> ObjectiveOutput:
        posterior = check_inputs(logits, posterior, z, needs_posterior=True)
        task = classification_loss(logits, labels)
        samples = z.reshape(-1, z.shape[-1])  # (L*B, K): the aggregate posterior's sample
        if self.unbiased and samples.shape[0] < 2:
            divergence = self._single_sample_mmd(samples)
        else:
            prior_samples = torch.randn_like(samples) * self.prior_std  # (L*B, K)
            # divergences.mmd's value, with the gradient for the posterior samples written out
            divergence = mmd_to_prior_sample(samples, prior_samples, self.kernel, self.kernel_scale,
                                             self.unbiased)
        loss = task + self.beta * divergence  # Eq. (18)
        with torch.no_grad():
            rate = gaussian_kl(posterior.mean, posterior.std, self.prior_std).mean()
        return objective_output(loss, task, logits, self.label_entropy, rate_nats=rate, mmd=divergence)

    def _single_sample_mmd(self, samples: torch.Tensor) -> torch.Tensor:
        """The MMD of a batch of one sample: 0 (see the class docstring), with a warning the first time."""
        if not self._warned_single_sample:
            self._warned_single_sample = True
            warnings.warn("VIM got a batch of one sample: the unbiased MMD needs at least 2, so this "
                          "batch's MMD is 0 and it trains on the task term alone (warned once)",
                          RuntimeWarning, stacklevel=3)
        return samples.new_zeros(())
