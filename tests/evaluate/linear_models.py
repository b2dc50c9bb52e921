"""Linear models whose minimal targeted L2 adversarial is known in closed form."""

from __future__ import annotations

import torch
from torch import nn

from vimax.evaluate.carlini_wagner import CarliniWagnerConfig
from vimax.models.classifier import StochasticClassifier
from vimax.models.encoder import GaussianEncoder

__all__ = ["W", "B", "POINTS", "FAST", "linear_model", "minimal_l2", "stochastic_linear"]

# two classes on 2x2 images; the boundary logit_1 - logit_0 = w . x + b with
W = torch.tensor([[0.5, -0.5, 0.25, 0.0], [-1.0, 0.5, 0.75, 1.0]])
B = torch.tensor([0.4, -0.6])
POINTS = torch.tensor([[0.3, 0.6, 0.2, 0.3], [0.5, 0.4, 0.4, 0.2], [0.6, 0.5, 0.3, 0.35]])
FAST = CarliniWagnerConfig(steps=100, binary_search_steps=5, stepsize=2e-2, initial_const=1.0)


def linear_model() -> nn.Module:
    linear = nn.Linear(4, 2)
    with torch.no_grad():
        linear.weight.copy_(W)
        linear.bias.copy_(B)
    return nn.Sequential(nn.Flatten(), linear).eval()


def minimal_l2(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Distance |w.x + b| / ||w|| to the boundary, and the projection of x on it."""
    w, b = W[1] - W[0], B[1] - B[0]
    margin = x @ w + b  # (N,)
    return margin.abs() / w.norm(), x - (margin / w.dot(w))[:, None] * w



def stochastic_linear(std_offset: float = 5.0) -> StochasticClassifier:
    """z = x (flattened) with noise softplus(-std_offset) (0.0067 by default), then the linear decoder."""
    trunk = nn.Sequential(nn.Flatten(), nn.Linear(4, 8))
    with torch.no_grad():
        trunk[1].weight.zero_()
        trunk[1].weight[:4].copy_(torch.eye(4))
        trunk[1].bias.zero_()
    decoder = nn.Linear(4, 2)
    with torch.no_grad():
        decoder.weight.copy_(W)
        decoder.bias.copy_(B)
    return StochasticClassifier(GaussianEncoder(trunk, 4, std_offset), decoder).eval()
