"""The reference: the training loop a PyTorch user would write by hand.

Same math as vimax's MNIST MLP runs (trunk 784-1024-1024-2K, Gaussian head
with std = softplus(rho - 5), linear decoder, Adam with lr 1e-4 and betas
(0.5, 0.999)), written the ordinary way: a ``DataLoader`` over a
``TensorDataset`` with ``shuffle=True``, ``nn.Sequential``, the loss inline,
and ``loss.item()`` logged every step. :mod:`benchmarks.training` times it
against :func:`vimax.training.loop.train_epoch`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

__all__ = ["PlainModel", "plain_loss", "train_plain", "PLAIN_OBJECTIVES"]

PLAIN_OBJECTIVES = ("deterministic", "vib", "vim")
STD_OFFSET = 5.0


class PlainModel(nn.Module):
    """``trunk`` (an nn.Sequential to 2K features) and a linear ``decoder`` from K to classes.

    Its state-dict keys are those of vimax's ``StochasticClassifier`` without the
    ``encoder.`` prefix, so the two can be given the same weights.
    """

    def __init__(self, trunk: nn.Sequential, latent_dim: int, num_classes: int) -> None:
        super().__init__()
        self.trunk = trunk
        self.decoder = nn.Linear(latent_dim, num_classes)
        self.latent_dim = latent_dim

    @classmethod
    def mlp(cls, in_features: int = 784, hidden: tuple[int, ...] = (1024, 1024),
            latent_dim: int = 256, num_classes: int = 10) -> PlainModel:
        layers: list[nn.Module] = [nn.Flatten()]
        size = in_features
        for h in hidden:
            layers += [nn.Linear(size, h), nn.ReLU()]
            size = h
        layers.append(nn.Linear(size, 2 * latent_dim))
        return cls(nn.Sequential(*layers), latent_dim, num_classes)


def _imq_mmd(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Unbiased MMD^2 with the IMQ kernel C / (C + ||u - v||^2), C = K, written inline."""
    c = float(a.shape[1])

    def kernel(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        sq = (u * u).sum(1, keepdim=True) + (v * v).sum(1).unsqueeze(0) - 2.0 * u @ v.t()
        return c / (c + sq.clamp_min(0.0))

    n, m = a.shape[0], b.shape[0]
    k_aa, k_bb, k_ab = kernel(a, a), kernel(b, b), kernel(a, b)
    aa = (k_aa.sum() - k_aa.diagonal().sum()) / (n * (n - 1))
    bb = (k_bb.sum() - k_bb.diagonal().sum()) / (m * (m - 1))
    return aa + bb - 2.0 * k_ab.mean()


def plain_loss(model: PlainModel, x: torch.Tensor, y: torch.Tensor, objective: str,
               beta: float = 1e-3, prior_std: float = 1.0) -> torch.Tensor:
    """The training loss of one batch: CE, CE + beta KL (VIB) or CE + beta MMD^2 (VIM).

    Random draws come in vimax's order: the posterior's eps, then the prior sample.
    """
    features = model.trunk(x)  # (B, 2K)
    mean, rho = features[:, : model.latent_dim], features[:, model.latent_dim :]
    if objective == "deterministic":
        return F.cross_entropy(model.decoder(mean), y)
    std = F.softplus(rho - STD_OFFSET)
    z = mean + std * torch.randn_like(std)  # (B, K)
    ce = F.cross_entropy(model.decoder(z), y)
    if objective == "vib":
        var_ratio = (std / prior_std) ** 2
        kl = 0.5 * (var_ratio + (mean / prior_std) ** 2 - 1.0 - torch.log(var_ratio)).sum(1)
        return ce + beta * kl.mean()
    if objective == "vim":
        prior = torch.randn_like(z) * prior_std
        return ce + beta * _imq_mmd(z, prior)
    raise ValueError(f"unknown objective {objective!r}; choose one of {PLAIN_OBJECTIVES}")


def train_plain(model: PlainModel, x: torch.Tensor, y: torch.Tensor, objective: str,
                batch_size: int = 100, lr: float = 1e-4, beta: float = 1e-3,
                optimizer: torch.optim.Optimizer | None = None) -> list[float]:
    """One epoch of the ordinary loop over (x, y); returns the logged per-step losses."""
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.5, 0.999))
    model.train()
    losses = []
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = plain_loss(model, xb, yb, objective, beta)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    if not all(math.isfinite(v) for v in losses):
        raise FloatingPointError("the plain loop's loss became NaN or infinite")
    return losses
