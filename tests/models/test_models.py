"""The Gaussian encoder head, the trunks and the stochastic classifier."""

from __future__ import annotations

import inspect
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from vimax.config import RunConfig
from vimax.errors import ConfigError
from vimax.models import (
    TRUNKS,
    GaussianEncoder,
    GaussianPosterior,
    ModelConfig,
    StochasticClassifier,
    build_classifier,
    cnn_trunk,
    mlp_trunk,
)

F64 = torch.float64


# ---------------------------------------------------------------- GaussianEncoder


@pytest.mark.parametrize("offset", [5.0, 0.0, 2.5])
def test_encoder_splits_mean_and_std_is_softplus_of_rho_minus_offset(offset):
    features = torch.randn(7, 6, dtype=F64) * 4  # (B, 2K), K = 3
    posterior = GaussianEncoder(nn.Identity(), 3, std_offset=offset)(features)
    assert torch.equal(posterior.mean, features[:, :3])
    assert torch.equal(posterior.std, F.softplus(features[:, 3:] - offset))
    assert torch.all(posterior.std > 0)


def test_encoder_default_offset_is_five():
    rho = torch.tensor([[0.0, 0.0, 5.0, 0.0]], dtype=F64)  # mean (0, 0), rho (5, 0)
    posterior = GaussianEncoder(nn.Identity(), 2)(rho)
    expected = torch.tensor([[math.log(2.0), math.log1p(math.exp(-5.0))]], dtype=F64)
    torch.testing.assert_close(posterior.std, expected, rtol=1e-15, atol=0)


@pytest.mark.parametrize("width", [5, 8])
def test_encoder_refuses_a_trunk_of_the_wrong_width(width):
    encoder = GaussianEncoder(nn.Linear(3, width), latent_dim=3)
    with pytest.raises(ValueError, match=r"must output \(B, 6\) features for latent_dim=3, got \(2, "):
        encoder(torch.zeros(2, 3))


def test_encoder_refuses_features_that_are_not_a_matrix():
    with pytest.raises(ValueError, match=r"got \(2, 3, 2\)"):
        GaussianEncoder(nn.Identity(), 1)(torch.zeros(2, 3, 2))
    with pytest.raises(ValueError, match="latent_dim"):
        GaussianEncoder(nn.Identity(), 0)


def test_rsample_shapes():
    posterior = GaussianPosterior(torch.zeros(4, 3), torch.ones(4, 3))
    assert posterior.rsample().shape == (4, 3)
    assert posterior.rsample(5).shape == (5, 4, 3)
    assert posterior.rsample(1).shape == (1, 4, 3)


def test_rsample_statistics_match_the_posterior():
    mean = torch.tensor([[0.0, -2.0, 3.0], [1.0, 0.5, -1.0]], dtype=F64)
    std = torch.tensor([[1.0, 0.1, 2.0], [0.5, 3.0, 0.01]], dtype=F64)
    torch.manual_seed(0)
    z = GaussianPosterior(mean, std).rsample(100_000)  # (n, B, K)
    assert z.shape == (100_000, 2, 3) and z.dtype == F64
    stderr = std / math.sqrt(z.shape[0])
    assert torch.all((z.mean(0) - mean).abs() < 5 * stderr)
    torch.testing.assert_close(z.std(0), std, rtol=0.01, atol=0)
    # samples of different examples and dimensions are uncorrelated
    eps = ((z - mean) / std).reshape(z.shape[0], -1)
    correlation = torch.corrcoef(eps.T) - torch.eye(6, dtype=F64)
    assert correlation.abs().max() < 0.02


def test_rsample_is_reparameterised():
    """z = mean + std * eps: dz/dmean = 1 and dz/dstd = eps, exactly."""
    mean = torch.randn(3, 2, dtype=F64, requires_grad=True)
    std = (torch.rand(3, 2, dtype=F64) + 0.5).requires_grad_()
    z = GaussianPosterior(mean, std).rsample(4)  # (4, 3, 2)
    z.sum().backward()
    eps = ((z - mean) / std).detach()
    assert torch.equal(mean.grad, torch.full((3, 2), 4.0, dtype=F64))
    torch.testing.assert_close(std.grad, eps.sum(0), rtol=1e-12, atol=1e-12)


def test_posterior_detach():
    mean, std = torch.zeros(2, 2, requires_grad=True), torch.ones(2, 2, requires_grad=True)
    detached = GaussianPosterior(mean * 2, std * 2).detach()
    assert not detached.mean.requires_grad and not detached.std.requires_grad
    assert torch.equal(detached.std, torch.full((2, 2), 2.0))


# ---------------------------------------------------------------- trunks


