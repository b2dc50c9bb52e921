"""The Variational Information Bottleneck, Eq. (10)."""

from __future__ import annotations

import torch
from torch import nn

from vimax.objectives.divergences import gaussian_kl
from vimax.objectives.inputs import PosteriorLike, check_inputs
from vimax.objectives.output import ObjectiveOutput, classification_loss, objective_output
from vimax.objectives.registry import OBJECTIVES, check_beta, check_prior_std

__all__ = ["VariationalInformationBottleneck"]


@OBJECTIVES.register("vib")
class VariationalInformationBottleneck(nn.Module):
    """VIB (Alemi et al., 2016), Eq. (10):

        E_q(z|x)[-log p(y|z)] + beta * E_x[KL(q(z|x) || N(0, prior_std^2 I))]

    Args:
        beta: Lagrange multiplier beta >= 0 (default 1e-3).
        prior_std: sigma of the prior N(0, sigma^2 I), > 0 (default 1).
        label_entropy: H(Y) in nats for the logged I(Z;Y) bound; defaults to
            log C (uniform labels) when None.

    Forward:
        logits: (B, C) or (L, B, C) decoder outputs for the sampled z.
        labels: (B,).
        posterior: the encoder's q(z|x), mean and std (B, K): a vimax
            :class:`~vimax.models.GaussianPosterior`, a ``torch.distributions.Normal``
            with batch shape (B, K) or an ``Independent(Normal, 1)``; the same loss for each.
        z: (B, K) or (L, B, K), the samples the logits came from; not used by the
            loss, only checked against the posterior and the logits when given
            (a ValueError names both shapes).

    Returns an :class:`ObjectiveOutput` with parts "task", "kl", "rate_bits", "izy_bits".

    Example::

        objective = VariationalInformationBottleneck(beta=1e-3, prior_std=1.0)
        posterior = encoder(x)
        z = posterior.rsample()
        out = objective(decoder(z), y, posterior, z)
        out.loss.backward()
    """

    requires_posterior = True

    def __init__(
        self, beta: float = 1e-3, prior_std: float = 1.0, label_entropy: float | None = None
    ) -> None:
        super().__init__()
        self.beta = check_beta(beta)
        self.prior_std = check_prior_std(prior_std)
        self.label_entropy = label_entropy

    def forward(
        self,
        logits: torch.Tensor,
        labels: torch.Tensor,
        posterior: PosteriorLike,
        z: torch.Tensor | None = None,
    ) -> ObjectiveOutput:
        posterior = check_inputs(logits, posterior, z, needs_posterior=True)
        task = classification_loss(logits, labels)
        kl = gaussian_kl(posterior.mean, posterior.std, self.prior_std).mean()  # E_x KL, Eq. (10)
        loss = task + self.beta * kl
        return objective_output(loss, task, logits, self.label_entropy, rate_nats=kl, kl=kl)
