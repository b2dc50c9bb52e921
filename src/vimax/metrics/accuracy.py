"""Test error and the information plane of a trained classifier (Table 1, §4.1)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from vimax.data.base import Split
from vimax.models.classifier import StochasticClassifier
from vimax.objectives.divergences import gaussian_kl

__all__ = ["error_rates", "information_plane"]

LN2 = math.log(2.0)


@torch.no_grad()
def error_rates(
    model: StochasticClassifier, split: Split, samples: int = 12, batch_size: int = 1000,
    seed: int | None = None,
) -> dict[str, float]:
    """Error rates on ``split``: softmax averaged over ``samples`` draws of z, one draw, z = mean.

    The encoder runs once per image; the decoder runs once per sample. With
    ``seed``, the draws come from a generator seeded with it (the global RNG is
    left as it was), so training's final test error and ``vimax evaluate``'s
    agree for the same run, samples and batch size.

    Returns:
        {"error": ..., "error_1_sample": ..., "error_mean_z": ...}, fractions in [0, 1].
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else [], enabled=seed is not None):
        if seed is not None:
            torch.manual_seed(seed)
        wrong = _count_errors(model, split, samples, batch_size, device)
    model.train(was_training)
    n = max(len(split), 1)
    counts = wrong.tolist()
    return {"error": counts[0] / n, "error_1_sample": counts[1] / n, "error_mean_z": counts[2] / n}


def _count_errors(model: StochasticClassifier, split: Split, samples: int, batch_size: int,
                  device: torch.device) -> torch.Tensor:
    """Wrong predictions on ``split``: (averaged softmax, one draw, z = mean)."""
    wrong = torch.zeros(3, dtype=torch.long, device=device)
    for start in range(0, len(split), batch_size):
        x = split.images[start : start + batch_size].to(device, non_blocking=True)
        y = split.labels[start : start + batch_size].to(device, non_blocking=True)
        posterior = model.posterior(x)
        z = posterior.rsample(samples)  # (L, B, K)
        probs = model.decoder(z).softmax(-1)  # (L, B, C)
        mean_logits = model.decoder(posterior.mean)  # (B, C)
        wrong[0] += (probs.mean(0).argmax(-1) != y).sum()
        wrong[1] += (probs[0].argmax(-1) != y).sum()
        wrong[2] += (mean_logits.argmax(-1) != y).sum()
    return wrong


@torch.no_grad()
def information_plane(
    model: StochasticClassifier,
    split: Split,
    prior_std: float,
    label_entropy: float,
    samples: int = 12,
    batch_size: int = 1000,
) -> dict[str, float]:
    """The rate and the I(Z;Y) bound on ``split``, in bits.

    - ``rate_bits`` = E_x KL(q(z|x) || N(0, prior_std^2 I)) / ln 2 >= I(Z;X).
    - ``izy_bits`` = (H(Y) - E_x E_q(z|x)[-log p(y|z)]) / ln 2 <= I(Z;Y).
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    kl_sum = torch.zeros((), dtype=torch.float64, device=device)
    ce_sum = torch.zeros((), dtype=torch.float64, device=device)
    for start in range(0, len(split), batch_size):
        x = split.images[start : start + batch_size].to(device)
        y = split.labels[start : start + batch_size].to(device)
        posterior = model.posterior(x)
        kl_sum += gaussian_kl(posterior.mean, posterior.std, prior_std).double().sum()
        logits = model.decoder(posterior.rsample(samples))  # (L, B, C)
        ce = F.cross_entropy(logits.flatten(0, 1), y.repeat(samples), reduction="sum")
        ce_sum += ce.double() / samples
    model.train(was_training)
    n = max(len(split), 1)
    return {
        "rate_bits": float(kl_sum) / n / LN2,
        "izy_bits": (label_entropy - float(ce_sum) / n) / LN2,
    }