def test_mlp_trunk_is_the_papers_784_1024_1024_2k_network():
    trunk = mlp_trunk((1, 28, 28), out_features=512)
    linears = [(m.in_features, m.out_features) for m in trunk if isinstance(m, nn.Linear)]
    assert linears == [(784, 1024), (1024, 1024), (1024, 512)]
    assert sum(isinstance(m, nn.ReLU) for m in trunk) == 2
    half = mlp_trunk((1, 28, 28), out_features=16, hidden=(10, 30), width=0.5, dropout=0.2)
    assert [m.out_features for m in half if isinstance(m, nn.Linear)] == [5, 15, 16]
    assert [m.p for m in half if isinstance(m, nn.Dropout)] == [0.2, 0.2]


def test_cnn_trunk_follows_table_4():
    trunk = cnn_trunk((3, 32, 32), out_features=64, width=0.125)
    convs = [m for m in trunk if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [16, 32, 64, 128]
    assert all(c.kernel_size == (4, 4) and c.stride == (2, 2) for c in convs)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in trunk) == 4
    assert trunk(torch.rand(2, 3, 32, 32)).shape == (2, 64)
    assert inspect.signature(cnn_trunk).parameters["hidden"].default == (128, 256, 512, 1024)
    with pytest.raises(ValueError, match="too small"):
        cnn_trunk((1, 8, 8), out_features=4)


# every registered trunk on an input small enough for each: 16x16 takes two stride-2 convolutions
TRUNK_INPUT = (1, 16, 16)


@pytest.mark.parametrize("name", TRUNKS.names())
@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_every_registered_trunk_runs_forward_and_backward(name, dropout):
    torch.manual_seed(0)
    config = ModelConfig(trunk=name, latent_dim=3, hidden=(4, 8), dropout=dropout)
    model = build_classifier(config, TRUNK_INPUT, num_classes=5).train()
    x = torch.rand(6, *TRUNK_INPUT)
    posterior = model.posterior(x)
    assert posterior.mean.shape == posterior.std.shape == (6, 3)
    logits = model.sample_logits(x, 2)
    assert logits.shape == (2, 6, 5)
    F.cross_entropy(logits.flatten(0, 1), torch.arange(12) % 5).backward()
    for p in model.parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all()
    first_layer = next(model.encoder.trunk.parameters())
    assert first_layer.grad.abs().sum() > 0


# ---------------------------------------------------------------- StochasticClassifier


def _classifier(seed: int = 0) -> StochasticClassifier:
    torch.manual_seed(seed)
    return build_classifier(ModelConfig(latent_dim=4, hidden=(16,)), (1, 8, 8), 10).double().eval()


def test_forward_is_the_decoder_at_the_mean():
    model = _classifier()
    x = torch.rand(5, 1, 8, 8, dtype=F64)
    assert model.latent_dim == 4
    assert torch.equal(model(x), model.decoder(model.encoder(x).mean))
    assert model(x).shape == (5, 10)


def test_predict_proba_with_no_samples_is_the_softmax_at_the_mean():
    model = _classifier(1)
    x = torch.rand(5, 1, 8, 8, dtype=F64)
    probs = model.predict_proba(x, 0)
    assert torch.equal(probs, F.softmax(model.decoder(model.posterior(x).mean), -1))
    torch.testing.assert_close(probs.sum(-1), torch.ones(5, dtype=F64), rtol=0, atol=1e-12)


def test_predict_proba_averages_the_softmax_over_samples():
    model = _classifier(2)
    x = torch.rand(5, 1, 8, 8, dtype=F64)
    torch.manual_seed(3)
    probs = model.predict_proba(x, 7)
    torch.manual_seed(3)
    posterior = model.posterior(x)
    eps = torch.randn(7, 5, 4, dtype=F64)
    expected = F.softmax(model.decoder(posterior.mean + posterior.std * eps), -1).mean(0)
    torch.testing.assert_close(probs, expected, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(probs.sum(-1), torch.ones(5, dtype=F64), rtol=0, atol=1e-12)
    assert not probs.requires_grad
    assert model.sample_logits(x, 3).shape == (3, 5, 10)


def test_model_config_checks():
    """The checks of the class itself run when it is built; the declared ranges when it is read."""
    with pytest.raises(ConfigError, match="unknown trunk 'resnet'"):
        ModelConfig(trunk="resnet")
    with pytest.raises(ConfigError, match="hidden sizes must be >= 1"):
        ModelConfig(hidden=(8, 0))
    for key, bad in (("latent_dim", 0), ("width", 0.0), ("dropout", 1.0), ("dropout", -0.1)):
        with pytest.raises(ConfigError, match=f"model.{key}: Input should be"):
            RunConfig.from_dict({"model": {key: bad}})


def test_build_classifier_wires_trunk_head_and_decoder():
    model = build_classifier(ModelConfig(latent_dim=6, hidden=(12,), std_offset=2.0), (1, 8, 8), 7)
    assert model.encoder.trunk[-1].out_features == 12
    assert model.encoder.std_offset == 2.0
    assert (model.decoder.in_features, model.decoder.out_features) == (6, 7)
