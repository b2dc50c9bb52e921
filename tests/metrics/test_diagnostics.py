"""regulariser_diagnostics against hand-computed gradients, and its promise to leave nothing changed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import vimax
from vimax.metrics import DIAGNOSTIC_KEYS, regulariser_active, regulariser_diagnostics
from vimax.models import GaussianPosterior, ModelConfig, build_classifier
from vimax.objectives import OBJECTIVES, ConfidencePenalty, CrossEntropy, LabelSmoothing


class FixedPosterior(nn.Module):
    """An encoder whose q(z|x) is a given (B, K) mean and std, whatever x is."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)

    def forward(self, x: torch.Tensor) -> GaussianPosterior:
        return GaussianPosterior(self.mean, self.std)


def linear_decoder(weight: np.ndarray, bias: np.ndarray) -> nn.Linear:
    decoder = nn.Linear(weight.shape[1], weight.shape[0]).double()
    with torch.no_grad():
        decoder.weight.copy_(torch.from_numpy(weight))
        decoder.bias.copy_(torch.from_numpy(bias))
    return decoder


def far_from_prior_case(samples: int, seed: int = 0):
    """B = 5 examples, K = 3, C = 4 classes: means around 3, stds 0.05-0.4, prior sigma 2."""
    rng = np.random.default_rng(seed)
    b, k, c = 5, 3, 4
    mean = 3.0 + rng.normal(size=(b, k))
    std = rng.uniform(0.05, 0.4, size=(b, k))
    weight, bias = rng.normal(size=(c, k)), rng.normal(size=c)
    labels = rng.integers(0, c, size=b)
    eps = rng.normal(size=(samples, b, k))
    return mean, std, weight, bias, labels, eps


def cross_entropy_gradients(mean, std, weight, bias, labels, eps):
    """d CE / d(mean, std) by hand: CE = mean over (l, i) of -log softmax(W z_li + b)[y_i]."""
    samples, b, _ = eps.shape
    z = mean + std * eps  # (L, B, K)
    logits = z @ weight.T + bias  # (L, B, C)
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    p[:, np.arange(b), labels] -= 1.0  # softmax - one-hot
    grad_z = p @ weight / (samples * b)  # (L, B, K)
    return grad_z.sum(0), (grad_z * eps).sum(0), z


@pytest.mark.parametrize("samples", [1, 3])
def test_vib_ratio_in_closed_form(samples):
    """KL per dimension log(sigma/s) + (s^2 + m^2) / (2 sigma^2) - 1/2, averaged over B:
    dKL/dm = m / (B sigma^2), dKL/ds = (s / sigma^2 - 1 / s) / B. beta is chosen to make the ratio 0.37."""
    mean, std, weight, bias, labels, eps = far_from_prior_case(samples)
    sigma, target, b = 2.0, 0.37, mean.shape[0]
    g_mean, g_std, z = cross_entropy_gradients(mean, std, weight, bias, labels, eps)
    kl_mean, kl_std = mean / (b * sigma**2), (std / sigma**2 - 1.0 / std) / b
    ce_norm = np.sqrt((g_mean**2).sum() + (g_std**2).sum())
    kl_norm = np.sqrt((kl_mean**2).sum() + (kl_std**2).sum())
    beta = target * ce_norm / kl_norm

    encoder = FixedPosterior(torch.from_numpy(mean), torch.from_numpy(std))
    objective = vimax.VariationalInformationBottleneck(beta=beta, prior_std=sigma)
    noise = torch.from_numpy(eps if samples > 1 else eps[0])
    result = regulariser_diagnostics((encoder, linear_decoder(weight, bias)), objective,
                                     torch.zeros(b, 1, dtype=torch.float64), torch.from_numpy(labels),
                                     noise=noise)
    assert result["regulariser_grad_ratio"] == pytest.approx(target, rel=1e-9)
    assert result["latent_scale"] == pytest.approx((z**2).mean() / sigma**2, rel=1e-12)
    assert result["posterior_std_median"] == pytest.approx(float(np.median(std)), rel=1e-15)


def test_vib_at_beta_zero_gives_exactly_zero():
    torch.manual_seed(0)
    model = build_classifier(ModelConfig(hidden=(16,), latent_dim=4), (1, 8, 8), 10)
    x, y = torch.rand(20, 1, 8, 8), torch.randint(0, 10, (20,))
    result = regulariser_diagnostics(model, vimax.VariationalInformationBottleneck(beta=0.0), x, y)
    assert result["regulariser_grad_ratio"] == 0.0
    assert result["latent_scale"] > 0 and result["posterior_std_median"] > 0


