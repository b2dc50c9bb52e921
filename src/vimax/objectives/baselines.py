"""The deterministic baselines of Table 1: plain cross-entropy, dropout, label
smoothing and the confidence penalty. The encoder's mean is the representation
(z = mean, no noise).

The baselines' losses use neither the posterior nor z; when given, they are
checked as the stochastic objectives check them (the posterior's type, z's
shape against the posterior and the logits)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vimax.errors import ConfigError
from vimax.objectives.inputs import PosteriorLike, check_inputs
from vimax.objectives.output import ObjectiveOutput, classification_loss, objective_output
from vimax.objectives.registry import OBJECTIVES, check_beta

__all__ = ["CrossEntropy", "Dropout", "LabelSmoothing", "ConfidencePenalty"]


class _Baseline(nn.Module):
    requires_posterior = False

    def __init__(self, label_entropy: float | None = None) -> None:
        super().__init__()
        self.label_entropy = label_entropy

    def _output(self, loss: torch.Tensor, task: torch.Tensor, logits: torch.Tensor,
                **extra: torch.Tensor) -> ObjectiveOutput:
        return objective_output(loss, task, logits, self.label_entropy, None, **extra)


@OBJECTIVES.register("deterministic")
class CrossEntropy(_Baseline):
    """The baseline: mean negative log-likelihood, Eq. (2). Parts: "task", "izy_bits"."""

    def forward(self, logits: torch.Tensor, labels: torch.Tensor, posterior: PosteriorLike | None = None,
                z: torch.Tensor | None = None) -> ObjectiveOutput:
        check_inputs(logits, posterior, z)
        task = classification_loss(logits, labels)
        return self._output(task, task, logits)


@OBJECTIVES.register("dropout")
class Dropout(CrossEntropy):
    """Cross-entropy on a trunk trained with dropout (Srivastava et al., 2014).

    The loss is Eq. (2); the dropout itself lives in the model: the run's
    ``model.dropout`` (:class:`vimax.models.ModelConfig`) puts ``nn.Dropout``
    after each hidden layer of the trunk. The objective names the baseline.
    """


@OBJECTIVES.register("label_smoothing")
class LabelSmoothing(_Baseline):
    """Cross-entropy against labels smoothed towards uniform (Szegedy et al., 2015).

    Args:
        label_smoothing: mass moved from the true label to the uniform distribution (0.1).

    Parts: "task" (the plain cross-entropy, for comparison), "izy_bits".
    """

    def __init__(self, label_smoothing: float = 0.1, label_entropy: float | None = None) -> None:
        super().__init__(label_entropy)
        if not 0.0 <= label_smoothing < 1.0:
            raise ConfigError(f"label_smoothing must lie in [0, 1), got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)

    def forward(self, logits: torch.Tensor, labels: torch.Tensor, posterior: PosteriorLike | None = None,
                z: torch.Tensor | None = None) -> ObjectiveOutput:
        check_inputs(logits, posterior, z)
        loss = F.cross_entropy(logits, labels, label_smoothing=self.label_smoothing)
        task = classification_loss(logits.detach(), labels)
        return self._output(loss, task, logits)


@OBJECTIVES.register("confidence_penalty")
class ConfidencePenalty(_Baseline):
    """Cross-entropy minus beta times the predictive entropy (Pereyra et al., 2017):

        E[-log p(y|x)] - beta * E[H(p(.|x))]

    Args:
        beta: weight of the entropy bonus, >= 0 (default 0.1).

    Parts: "task", "entropy" (nats), "izy_bits".
    """

    def __init__(self, beta: float = 0.1, label_entropy: float | None = None) -> None:
        super().__init__(label_entropy)
        self.beta = check_beta(beta)

    def forward(self, logits: torch.Tensor, labels: torch.Tensor, posterior: PosteriorLike | None = None,
                z: torch.Tensor | None = None) -> ObjectiveOutput:
        check_inputs(logits, posterior, z)
        task = classification_loss(logits, labels)
        log_p = F.log_softmax(logits, dim=-1)  # (B, C)
        entropy = -(log_p.exp() * log_p).sum(-1).mean()
        loss = task - self.beta * entropy
        return self._output(loss, task, logits, entropy=entropy)
