"""The plain loop computes vimax's loss and gradients (same batch, seed, weights)."""

from __future__ import annotations

import pytest
import torch

from benchmarks.config import OBJECTIVES
from benchmarks.plain_loop import PlainModel, plain_loss, train_plain
from vimax.models.classifier import ModelConfig, build_classifier
from vimax.objectives.config import build_objective, objective_config


def _twins(objective: str, latent_dim: int = 8):
    """A vimax classifier and objective, and a PlainModel with the same weights, in float64."""
    torch.manual_seed(0)
    model = build_classifier(ModelConfig(hidden=(32, 32), latent_dim=latent_dim), (1, 6, 6), 10)
    stochastic = objective != "deterministic"
    settings = {"beta": 0.5, "prior_std": 1.0} if stochastic else {}
    built = build_objective(objective_config(objective)(**settings))
    plain = PlainModel.mlp(in_features=36, hidden=(32, 32), latent_dim=latent_dim)
    plain.load_state_dict({k.removeprefix("encoder."): v for k, v in model.state_dict().items()})
    return model.double(), built, plain.double()


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_plain_loop_computes_the_vimax_loss(objective):
    model, built, plain = _twins(objective)
    x = torch.rand(20, 1, 6, 6, dtype=torch.float64)
    y = torch.randint(0, 10, (20,))
    torch.manual_seed(1)
    posterior = model.posterior(x)
    z = posterior.rsample() if built.requires_posterior else posterior.mean
    expected = built(model.decoder(z), y, posterior, z).loss
    torch.manual_seed(1)
    got = plain_loss(plain, x, y, objective, beta=0.5)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    grads = torch.autograd.grad(expected, list(model.parameters()))
    plain_grads = torch.autograd.grad(got, list(plain.parameters()))
    for a, b in zip(plain_grads, grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_plain_loop_trains_one_epoch():
    _, _, plain = _twins("vim")
    x = torch.rand(50, 1, 6, 6, dtype=torch.float64)
    losses = train_plain(plain, x, torch.randint(0, 10, (50,)), "vim", batch_size=10)
    assert len(losses) == 5 and all(isinstance(v, float) for v in losses)


def test_plain_loss_refuses_unknown_objectives():
    _, _, plain = _twins("vim")
    with pytest.raises(ValueError, match="unknown objective"):
        plain_loss(plain, torch.rand(4, 1, 6, 6, dtype=torch.float64), torch.zeros(4).long(), "xyz")