def hand_written_mmd(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Unbiased MMD^2 with k(a, b) = K / (K + ||a - b||^2), by loops over pairs."""
    n, m, c = x.shape[0], y.shape[0], float(x.shape[1])

    def k(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return c / (c + ((a - b) ** 2).sum())

    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2.0 * xy


def test_vim_ratio_matches_a_brute_force_computation():
    """autograd through a hand-written MMD and cross-entropy, in float64. The prior sample is the
    first draw of a generator seeded with ``seed``, as the docstring promises."""
    mean, std, weight, bias, labels, eps = far_from_prior_case(1, seed=1)
    mean = mean - 3.0 + 0.5  # a posterior near, not on, the prior
    beta, sigma, seed = 0.7, 1.5, 11
    m = torch.from_numpy(mean).requires_grad_(True)
    s = torch.from_numpy(std).requires_grad_(True)
    z = m + s * torch.from_numpy(eps[0])
    prior = torch.randn(z.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * sigma
    logits = z @ torch.from_numpy(weight).T + torch.from_numpy(bias)
    ce = -torch.log_softmax(logits, -1)[torch.arange(len(labels)), torch.from_numpy(labels)].mean()
    grad_ce = torch.autograd.grad(ce, (m, s), retain_graph=True)
    grad_mmd = torch.autograd.grad(beta * hand_written_mmd(z, prior), (m, s))
    expected = (torch.cat([g.flatten() for g in grad_mmd]).norm()
                / torch.cat([g.flatten() for g in grad_ce]).norm()).item()

    encoder = FixedPosterior(torch.from_numpy(mean), torch.from_numpy(std))
    objective = vimax.VariationalInfoMax(beta=beta, prior_std=sigma)
    result = regulariser_diagnostics((encoder, linear_decoder(weight, bias)), objective,
                                     torch.zeros(len(labels), 1, dtype=torch.float64),
                                     torch.from_numpy(labels), seed=seed, noise=torch.from_numpy(eps[0]))
    assert 1e-3 < expected < 1e3
    assert result["regulariser_grad_ratio"] == pytest.approx(expected, rel=1e-10)


def test_vim_ratio_is_linear_in_beta():
    """CE's gradient cancels exactly, so the ratio at 10 beta is 10 times the ratio at beta (float32)."""
    torch.manual_seed(0)
    model = build_classifier(ModelConfig(hidden=(16,), latent_dim=4), (1, 8, 8), 10)
    x, y = torch.rand(20, 1, 8, 8), torch.randint(0, 10, (20,))
    small, large = (regulariser_diagnostics(model, vimax.VariationalInfoMax(beta=beta), x, y)
                    ["regulariser_grad_ratio"] for beta in (1e-3, 1e-2))
    assert small > 0 and large == pytest.approx(10 * small, rel=1e-5)


def test_nothing_outside_the_call_changes():
    """The global RNG, the parameters' .grad, the modules' train/eval modes: all as before the call."""
    torch.manual_seed(0)
    model = build_classifier(ModelConfig(hidden=(16,), latent_dim=4, dropout=0.5), (1, 8, 8), 10)
    model.train()
    model.decoder.eval()  # a mixed state must come back as it was
    x, y = torch.rand(20, 1, 8, 8), torch.randint(0, 10, (20,))
    state = torch.get_rng_state()
    expected_next = torch.randn(5)
    torch.set_rng_state(state)

    first = regulariser_diagnostics(model, vimax.VariationalInfoMax(beta=1.0), x, y, samples=2)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(torch.randn(5), expected_next)
    assert all(p.grad is None for p in model.parameters())
    assert model.training and model.encoder.trunk.training and not model.decoder.training
    second = regulariser_diagnostics(model, vimax.VariationalInfoMax(beta=1.0), x, y, samples=2)
    assert first == second  # fixed noise, no dropout
    other_seed = regulariser_diagnostics(model, vimax.VariationalInfoMax(beta=1.0), x, y, samples=2, seed=1)
    assert other_seed["latent_scale"] != first["latent_scale"]
    assert other_seed["posterior_std_median"] == first["posterior_std_median"]


def test_a_model_and_its_encoder_decoder_pair_agree():
    torch.manual_seed(0)
    model = build_classifier(ModelConfig(hidden=(16,), latent_dim=4), (1, 8, 8), 10)
    x, y = torch.rand(20, 1, 8, 8), torch.randint(0, 10, (20,))
    objective = vimax.VariationalInformationBottleneck(beta=1e-2)
    assert (regulariser_diagnostics(model, objective, x, y)
            == regulariser_diagnostics((model.encoder, model.decoder), objective, x, y))
    with pytest.raises(TypeError, match="StochasticClassifier"):
        regulariser_diagnostics(model.encoder, objective, x, y)


@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_every_registered_objective(name):
    """The stochastic objectives give three finite numbers, the baselines three None."""
    torch.manual_seed(0)
    objective = OBJECTIVES.build(name)
    config = ModelConfig(hidden=(16,), latent_dim=4, dropout=0.5 if name == "dropout" else 0.0)
    model = build_classifier(config, (1, 8, 8), 10)
    result = regulariser_diagnostics(model, objective, torch.rand(20, 1, 8, 8), torch.randint(0, 10, (20,)))
    assert set(result) == set(DIAGNOSTIC_KEYS)
    if objective.requires_posterior:
        assert all(np.isfinite(v) and v > 0 for v in result.values())
    else:
        assert isinstance(objective, (CrossEntropy, LabelSmoothing, ConfidencePenalty))
        assert all(v is None for v in result.values())


@pytest.mark.parametrize(
    "ratios, expected",
    [
        ([1.0, 1e-4, 1e-4, 1e-4], False),  # the last three are below 1e-3
        ([1e-4, 1e-4, 2e-3], True),
        ([5e-4], False),
        ([], None),
        ([None, None, None], None),  # no posterior
        ([1e-4, float("nan"), 1e-4], None),
    ],
)
def test_regulariser_active(ratios, expected):
    assert regulariser_active(ratios) is expected
