"""What every objective returns, and the information-plane quantities it logs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["ObjectiveOutput", "classification_loss", "information_terms", "objective_output"]

LN2 = math.log(2.0)


@dataclass
class ObjectiveOutput:
    """The scalar to back-propagate and its named parts.

    Attributes:
        loss: scalar tensor with gradient.
        parts: detached 0-dim tensors by name ("task", "kl", "mmd", "rate_bits",
            "izy_bits", ...), kept on the loss's device so a training loop can
            accumulate them without a host sync per step.
    """

    loss: torch.Tensor
    parts: dict[str, torch.Tensor]

    @property
    def terms(self) -> dict[str, float]:
        """The named parts as Python floats (one host sync)."""
        return {name: float(value) for name, value in self.parts.items()}


def classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy E_q(z|x)[-log p(y|z)] in nats, the first term of Eqs. (10) and (18).

    Args:
        logits: (B, C), or (L, B, C) for L samples of z per example.
        labels: (B,) int64.
    """
    if logits.ndim == 3:  # (L, B, C): one Monte-Carlo term per sample
        samples = logits.shape[0]
        return F.cross_entropy(logits.flatten(0, 1), labels.repeat(samples))
    return F.cross_entropy(logits, labels)


@torch.no_grad()
def information_terms(
    task: torch.Tensor, rate_nats: torch.Tensor | None, label_entropy: float
) -> dict[str, torch.Tensor]:
    """Bits on the information plane.

    - ``izy_bits``: (H(Y) - CE) / ln 2, a variational lower bound on I(Z; Y).
    - ``rate_bits``: batch-mean KL(q(z|x) || p(z)) / ln 2, an upper bound on I(Z; X).
    """
    parts = {"izy_bits": (label_entropy - task.detach()) / LN2}
    if rate_nats is not None:
        parts["rate_bits"] = rate_nats.detach() / LN2
    return parts


def objective_output(loss: torch.Tensor, task: torch.Tensor, logits: torch.Tensor,
                     label_entropy: float | None, rate_nats: torch.Tensor | None = None,
                     **terms: torch.Tensor) -> ObjectiveOutput:
    """What an objective returns: ``loss`` and its parts "loss", "task", ``terms`` and the bits.

    Args:
        label_entropy: H(Y) in nats for the I(Z;Y) bound; None means log C (C = logits.shape[-1]).
        rate_nats: batch-mean KL(q(z|x) || p(z)), logged as "rate_bits" (None: no rate).
        terms: further named scalar terms (the divergence: "kl", "mmd", ...), logged detached.
    """
    h_y = label_entropy if label_entropy is not None else math.log(logits.shape[-1])
    parts = {"loss": loss.detach(), "task": task.detach()}
    parts.update({name: value.detach() for name, value in terms.items()})
    parts.update(information_terms(task, rate_nats, h_y))
    return ObjectiveOutput(loss, parts)
