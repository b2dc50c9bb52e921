"""The objectives: VIB (Eq. (10)), VIM (Eq. (18)) and the baselines, against independent formulas."""

from __future__ import annotations

import dataclasses
import inspect
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal, kl_divergence

from vimax.errors import ConfigError
from vimax.models import GaussianEncoder, GaussianPosterior, ModelConfig, build_classifier, mlp_trunk
from vimax.objectives import (
    OBJECTIVES,
    ConfidencePenalty,
    CrossEntropy,
    Dropout,
    LabelSmoothing,
    ObjectiveOutput,
    VariationalInfoMax,
    VariationalInformationBottleneck,
    build_objective,
    objective_config,
)
from vimax.objectives.registry import check_beta, check_prior_std

F64 = torch.float64
LN2 = math.log(2.0)
B, K, C = 6, 4, 5


def _batch(seed: int = 0, samples: int | None = None):
    """A float64 posterior (B, K), its samples z, logits of a fixed linear decoder, and labels."""
    g = torch.Generator().manual_seed(seed)
    mean = torch.randn(B, K, generator=g, dtype=F64, requires_grad=True)
    std = (torch.rand(B, K, generator=g, dtype=F64) + 0.1).requires_grad_()
    decoder = nn.Linear(K, C).double()
    posterior = GaussianPosterior(mean, std)
    shape = (B, K) if samples is None else (samples, B, K)
    z = mean + std * torch.randn(shape, generator=g, dtype=F64)
    labels = torch.randint(0, C, (B,), generator=g)
    return posterior, z, decoder(z), labels


def _cross_entropy_by_hand(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean of -log softmax(logits)[y] over every (sample, example), in Python floats."""
    rows = logits.reshape(-1, logits.shape[-1]).tolist()
    ys = labels.repeat(logits.numel() // (labels.numel() * logits.shape[-1])).tolist()
    total = 0.0
    for row, y in zip(rows, ys):
        top = max(row)
        total += top + math.log(sum(math.exp(v - top) for v in row)) - row[y]
    return total / len(rows)


def _kl_by_torch_distributions(posterior: GaussianPosterior, prior_std: float) -> torch.Tensor:
    q = Normal(posterior.mean, posterior.std)
    p = Normal(torch.zeros_like(posterior.mean), torch.full_like(posterior.std, prior_std))
    return kl_divergence(q, p).sum(-1).mean()


# ---------------------------------------------------------------- every registered objective


def _small_classifier(dropout: float = 0.0):
    config = ModelConfig(trunk="mlp", latent_dim=K, hidden=(16,), dropout=dropout)
    return build_classifier(config, (1, 8, 8), C)


# stochastic objectives also take (L, B, C) logits for L samples of z; deterministic ones use z = mean
REGISTERED = [(name, samples) for name in OBJECTIVES.names()
              for samples in ((None, 3) if OBJECTIVES.get(name).requires_posterior else (None,))]


@pytest.mark.parametrize("name, samples", REGISTERED)
def test_every_registered_objective_runs_forward_and_backward(name, samples):
    torch.manual_seed(0)
    objective = build_objective(objective_config(name)())
    model = _small_classifier(0.5 if name == "dropout" else 0.0).train()
    x, y = torch.rand(8, 1, 8, 8), torch.randint(0, C, (8,))
    posterior = model.posterior(x)
    z = posterior.rsample(samples) if objective.requires_posterior else posterior.mean
    logits = model.decoder(z)
    assert logits.shape == ((8, C) if samples is None else (samples, 8, C))
    out = objective(logits, y, posterior, z)
    assert isinstance(out, ObjectiveOutput)
    assert out.loss.shape == () and out.loss.requires_grad
    assert {"loss", "task", "izy_bits"} <= set(out.parts)
    if objective.requires_posterior:
        assert "rate_bits" in out.parts
    assert all(not p.requires_grad and p.shape == () for p in out.parts.values())
    terms = out.terms
    assert all(type(v) is float and math.isfinite(v) for v in terms.values()), terms
    assert terms["loss"] == out.loss.item()
    out.loss.backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_each_objective_config_holds_exactly_its_objective_s_settings_and_defaults(name):
    """The typed config of every registered objective: its fields are the objective's keyword
    arguments (label_entropy aside), with the same defaults, and it builds that objective."""
    config = objective_config(name)()
    factory = OBJECTIVES.get(name)
    parameters = inspect.signature(factory).parameters
    settings = {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.name != "name"}
    assert config.name == name
    assert settings == {p: parameters[p].default for p in parameters if p != "label_entropy"}
    assert isinstance(build_objective(config), factory)


def test_unknown_objectives_are_refused_with_one_line():
    with pytest.raises(ConfigError, match="unknown objective 'nope'; choose one of: .*vim"):
        objective_config("nope")


def test_build_objective_passes_the_settings_of_the_typed_config():
    vim = build_objective(objective_config("vim")(beta=0.5, prior_std=2.0, kernel="rbf", kernel_scale=3.0,
                                                  unbiased=False))
    assert isinstance(vim, VariationalInfoMax)
    assert (vim.beta, vim.prior_std, vim.kernel, vim.kernel_scale, vim.unbiased) == (
        0.5, 2.0, "rbf", 3.0, False)
    assert isinstance(build_objective(objective_config("deterministic")()), CrossEntropy)
    with pytest.raises(TypeError):  # a setting the objective does not take has no field
        objective_config("deterministic")(beta=5.0)
    vib = build_objective(objective_config("vib")(), label_entropy=1.25)
    assert (vib.beta, vib.prior_std, vib.label_entropy) == (1e-3, 1.0, 1.25)
    assert build_objective(objective_config("confidence_penalty")()).beta == 0.1


# ---------------------------------------------------------------- VIB, Eq. (10)


@pytest.mark.parametrize("prior_std", [1.0, 0.5, 2.5])
@pytest.mark.parametrize("samples", [None, 3])
def test_vib_loss_is_cross_entropy_plus_beta_times_mean_kl(prior_std, samples):
    posterior, z, logits, labels = _batch(1, samples)
    out = VariationalInformationBottleneck(beta=0.3, prior_std=prior_std)(logits, labels, posterior, z)
    ce = _cross_entropy_by_hand(logits, labels)
    kl = _kl_by_torch_distributions(posterior, prior_std).item()
    assert out.loss.item() == pytest.approx(ce + 0.3 * kl, rel=1e-12)
    assert out.terms["task"] == pytest.approx(ce, rel=1e-12)
    assert out.terms["kl"] == pytest.approx(kl, rel=1e-12)
    assert out.terms["rate_bits"] == pytest.approx(kl / LN2, rel=1e-12)
    assert out.terms["izy_bits"] == pytest.approx((math.log(C) - ce) / LN2, rel=1e-12)


def test_vib_and_vim_log_izy_with_a_given_label_entropy():
    posterior, z, logits, labels = _batch(2)
    ce = _cross_entropy_by_hand(logits, labels)
    for objective in (VariationalInformationBottleneck(label_entropy=1.5),
                      VariationalInfoMax(label_entropy=1.5)):
        assert objective(logits, labels, posterior, z).terms["izy_bits"] == pytest.approx(
            (1.5 - ce) / LN2, rel=1e-12)


# ---------------------------------------------------------------- VIM, Eq. (18)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"prior_std": 2.5, "beta": 0.7},
        {"kernel": "rbf", "kernel_scale": 0.5, "unbiased": False},
    ],
)
@pytest.mark.parametrize("samples", [None, 2])
def test_vim_loss_is_cross_entropy_plus_beta_times_mmd_to_a_prior_sample(kwargs, samples,
                                                                         brute_force_mmd):
    posterior, z, logits, labels = _batch(3, samples)
    objective = VariationalInfoMax(**kwargs)
    torch.manual_seed(11)
    out = objective(logits, labels, posterior, z)
    flat = z.detach().reshape(-1, K)  # (L*B, K): the aggregate posterior's sample
    torch.manual_seed(11)  # the same prior sample the objective drew
    prior = torch.randn(flat.shape, dtype=F64) * objective.prior_std
    divergence = brute_force_mmd(flat, prior, objective.kernel, objective.kernel_scale,
                                 objective.unbiased)
    ce = _cross_entropy_by_hand(logits, labels)
    assert out.terms["mmd"] == pytest.approx(divergence, rel=1e-10, abs=1e-12)
    assert out.loss.item() == pytest.approx(ce + objective.beta * divergence, rel=1e-10)
    assert out.terms["task"] == pytest.approx(ce, rel=1e-12)
    kl = _kl_by_torch_distributions(posterior, objective.prior_std).item()
    assert out.terms["rate_bits"] == pytest.approx(kl / LN2, rel=1e-12)
    assert out.terms["izy_bits"] == pytest.approx((math.log(C) - ce) / LN2, rel=1e-12)


def test_vim_defaults_follow_the_paper():
    vim = VariationalInfoMax()
    assert (vim.beta, vim.prior_std, vim.kernel, vim.kernel_scale, vim.unbiased) == (
        1e-3, 1.0, "imq", None, True)


@pytest.mark.parametrize("kwargs", [{"kernel": "laplace"}, {"kernel_scale": 0.0},
                                    {"kernel_scale": -2.0}])
def test_vim_refuses_a_bad_kernel_with_a_config_error(kwargs):
    with pytest.raises(ConfigError, match="kernel"):
        VariationalInfoMax(**kwargs)


# ---------------------------------------------------------------- gradients reach the encoder


def _encoder(seed: int = 0) -> GaussianEncoder:
    torch.manual_seed(seed)
    return GaussianEncoder(mlp_trunk((1, 4, 4), 2 * K, hidden=(8,)), K).double()


@pytest.mark.parametrize("name", ["vib", "vim"])
def test_gradients_reach_the_trunk_through_z(name):
    encoder, decoder = _encoder(), nn.Linear(K, C).double()
    x, y = torch.rand(B, 1, 4, 4, dtype=F64), torch.arange(B) % C
    posterior = encoder(x)
    z = posterior.rsample()
    objective = build_objective(objective_config(name)(beta=1e-2))
    objective(decoder(z), y, posterior, z).loss.backward()
    for p in encoder.trunk.parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0


@pytest.mark.parametrize("name", ["vib", "vim"])
def test_the_task_term_alone_reaches_the_std_through_the_reparameterisation(name):
    """With beta = 0 the std gets a gradient only through z = mean + std * eps."""
    encoder, decoder = _encoder(1), nn.Linear(K, C).double()
    x, y = torch.rand(B, 1, 4, 4, dtype=F64), torch.arange(B) % C
    posterior = encoder(x)
    posterior.mean.retain_grad()
    posterior.std.retain_grad()
    z = posterior.rsample()
    build_objective(objective_config(name)(beta=0.0))(decoder(z), y, posterior, z).loss.backward()
    assert posterior.mean.grad.abs().sum() > 0 and posterior.std.grad.abs().sum() > 0
    rho_rows = encoder.trunk[-1].weight.grad[K:]  # (K, hidden): the rows producing rho
    assert rho_rows.abs().sum() > 0


def test_the_vim_mmd_term_alone_reaches_the_mean_and_the_std():
    encoder = _encoder(2)
    x = torch.rand(B, 1, 4, 4, dtype=F64)
    posterior = encoder(x)
    posterior.mean.retain_grad()
    posterior.std.retain_grad()
    z = posterior.rsample()
    z.retain_grad()
    logits = torch.zeros(B, C, dtype=F64)  # the task term carries no gradient at all
    out = VariationalInfoMax(beta=100.0)(logits, torch.zeros(B, dtype=torch.long), posterior, z)
    out.loss.backward()
    assert posterior.mean.grad.abs().sum() > 0 and posterior.std.grad.abs().sum() > 0
    last = encoder.trunk[-1].weight.grad  # (2K, hidden)
    assert last[:K].abs().sum() > 0 and last[K:].abs().sum() > 0
    # z = mean + std * eps: d/d mean = d/dz and d/d std = eps * d/dz
    eps = ((z - posterior.mean) / posterior.std).detach()
    torch.testing.assert_close(posterior.mean.grad, z.grad, rtol=1e-12, atol=0)
    torch.testing.assert_close(posterior.std.grad, z.grad * eps, rtol=1e-9, atol=1e-15)


# ---------------------------------------------------------------- baselines


def test_cross_entropy_is_the_mean_negative_log_likelihood():
    _, _, logits, labels = _batch(4)
    out = CrossEntropy()(logits, labels)
    ce = _cross_entropy_by_hand(logits, labels)
    assert out.loss.item() == pytest.approx(ce, rel=1e-12)
    assert set(out.parts) == {"loss", "task", "izy_bits"}
    assert out.terms["izy_bits"] == pytest.approx((math.log(C) - ce) / LN2, rel=1e-12)


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.35])
def test_label_smoothing_equals_torch_and_the_formula(smoothing):
    _, _, logits, labels = _batch(5)
    out = LabelSmoothing(smoothing)(logits, labels)
    reference = F.cross_entropy(logits, labels, label_smoothing=smoothing)
    assert out.loss.item() == pytest.approx(reference.item(), rel=1e-12)
    # (1 - eps) * CE + eps * mean over classes of -log p_c
    log_p = F.log_softmax(logits, -1)
    by_hand = (1 - smoothing) * _cross_entropy_by_hand(logits, labels) - smoothing * log_p.mean().item()
    assert out.loss.item() == pytest.approx(by_hand, rel=1e-12)
    assert out.terms["task"] == pytest.approx(_cross_entropy_by_hand(logits, labels), rel=1e-12)


@pytest.mark.parametrize("beta", [0.0, 0.1, 2.0])
def test_confidence_penalty_is_cross_entropy_minus_beta_entropy(beta):
    _, _, logits, labels = _batch(6)
    out = ConfidencePenalty(beta)(logits, labels)
    entropy = 0.0
    for row in logits.tolist():
        total = sum(math.exp(v) for v in row)
        entropy -= sum(math.exp(v) / total * math.log(math.exp(v) / total) for v in row)
    entropy /= logits.shape[0]
    ce = _cross_entropy_by_hand(logits, labels)
    assert out.terms["entropy"] == pytest.approx(entropy, rel=1e-12)
    assert out.loss.item() == pytest.approx(ce - beta * entropy, rel=1e-12)


def test_the_model_s_dropout_puts_dropout_in_the_trunk_and_the_dropout_objective_is_cross_entropy():
    model = _small_classifier(0.3)
    rates = [m.p for m in model.modules() if isinstance(m, nn.Dropout)]
    assert rates == [0.3]
    assert not any(isinstance(m, nn.Dropout) for m in _small_classifier().modules())
    logits, labels = torch.randn(4, C), torch.arange(4) % C
    assert Dropout()(logits, labels).loss.item() == CrossEntropy()(logits, labels).loss.item()


@pytest.mark.parametrize(
    "build",
    [
        lambda: LabelSmoothing(1.0),
        lambda: LabelSmoothing(-0.1),
        lambda: ConfidencePenalty(-1.0),
        lambda: VariationalInfoMax(beta=-1.0),
        lambda: VariationalInformationBottleneck(prior_std=0.0),
    ],
)
def test_bad_hyper_parameters_are_config_errors(build):
    with pytest.raises(ConfigError):
        build()


@pytest.mark.parametrize("bad", [-1e-9, float("nan"), float("inf")])
def test_check_beta_and_prior_std(bad):
    assert check_beta(0) == 0.0 and check_prior_std(2) == 2.0
    with pytest.raises(ConfigError, match="beta"):
        check_beta(bad)
    with pytest.raises(ConfigError, match="prior_std"):
        check_prior_std(bad)
    with pytest.raises(ConfigError, match="prior_std"):
        check_prior_std(0.0)
